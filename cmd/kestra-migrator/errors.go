package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/store"
)

// Exit codes of docs/cli.md.
const (
	exitOK         = 0
	exitError      = 1
	exitUsage      = 2
	exitPending    = 3
	exitIncomplete = 4
)

// The outcomes a command returns instead of calling os.Exit; exitCode maps
// them (and the engine's, client's and store's sentinels) to exit codes.
var (
	// errUsage: a wrong flag, argument or configuration value.
	errUsage = errors.New("usage error")
	// errPending: plan or fix --check found flows that need migration or attention.
	errPending = errors.New("flows need migration or attention")
	// errIncomplete: apply, rollback or fix finished, but some flows did not make it.
	errIncomplete = errors.New("some flows did not make it")
)

// exitCode decides the exit code of a command's error, in one place.
func exitCode(err error) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errPending):
		return exitPending
	case errors.Is(err, errIncomplete):
		return exitIncomplete
	case errors.Is(err, errUsage), errors.Is(err, migrator.ErrNoMatch), errors.Is(err, store.ErrOtherServer):
		return exitUsage
	case errors.Is(err, context.Canceled), errors.Is(err, migrator.ErrInterrupted), errors.Is(err, client.ErrUnreachable):
		return exitError
	default:
		return exitError
	}
}

// usageError is a usage error (exit 2) that names the command whose help
// the user should read.
type usageError struct {
	err error
	cmd *cobra.Command
}

func (e *usageError) Error() string        { return e.err.Error() }
func (e *usageError) Unwrap() error        { return e.err }
func (e *usageError) Is(target error) bool { return target == errUsage }

func usagef(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

func asUsage(err error) error {
	if err == nil || errors.Is(err, errUsage) {
		return err
	}
	return &usageError{err: err}
}

// outcome is an exit code 3 or 4 with the line that explains it (stderr).
type outcome struct {
	kind error // errPending or errIncomplete
	msg  string
}

func (o *outcome) Error() string { return o.msg }
func (o *outcome) Unwrap() error { return o.kind }

// usageArgs turns cobra's argument checks into usage errors.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return &usageError{err: err, cmd: cmd}
		}
		return nil
	}
}
