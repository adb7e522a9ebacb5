package store

import (
	"net/url"
	"regexp"
	"strings"
)

// redactURL strips user info, query and fragment from a server URL: the
// store must never hold credentials, whatever the caller passes.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return stripUserinfo(raw) // not a URL we understand: cut anything before an '@'
	}
	u.User = nil
	u.RawQuery = ""
	u.ForceQuery = false
	u.Fragment = ""
	u.RawFragment = ""
	return u.String()
}

// stripUserinfo removes "user:password@" from the authority of a URL-like
// string that url.Parse did not understand ("user:pw@host:8080").
func stripUserinfo(s string) string {
	start := 0
	if i := strings.Index(s, "://"); i >= 0 {
		start = i + 3
	}
	end := len(s)
	if i := strings.IndexAny(s[start:], "/?#"); i >= 0 {
		end = start + i
	}
	if at := strings.LastIndexByte(s[start:end], '@'); at >= 0 {
		return s[:start] + s[start+at+1:]
	}
	return s
}

// userinfo matches the "user:password@" of a URL inside free text; greedy up
// to the last '@' before the path, since passwords may contain '@'.
var userinfo = regexp.MustCompile(`(://)[^/\s]*@`)

// scrubText removes URL user info from free text (error messages, reasons):
// HTTP errors quote the URL they failed on.
func scrubText(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	return userinfo.ReplaceAllString(s, "$1")
}
