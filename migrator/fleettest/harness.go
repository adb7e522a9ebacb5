package fleettest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/migrator/report"
	"github.com/kestra-migrator/kestra-migrator/migrator/rewrite"
	"github.com/kestra-migrator/kestra-migrator/store"
)

// Fleet is a fake Kestra seeded with generated flows, a client of it and a
// state file, for tests that run the engine in-process (race-checked).
type Fleet struct {
	Server *kestratest.Server
	URL    string // where the client reaches the server: the fake itself or a proxy in front of it
	Client *client.Client
	Store  *store.Store
	Flows  []Flow
}

// NoTimeout is the per-request timeout of the tests' clients: none a loaded
// machine can reach (the race detector on two busy cores slows the fake
// tenfold: a 3,000-flow export took more than 5s); a hang is caught by go
// test's own -timeout, and the tests about timeouts set their own.
const NoTimeout = time.Hour

// ClientConfig is a client of url with the credentials of opts; its retries
// are quick (a Retry-After still wins).
func ClientConfig(url string, opts kestratest.Options) client.Config {
	return client.Config{Server: url, IdentifyFlow: rewrite.FlowIdentity, Username: opts.Username, Password: opts.Password, Token: opts.Token,
		Retries: 8, RetryWaitMin: time.Millisecond, RetryWaitMax: 20 * time.Millisecond, Timeout: NoTimeout}
}

// NewFleet starts a fake with opts, seeds it with flows, and connects a
// client and a state file, all closed when tb ends.
func NewFleet(tb testing.TB, flows []Flow, opts kestratest.Options) *Fleet {
	tb.Helper()
	srv := kestratest.Start(tb, opts)
	return NewFleetOn(tb, srv, srv.URL(), flows, ClientConfig(srv.URL(), opts))
}

// NewFleetOn seeds srv, reached at url (the server itself or a proxy in
// front of it), and connects a client with cfg and a state file.
func NewFleetOn(tb testing.TB, srv *kestratest.Server, url string, flows []Flow, cfg client.Config) *Fleet {
	tb.Helper()
	if err := Seed(srv, flows); err != nil {
		tb.Fatal(err)
	}
	cli, err := client.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	st, err := store.Open(filepath.Join(tb.TempDir(), "state", "state.db"), store.Options{NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return &Fleet{Server: srv, URL: url, Client: cli, Store: st, Flows: flows}
}

// Engine is an engine over the fleet's client and state file: four workers,
// validating before each write.
func (f *Fleet) Engine() *migrator.Engine {
	return &migrator.Engine{Source: f.Client, Store: f.Store, Rewriter: rewrite.MustRewriter(rewrite.Options{}),
		Concurrency: 4, Validate: true}
}

// Run runs mode over every namespace, resuming, and fails tb on an error.
func (f *Fleet) Run(tb testing.TB, mode migrator.Mode) *report.Report {
	tb.Helper()
	rep, err := f.Engine().Run(context.Background(), migrator.RunOptions{Mode: mode,
		Selection: migrator.Selection{All: true}, Resume: true})
	if err != nil {
		tb.Fatalf("%s: %v", mode, err)
	}
	return rep
}

// Pending is the number of flows an apply should write.
func (f *Fleet) Pending() int {
	n := 0
	for _, fl := range f.Flows {
		if fl.Pending() {
			n++
		}
	}
	return n
}

// Items indexes a report's items by "namespace/id".
func Items(rep *report.Report) map[string]report.Item {
	out := map[string]report.Item{}
	for _, ns := range rep.Namespaces {
		for _, it := range ns.Items {
			out[it.Namespace+"/"+it.ID] = it
		}
	}
	return out
}

// Reason is an item's reason, "" when it has none.
func Reason(it report.Item) string {
	if it.Reason == nil {
		return ""
	}
	return *it.Reason
}
