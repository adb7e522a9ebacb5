package daemon

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/store"
)

// shutdownTimeout bounds the wait for HTTP requests in flight at exit.
const shutdownTimeout = 2 * time.Second

// Options configure a Daemon.
type Options struct {
	// Load builds the configuration: once at start and again on each value
	// received from Reload. obs counts HTTP requests for /metrics: set it as
	// the REST client's Config.Observer.
	Load func(obs client.Observer) (Config, error)
	// Reload triggers a configuration reload (SIGHUP); nil never does.
	Reload <-chan os.Signal
	// Once runs one pass and returns its error, serving nothing (CronJob).
	Once bool
	// RetryBase is the first wait after a failed pass (default
	// DefaultRetryBase); it doubles per failure up to the interval.
	RetryBase time.Duration
	// Listening, when set, is told the address the endpoints are served on.
	Listening func(addr net.Addr)
}

// Daemon runs passes on a schedule and serves where they stand.
type Daemon struct {
	opts    Options
	state   *state
	metrics *metrics
	pass    passFunc
	rand    func() float64 // in [0, 1), for jitter
}

// New builds a Daemon; Run starts it.
func New(opts Options) *Daemon {
	if opts.RetryBase <= 0 {
		opts.RetryBase = DefaultRetryBase
	}
	st := &state{}
	d := &Daemon{opts: opts, state: st, metrics: newMetrics(st), rand: rand.Float64}
	d.pass = d.enginePass
	return d
}

// Status is where the daemon stands now.
func (d *Daemon) Status() Status { return d.state.snapshot() }

// Run loads the configuration, takes the state file's lock, serves the
// endpoints and runs passes until ctx is cancelled (SIGTERM, SIGINT): the
// pass in flight is cancelled (flows being written are finished, the others
// left untouched), the endpoints close, the lock is released and Run
// returns nil. A failed pass is logged and retried with backoff, never
// fatal. With Options.Once it runs one pass and returns its error.
func (d *Daemon) Run(ctx context.Context) error {
	if d.opts.Load == nil {
		return errors.New("daemon: no configuration loader")
	}
	cfg, err := d.opts.Load(d.metrics)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		return fmt.Errorf("daemon configuration: %w", err)
	}
	release, err := store.Lock(cfg.StatePath)
	if err != nil {
		return err
	}
	defer func() { _ = release() }()
	if d.opts.Once {
		return d.runPass(ctx, cfg)
	}
	served := make(chan error, 1)
	if cfg.Listen != "" {
		stop, err := d.serve(cfg, served)
		if err != nil {
			return err
		}
		defer stop()
	}
	cfg.log().Info("daemon started", "mode", cfg.Mode, "interval", cfg.Interval, "jitter", cfg.Jitter,
		"window", cfg.Window.String(), "selection", cfg.Selection.Strings(), "db", cfg.StatePath)
	return d.loop(ctx, cfg, served)
}

// serve listens on cfg.Listen; a server that stops on its own is reported
// on served. stop shuts it down, waiting briefly for requests in flight.
func (d *Daemon) serve(cfg Config, served chan<- error) (stop func(), err error) {
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	srv := &http.Server{Handler: hostGuard(cfg.Listen, cfg.AllowedHosts, d.Handler()), ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			served <- err
		}
	}()
	cfg.log().Info("serving /healthz /readyz /metrics /status /report", "addr", ln.Addr().String())
	if d.opts.Listening != nil {
		d.opts.Listening(ln.Addr())
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			_ = srv.Close()
		}
		<-done
	}, nil
}

// loop runs a pass, waits for the next (reloading the configuration on
// request meanwhile), and again, until ctx is done.
func (d *Daemon) loop(ctx context.Context, cfg Config, served <-chan error) error {
	failures := 0
	for {
		started := time.Now()
		err := d.runPass(ctx, cfg)
		if ctx.Err() != nil {
			cfg.log().Info("daemon stopped")
			return nil
		}
		failures = 0
		if err != nil {
			failures = d.state.snapshot().ConsecutiveFailures
		}
		now := time.Now()
		wait := untilNext(backoff(cfg.Interval, cfg.Jitter, failures, d.opts.RetryBase, d.rand()), failures > 0, started, now, now)
		d.state.setNext(now.Add(wait))
		if err != nil {
			cfg.log().Error("pass failed; the next one backs off", "err", err, "failures", failures, "retryIn", wait.Round(time.Millisecond))
		}
		next := time.NewTimer(wait)
	waiting:
		for {
			select {
			case <-ctx.Done():
				next.Stop()
				cfg.log().Info("daemon stopped")
				return nil
			case err := <-served:
				next.Stop()
				return fmt.Errorf("serve the endpoints: %w", err)
			case <-d.opts.Reload:
				cfg = d.reload(cfg)
			case <-next.C:
				break waiting
			}
		}
	}
}

// reload builds a new configuration; an invalid one is logged and the old
// one kept. The state file and the listen address need a restart.
func (d *Daemon) reload(old Config) Config {
	cfg, err := d.opts.Load(d.metrics)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		d.metrics.reloads.WithLabelValues(resultFailure).Inc()
		old.log().Error("reload the configuration: keeping the previous one", "err", err)
		return old
	}
	if cfg.StatePath != old.StatePath {
		cfg.log().Warn("a new state file needs a restart: keeping the current one", "db", old.StatePath, "wanted", cfg.StatePath)
		cfg.StatePath = old.StatePath
	}
	if cfg.Listen != old.Listen {
		cfg.log().Warn("a new listen address needs a restart: keeping the current one", "listen", old.Listen, "wanted", cfg.Listen)
		cfg.Listen = old.Listen
	}
	if !slices.Equal(cfg.AllowedHosts, old.AllowedHosts) {
		cfg.log().Warn("new allowed-hosts need a restart: keeping the current ones", "allowedHosts", old.AllowedHosts, "wanted", cfg.AllowedHosts)
		cfg.AllowedHosts = old.AllowedHosts
	}
	d.metrics.reloads.WithLabelValues(resultSuccess).Inc()
	cfg.log().Info("configuration reloaded; it applies from the next pass", "mode", cfg.Mode, "interval", cfg.Interval,
		"jitter", cfg.Jitter, "window", cfg.Window.String())
	return cfg
}
