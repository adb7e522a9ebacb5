package migrator

import "errors"

// Sentinel errors the command line maps to exit codes (agreed between the
// engine and the CLI): ErrNoMatch is a selection that matched nothing (exit
// 2, the message names what), ErrInterrupted a run stopped by a signal (exit 1).
var (
	ErrNoMatch     = errors.New("nothing matched")
	ErrInterrupted = errors.New("interrupted")
)
