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

// run executes one command line, prints its error on stderr and returns
// its exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCommand(stdout, stderr)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	code := exitCode(err)
	var o *outcome
	switch {
	case err == nil:
	case errors.As(err, &o):
		if o.msg != "" {
			fmt.Fprintln(stderr, o.msg)
		}
	case code == exitUsage:
		var u *usageError
		if errors.As(err, &u) && u.cmd != nil {
			cmd = u.cmd
		}
		fmt.Fprintf(stderr, "error: %v\nRun '%s --help' for usage.\n", err, cmd.CommandPath())
	default:
		fmt.Fprintf(stderr, "error: %v\n", err)
	}
	return code
}
