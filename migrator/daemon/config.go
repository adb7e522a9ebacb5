package daemon

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/kestra-migrator/kestra-migrator/migrator"
)

// MinInterval keeps a misconfigured daemon from hammering the server.
const MinInterval = 100 * time.Millisecond

// Config is what the passes use. A reload (SIGHUP) replaces it from the
// next pass on, except StatePath and Listen, which need a restart.
type Config struct {
	Interval  time.Duration
	Jitter    float64 // fraction of the interval, in [0, 1)
	Mode      migrator.Mode
	Window    Window // apply passes outside it run as plan passes
	Selection migrator.Selection
	StatePath string // the state file, locked for the daemon's life
	Listen    string // host:port of the HTTP endpoints; "" serves none
	// AllowedHosts are the names, besides localhost, loopback and the listen
	// address, that requests may carry in their Host header (a Service name);
	// "*" accepts any. Others are refused (DNS rebinding).
	AllowedHosts []string
	// Engine is the template of each pass's engine (Source, Rewriter,
	// Concurrency, Validate, target types); the daemon sets Store and
	// Incremental on a copy.
	Engine *migrator.Engine
	Log    *slog.Logger
}

// Validate checks a configuration before it is used.
func (c Config) Validate() error {
	switch {
	case c.Interval < MinInterval:
		return fmt.Errorf("interval %s: want at least %s", c.Interval, MinInterval)
	case c.Jitter < 0 || c.Jitter >= 1:
		return fmt.Errorf("jitter %g: want a fraction in [0, 1)", c.Jitter)
	case c.Mode != migrator.ModePlan && c.Mode != migrator.ModeApply:
		return fmt.Errorf("mode %q: want plan or apply", c.Mode)
	case c.Selection.Empty():
		return errors.New("select flows with --namespace, --flow or --all")
	case c.StatePath == "":
		return errors.New("no state file")
	case c.Engine == nil || c.Engine.Source == nil:
		return errors.New("no engine: a Source is required")
	}
	if err := c.Selection.Validate(); err != nil {
		return err
	}
	if c.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			return fmt.Errorf("listen %q: want HOST:PORT: %w", c.Listen, err)
		}
	}
	return nil
}

func (c Config) log() *slog.Logger {
	if c.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Log
}
