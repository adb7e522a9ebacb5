package client

import (
	"errors"
	"net/url"
)

// redactURLString drops the userinfo of a URL given as text; text that does not
// parse is replaced, since it may hold credentials.
func redactURLString(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User = nil
	return u.String()
}

// urlParseReason is the reason of a url.Parse failure without the URL text,
// which may hold a password.
func urlParseReason(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return errors.New("malformed URL")
}
