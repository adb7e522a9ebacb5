package migrator_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/migrator/fleettest"
	"github.com/kestra-migrator/kestra-migrator/migrator/rewrite"
	"github.com/kestra-migrator/kestra-migrator/store"
)

// killSwitch stands in front of the fake Kestra: after `after` writes it
// dies, closing every later connection before any answer, as a crashed
// server (or its host) does; revive brings it back.
type killSwitch struct {
	after   int32
	writes  atomic.Int32
	dead    atomic.Bool
	refused atomic.Int32
	proxy   *httputil.ReverseProxy
}

func (k *killSwitch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !k.dead.Load() && r.Method == http.MethodPut && k.writes.Add(1) > k.after {
		k.dead.Store(true)
	}
	if k.dead.Load() {
		k.refused.Add(1)
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
		return
	}
	k.proxy.ServeHTTP(w, r)
}

func (k *killSwitch) revive() { k.dead.Store(false); k.writes.Store(-1 << 30) }

// TestDeadServerStopsTheRunAndAReRunResumes: the server dies in the middle
// of an apply. The run stops after a handful of failed attempts (the
// client's breaker), not after retrying every flow left; it returns an
// error matching client.ErrUnreachable and is recorded interrupted; a
// re-run once the server is back resumes it and migrates the rest.
func TestDeadServerStopsTheRunAndAReRunResumes(t *testing.T) {
	flows := fleettest.Generate(300, 6, 0.8, false)
	srv := kestratest.Start(t, kestratest.Options{})
	if err := fleettest.Seed(srv, flows); err != nil {
		t.Fatal(err)
	}
	target, _ := url.Parse(srv.URL())
	ks := &killSwitch{after: 40, proxy: httputil.NewSingleHostReverseProxy(target)}
	ks.proxy.ErrorLog = nil
	front := httptest.NewServer(ks)
	t.Cleanup(front.Close)
	st, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	engine := func() *migrator.Engine {
		// a new client per run, as a new process has; no wall-clock limit but the test's own
		cli, err := client.New(client.Config{Server: front.URL, Retries: 5, RetryWaitMin: time.Millisecond,
			RetryWaitMax: 5 * time.Millisecond, Timeout: fleettest.NoTimeout})
		if err != nil {
			t.Fatal(err)
		}
		return &migrator.Engine{Source: cli, Store: st, Rewriter: rewrite.MustRewriter(rewrite.Options{}),
			Concurrency: 4, Validate: true}
	}
	opts := migrator.RunOptions{Mode: migrator.ModeApply, Selection: migrator.Selection{All: true}, Resume: true}

	rep, err := engine().Run(context.Background(), opts)
	if !errors.Is(err, client.ErrUnreachable) {
		t.Fatalf("run against a dead server: %v, want client.ErrUnreachable", err)
	}
	pending := 0
	for _, f := range flows {
		if f.Pending() {
			pending++
		}
	}
	// without the breaker every flow left is retried 6 times: hundreds of attempts
	if n := ks.refused.Load(); n > 40 {
		t.Errorf("%d attempts against the dead server, want a handful: the run must stop, not retry each flow", n)
	}
	if rep == nil || rep.Summary.Migrated > 40 || rep.Summary.Migrated+rep.Summary.Failed >= pending {
		t.Errorf("first run's report: %+v; want it stopped part way", rep)
	}
	runs, err := st.Runs(1)
	if err != nil || len(runs) != 1 || runs[0].Status != store.RunInterrupted || !strings.Contains(runs[0].Error, "unreachable") {
		t.Fatalf("the stopped run is recorded as %+v, %v; want interrupted, resumable", runs, err)
	}

	t.Logf("refused %d, first run %+v", ks.refused.Load(), rep.Summary)
	ks.revive()
	rep2, err := engine().Run(context.Background(), opts)
	if err != nil {
		t.Fatalf("re-run once the server is back: %v", err)
	}
	if rep2.RunID != runs[0].ID {
		t.Errorf("the re-run started run %s, want it to resume %s", rep2.RunID, runs[0].ID)
	}
	for _, f := range flows {
		if got, ok := srv.Flow(f.Namespace, f.ID); f.Pending() && (!ok || !strings.Contains(got.Source, "taskRunner:")) {
			t.Errorf("%s/%s not migrated after the re-run", f.Namespace, f.ID)
		}
	}
}
