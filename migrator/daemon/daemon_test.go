package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/migrator/report"
	"github.com/kestra-migrator/kestra-migrator/migrator/rewrite"
	"github.com/kestra-migrator/kestra-migrator/store"
)

var errDown = errors.New("connect to http://kestra: 503 Service Unavailable")

// passCall is one pass seen by fakePass.
type passCall struct {
	at       time.Duration // since the test started (the bubble's fake clock)
	mode     migrator.Mode
	interval time.Duration
}

// fakePass stands in for the engine: it records each pass and answers
// errs[i] to the i-th (nil past the end); block makes passes wait for ctx.
type fakePass struct {
	mu    sync.Mutex
	t0    time.Time
	calls []passCall
	errs  []error
	block bool
}

func (f *fakePass) pass(ctx context.Context, cfg Config, mode migrator.Mode) (*report.Report, error) {
	f.mu.Lock()
	i := len(f.calls)
	f.calls = append(f.calls, passCall{at: time.Since(f.t0), mode: mode, interval: cfg.Interval})
	f.mu.Unlock()
	if f.block {
		<-ctx.Done()
		return &report.Report{}, fmt.Errorf("namespace company: %w", ctx.Err())
	}
	if i < len(f.errs) && f.errs[i] != nil {
		return nil, f.errs[i]
	}
	rec := report.NewRecorder(string(mode), "run", time.Now())
	rec.Add(report.Item{Namespace: "company.team", ID: "etl", Status: report.StatusPending})
	return rec.Finish(time.Now()), nil
}

func (f *fakePass) seen() []passCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]passCall(nil), f.calls...)
}

// testConfig is a valid configuration whose engine is never run.
func testConfig(t *testing.T) Config {
	t.Helper()
	cli, err := client.New(client.Config{Server: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	return Config{Interval: time.Minute, Mode: migrator.ModePlan, Selection: migrator.Selection{All: true},
		StatePath: filepath.Join(t.TempDir(), "state.db"),
		Engine:    &migrator.Engine{Source: cli, Rewriter: rewrite.MustRewriter(rewrite.Options{})}}
}

func newTestDaemon(f *fakePass, opts Options) *Daemon {
	d := New(opts)
	d.pass, d.rand = f.pass, func() float64 { return 0.5 }
	f.t0 = time.Now()
	return d
}

func loader(cfg Config) func(client.Observer) (Config, error) {
	return func(client.Observer) (Config, error) { return cfg, nil }
}

// runFor runs the daemon for d of fake time, then stops it as SIGTERM would.
func runFor(t *testing.T, dm *Daemon, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- dm.Run(ctx) }()
	time.Sleep(d)
	synctest.Wait()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func offsets(calls []passCall) []time.Duration {
	out := make([]time.Duration, len(calls))
	for i, c := range calls {
		out[i] = c.at
	}
	return out
}

func TestLoopBacksOffThenKeepsTheInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakePass{errs: []error{errDown, errDown, errDown}}
		d := newTestDaemon(f, Options{Load: loader(testConfig(t))})
		runFor(t, d, 5*time.Minute)
		// failures retry 5s, 10s, 20s after each failure; then every minute from the success
		want := []time.Duration{0, 5 * time.Second, 15 * time.Second, 35 * time.Second,
			95 * time.Second, 155 * time.Second, 215 * time.Second, 275 * time.Second}
		if got := offsets(f.seen()); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("passes at %v, want %v", got, want)
		}
		s := d.Status()
		if !s.Ready || s.Passes != len(want) || s.ConsecutiveFailures != 0 || s.Report == nil {
			t.Errorf("status after recovery: %+v", s)
		}
	})
}

func TestLoopStaysNotReadyWhileFailing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakePass{errs: []error{nil, errDown, errDown}}
		d := newTestDaemon(f, Options{Load: loader(testConfig(t))})
		runFor(t, d, 70*time.Second) // passes at 0 (ok), 60s (fails), 65s (fails)
		s := d.Status()
		if s.Ready || s.ConsecutiveFailures != 2 || !strings.Contains(s.LastError, "503") {
			t.Errorf("status while the server is down: %+v", s)
		}
		if s.Report == nil || s.LastSuccessAt == nil {
			t.Errorf("the last good report is kept while passes fail: %+v", s)
		}
		if s.NextPassAt == nil || s.NextPassAt.Sub(*s.LastPassAt) != 10*time.Second {
			t.Errorf("next pass: %v after %v, want a 10s backoff", s.NextPassAt, s.LastPassAt)
		}
	})
}

func TestLoopTurnsApplyIntoPlanOutsideTheWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := testConfig(t)
		cfg.Mode, cfg.Interval = migrator.ModeApply, 30*time.Minute
		w, err := ParseWindow("01:00-02:00", "UTC")
		if err != nil {
			t.Fatal(err)
		}
		cfg.Window = w
		f := &fakePass{}
		d := newTestDaemon(f, Options{Load: loader(cfg)})
		if h := time.Now().UTC().Hour(); h != 0 {
			t.Fatalf("the bubble's clock starts at %s, want midnight UTC", time.Now().UTC())
		}
		runFor(t, d, 2*time.Hour+20*time.Minute)
		var modes []migrator.Mode
		for _, c := range f.seen() {
			modes = append(modes, c.mode)
		}
		want := []migrator.Mode{"plan", "plan", "apply", "apply", "plan"} // 00:00 00:30 01:00 01:30 02:00
		if fmt.Sprint(modes) != fmt.Sprint(want) {
			t.Errorf("modes %v, want %v", modes, want)
		}
	})
}

func TestReloadAppliesFromTheNextPassAndKeepsTheOldOnError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		base := testConfig(t)
		var loads int
		load := func(client.Observer) (Config, error) {
			loads++
			switch loads {
			case 1:
				return base, nil
			case 2:
				c := base
				c.Interval = 10 * time.Minute
				return c, nil
			default:
				return Config{}, errors.New("config file: yaml: line 3: did not find expected key")
			}
		}
		hup := make(chan os.Signal, 1)
		f := &fakePass{}
		d := newTestDaemon(f, Options{Load: load, Reload: hup})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()
		time.Sleep(30 * time.Second)
		hup <- os.Interrupt           // the value does not matter
		time.Sleep(670 * time.Second) // t = 700s
		hup <- os.Interrupt
		time.Sleep(600 * time.Second) // t = 1300s
		synctest.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		want := []time.Duration{0, 60 * time.Second, 660 * time.Second, 1260 * time.Second}
		if got := offsets(f.seen()); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("passes at %v, want %v", got, want)
		}
		if c := f.seen(); c[1].interval != 10*time.Minute || c[3].interval != 10*time.Minute {
			t.Errorf("intervals seen by the passes: %+v", c)
		}
		text := scrape(t, d)
		for _, line := range []string{`kestra_migrator_config_reloads_total{result="success"} 1`,
			`kestra_migrator_config_reloads_total{result="failure"} 1`} {
			if !strings.Contains(text, line+"\n") {
				t.Errorf("metrics lack %s", line)
			}
		}
	})
}

func TestShutdownCancelsThePassClosesTheServerAndReleasesTheLock(t *testing.T) {
	cfg := testConfig(t)
	cfg.Listen = "127.0.0.1:0"
	f := &fakePass{block: true}
	addr := make(chan net.Addr, 1)
	d := newTestDaemon(f, Options{Load: loader(cfg), Listening: func(a net.Addr) { addr <- a }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	a := <-addr
	waitFor(t, func() bool { return len(f.seen()) == 1 }) // a pass is in flight
	conn, err := net.Dial("tcp", a.String())
	if err != nil {
		t.Fatalf("endpoints not served during a pass: %v", err)
	}
	conn.Close()
	start := time.Now()
	cancel()
	// the pass blocks until cancelled: returning at all proves it was (a
	// hang is caught by go test's -timeout; no wall-clock bound here)
	if err := <-done; err != nil {
		t.Fatalf("Run after cancel: %v, want nil (exit 0)", err)
	}
	t.Logf("stopped in %s", time.Since(start))
	if _, err := net.Dial("tcp", a.String()); err == nil {
		t.Error("the endpoints are still served after Run returned")
	}
	release, err := store.Lock(cfg.StatePath)
	if err != nil {
		t.Fatalf("the lock was not released: %v", err)
	}
	_ = release()
	if s := d.Status(); s.Passes != 1 || s.LastPassAt != nil {
		t.Errorf("an interrupted pass is counted, not reported as a failure: %+v", s)
	}
	if text := scrape(t, d); !strings.Contains(text, `kestra_migrator_passes_total{mode="plan",result="interrupted"} 1`) {
		t.Errorf("interrupted pass not counted:\n%s", grep(text, "passes_total"))
	}
}

func TestSecondDaemonOnTheSameStateFileIsRefused(t *testing.T) {
	cfg := testConfig(t)
	release, err := store.Lock(cfg.StatePath) // the first daemon
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	f := &fakePass{}
	err = newTestDaemon(f, Options{Load: loader(cfg)}).Run(context.Background())
	if !errors.Is(err, store.ErrLocked) || !strings.Contains(err.Error(), fmt.Sprintf("process %d", os.Getpid())) {
		t.Fatalf("second daemon: %v, want ErrLocked naming the holder's PID", err)
	}
	if len(f.seen()) != 0 {
		t.Error("the second daemon ran a pass")
	}
}

func TestOnceRunsOnePassAndReturnsItsError(t *testing.T) {
	cfg := testConfig(t)
	cfg.Listen = "127.0.0.1:0"
	f := &fakePass{errs: []error{errDown}}
	listened := false
	d := newTestDaemon(f, Options{Load: loader(cfg), Once: true, Listening: func(net.Addr) { listened = true }})
	if err := d.Run(context.Background()); !errors.Is(err, errDown) {
		t.Fatalf("Run --once: %v, want the pass's error", err)
	}
	if n := len(f.seen()); n != 1 || listened {
		t.Errorf("--once: %d passes, listened %v; want 1 pass and no endpoints", n, listened)
	}
	f2 := &fakePass{}
	if err := newTestDaemon(f2, Options{Load: loader(cfg), Once: true}).Run(context.Background()); err != nil {
		t.Fatalf("Run --once, server up: %v", err)
	}
}

func TestRunRefusesAnInvalidConfiguration(t *testing.T) {
	tests := map[string]func(*Config){
		"interval":  func(c *Config) { c.Interval = time.Millisecond },
		"jitter":    func(c *Config) { c.Jitter = 1 },
		"mode":      func(c *Config) { c.Mode = "yolo" },
		"select":    func(c *Config) { c.Selection = migrator.Selection{} },
		"HOST:PORT": func(c *Config) { c.Listen = "9464" },
		"engine":    func(c *Config) { c.Engine = nil },
	}
	for want, mutate := range tests {
		cfg := testConfig(t)
		mutate(&cfg)
		f := &fakePass{}
		err := newTestDaemon(f, Options{Load: loader(cfg)}).Run(context.Background())
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: Run = %v", want, err)
		}
	}
}

// waitFor polls cond until it holds. Its only limit is the test binary's
// own (-timeout), less a margin to report: a loaded machine is slow, never
// wrong, so no shorter wall-clock bound.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline, ok := t.Deadline()
	for !cond() {
		if ok && time.Until(deadline) < 10*time.Second {
			t.Fatal("condition not met before the test's deadline")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
