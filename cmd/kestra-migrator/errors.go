package main

import (
	"fmt"
	"strings"
)

// usageError is a wrong flag, argument or configuration value: exit 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// statusError is a command that finished but must exit non-zero: 3 (plan,
// fix --check: work is pending) or 4 (apply, rollback: some flows did not
// make it).
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string { return e.msg }

// isCobraUsage recognises cobra's own argument errors.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least", "invalid argument"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}
