package main

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/store"
)

// TestExitCodeOfEachSentinel: the agreed sentinels (BRIEF.md), wrapped as
// the engine, client and store wrap them, map to the codes of docs/cli.md.
func TestExitCodeOfEachSentinel(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("plan: namespace x: %w", err) }
	for _, c := range []struct {
		err  error
		want int
	}{
		{nil, exitOK},
		{wrap(migrator.ErrNoMatch), exitUsage},
		{wrap(store.ErrOtherServer), exitUsage},
		{usagef("bad"), exitUsage},
		{wrap(migrator.ErrInterrupted), exitError},
		{wrap(context.Canceled), exitError},
		{wrap(client.ErrUnreachable), exitError},
		{wrap(store.ErrLocked), exitError},
		{wrap(migrator.ErrOldServer), exitError},
		{errors.New("anything else"), exitError},
		{&outcome{kind: errPending}, exitPending},
		{&outcome{kind: errIncomplete}, exitIncomplete},
	} {
		if got := exitCode(c.err); got != c.want {
			t.Errorf("exitCode(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}
