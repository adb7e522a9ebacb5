package migrator

import "errors"

// The errors agreed between the engine and cmd (exit codes of docs/cli.md).
var (
	// ErrNoMatch: a selector (--namespace, --flow, --run) matched nothing; the
	// error names it. A usage error (exit 2): a typo is never a success.
	ErrNoMatch = errors.New("matched nothing")
	// ErrInterrupted: the run was stopped by a signal (exit 1).
	ErrInterrupted = errors.New("interrupted")
)
