// Command kestra-migrator moves fleets of Kestra flows off deprecated
// features (runner/docker -> taskRunner/containerImage), safely.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// Exit codes of docs/cli.md.
const (
	exitOK         = 0
	exitError      = 1
	exitUsage      = 2
	exitPending    = 3
	exitIncomplete = 4
)

// defaultMemoryLimit is a soft limit for the Go heap unless GOMEMLIMIT is
// set: the garbage collector works harder near it instead of letting the
// heap double, which keeps a run over a large fleet frugal.
const defaultMemoryLimit = 64 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and maps its error to an exit code, in one place.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCommand(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	var usage *usageError
	var status *statusError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &status):
		if status.msg != "" {
			fmt.Fprintln(stderr, status.msg)
		}
		return status.code
	case errors.As(err, &usage) || isCobraUsage(err):
		fmt.Fprintf(stderr, "error: %v\nRun 'kestra-migrator --help' for usage.\n", err)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "error: %v\n", err)
		return exitError
	}
}
