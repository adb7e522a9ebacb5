package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

var (
	// ErrNotFound matches (errors.Is) an *APIError with status 404.
	ErrNotFound = errors.New("not found")
	// ErrUnauthorized matches (errors.Is) an *APIError with status 401.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden matches (errors.Is) an *APIError with status 403.
	ErrForbidden = errors.New("forbidden")
)

// APIError is an answer of the server with a status that is not a success.
type APIError struct {
	Call       string   // what was being done, e.g. "update company.team/etl"
	Status     int      // HTTP status code
	Message    string   // the server's "message", or a short hint when it sent none
	Violations []string // "path: message" of each entry of "_embedded.errors"
	Attempts   int      // attempts made; > 1 when the call was retried
}

func (e *APIError) Error() string {
	var b strings.Builder
	if e.Call != "" {
		b.WriteString(e.Call)
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "%d %s", e.Status, http.StatusText(e.Status))
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// Is lets errors.Is match the sentinel errors by status.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrForbidden:
		return e.Status == http.StatusForbidden
	}
	return false
}

// errorBody is Kestra's error answer (ErrorController).
type errorBody struct {
	Message  string `json:"message"`
	Embedded struct {
		Errors []struct {
			Message string `json:"message"`
			Path    string `json:"path"`
		} `json:"errors"`
	} `json:"_embedded"`
}

// newAPIError builds the error for a non-success answer from its (possibly
// empty or non-JSON) body.
func newAPIError(call string, status int, body []byte, header http.Header) *APIError {
	e := &APIError{Call: call, Status: status}
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil {
		e.Message = eb.Message
		for _, v := range eb.Embedded.Errors {
			e.Violations = append(e.Violations, joinNonEmpty(v.Path, v.Message))
		}
	}
	if e.Message == "" {
		e.Message = statusHint(status, header)
	}
	return e
}

// statusHint explains an answer that carries no message (401 has an empty body).
func statusHint(status int, header http.Header) string {
	switch {
	case status == http.StatusUnauthorized:
		return "authentication refused: check username/password (basic auth) or token"
	case status == http.StatusForbidden:
		return "permission denied for these credentials"
	case status >= 300 && status < 400:
		return fmt.Sprintf("redirected to %q: set server to the final URL", redactURLString(header.Get("Location")))
	}
	return ""
}

func joinNonEmpty(path, msg string) string {
	if path == "" {
		return msg
	}
	return path + ": " + msg
}
