package daemon

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/migrator/fleettest"
	"github.com/kestra-migrator/kestra-migrator/migrator/report"
	"github.com/kestra-migrator/kestra-migrator/migrator/rewrite"
	"github.com/kestra-migrator/kestra-migrator/store"
)

// driftedFlow is a blueprint copied with the deprecated properties.
const driftedFlow = `id: copied-blueprint
namespace: company.team00
tasks:
  - id: py
    type: io.kestra.plugin.scripts.python.Script
    runner: DOCKER
    docker:
      image: python:3.12-slim
    script: print("hi")
`

// engineConfig is a daemon configuration over a real client of srv, whose
// HTTP attempts are counted by obs.
func engineConfig(tb testing.TB, srv *kestratest.Server, obs client.Observer, mode migrator.Mode) Config {
	tb.Helper()
	// no per-request timeout a loaded machine can reach: go test's -timeout catches a hang
	cli, err := client.New(client.Config{Server: srv.URL(), Retries: 1, RetryWaitMin: time.Millisecond,
		RetryWaitMax: 5 * time.Millisecond, Timeout: time.Hour, Observer: obs})
	if err != nil {
		tb.Fatal(err)
	}
	return Config{Interval: MinInterval, Mode: mode, Selection: migrator.Selection{All: true},
		StatePath: filepath.Join(tb.TempDir(), "state.db"),
		Engine: &migrator.Engine{Source: cli, Rewriter: rewrite.MustRewriter(rewrite.Options{}),
			Concurrency: 4, Validate: true}}
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, string(b)
}

func migrated(srv *kestratest.Server, ns, id string) bool {
	f, ok := srv.Flow(ns, id)
	return ok && strings.Contains(f.Source, "taskRunner:") && !strings.Contains(f.Source, "runner: DOCKER")
}

// TestDaemonKeepsTheFleetMigrated runs the daemon over the real engine,
// client and state file against the fake Kestra.
func TestDaemonKeepsTheFleetMigrated(t *testing.T) {
	srv := kestratest.Start(t, kestratest.Options{})
	flows := fleettest.Generate(60, 4, 0.5, false)
	if err := fleettest.Seed(srv, flows); err != nil {
		t.Fatal(err)
	}
	// The configuration (and its TempDir) is made here, on the test's
	// goroutine, before the daemon starts: a TempDir made by Load, on the
	// daemon's goroutine, registered its removal after the cleanup that
	// stops the daemon, and was removed while the daemon still wrote to it.
	var cfg Config
	addr := make(chan net.Addr, 1)
	d := New(Options{
		Load:      func(client.Observer) (Config, error) { return cfg, nil },
		RetryBase: 20 * time.Millisecond,
		Listening: func(a net.Addr) { addr <- a },
	})
	cfg = engineConfig(t, srv, d.metrics, migrator.ModeApply)
	cfg.Listen = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done }) // runs before the TempDir's removal, registered earlier
	base := "http://" + (<-addr).String()

	waitFor(t, func() bool { return d.Status().Ready })
	for _, f := range flows {
		if f.Pending() && !migrated(srv, f.Namespace, f.ID) {
			t.Fatalf("%s/%s not migrated by the first pass", f.Namespace, f.ID)
		}
	}

	// drift: a copied blueprint, and a migrated flow redeployed from an old YAML
	if _, err := srv.AddFlow(driftedFlow); err != nil {
		t.Fatal(err)
	}
	var old fleettest.Flow
	for _, f := range flows {
		if f.Kind == fleettest.DockerImage {
			old = f
			break
		}
	}
	if _, err := srv.Edit(old.Namespace, old.ID, old.Source); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		return migrated(srv, "company.team00", "copied-blueprint") && migrated(srv, old.Namespace, old.ID)
	})

	// the state file can be read between passes, and holds source hashes
	waitFor(t, func() bool {
		st, err := store.Open(cfg.StatePath, store.Options{ReadOnly: true, Timeout: time.Second})
		if err != nil {
			return false
		}
		defer st.Close()
		if err := st.BindServer(store.ServerID{URL: srv.URL(), Tenant: "main", Instance: srv.Options().Instance}); err != nil {
			return false
		}
		states, err := st.FlowStates("company.team00")
		return err == nil && states["copied-blueprint"].SourceHash != "" && states["copied-blueprint"].Status == "migrated"
	})

	// the server goes down: not ready; back up: ready again
	srv.SetFaults(kestratest.Faults{Rate503: 1})
	waitFor(t, func() bool { code, _ := httpGet(t, base+"/readyz"); return code == http.StatusServiceUnavailable })
	if code, _ := httpGet(t, base+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz while the server is down: %d", code)
	}
	srv.SetFaults(kestratest.Faults{})
	waitFor(t, func() bool { code, _ := httpGet(t, base+"/readyz"); return code == http.StatusOK })

	_, text := httpGet(t, base+"/metrics")
	for _, s := range []string{`kestra_migrator_http_requests_total{code="503",endpoint=`,
		`kestra_migrator_http_retries_total{code="503",endpoint=`, `kestra_migrator_passes_total{mode="apply",result="failure"}`,
		`kestra_migrator_flows{namespace="company.team00",status="up-to-date"}`} {
		if !strings.Contains(text, s) {
			t.Errorf("/metrics lacks %s", s)
		}
	}
	code, body := httpGet(t, base+"/status")
	var rep report.Report
	if err := json.Unmarshal([]byte(body), &rep); code != http.StatusOK || err != nil {
		t.Fatalf("/status: %d %v", code, err)
	}
	if rep.Summary.Flows != len(flows)+1 || rep.Summary.Pending+rep.Summary.Failed+rep.Summary.Conflict != 0 {
		t.Errorf("/status summary after the drift was fixed: %+v", rep.Summary)
	}
}
