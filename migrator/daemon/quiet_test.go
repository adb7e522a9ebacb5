package daemon

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/migrator/fleettest"
)

// The quiet fleet: 10,000 flows over 40 namespaces, 5% of them legacy.
const (
	quietFlows      = 10_000
	quietNamespaces = 40
	quietPending    = 0.05
)

// quietFleet seeds the fake Kestra and runs a first apply pass, after which
// every flow is up to date and recorded in the state file.
func quietFleet(tb testing.TB) (*Daemon, Config, *kestratest.Server, []fleettest.Flow) {
	tb.Helper()
	srv := kestratest.Start(tb, kestratest.Options{})
	flows := fleettest.Generate(quietFlows, quietNamespaces, quietPending, false)
	if err := fleettest.Seed(srv, flows); err != nil {
		tb.Fatal(err)
	}
	d := New(Options{})
	cfg := engineConfig(tb, srv, d.metrics, migrator.ModeApply)
	if err := d.runPass(context.Background(), cfg); err != nil {
		tb.Fatalf("first pass: %v", err)
	}
	return d, cfg, srv, flows
}

// searchPages is how many search requests listing each namespace takes.
func searchPages(flows []fleettest.Flow) (namespaces, pages int) {
	perNS := map[string]int{}
	for _, f := range flows {
		perNS[f.Namespace]++
	}
	for _, n := range perNS {
		pages += (n + client.DefaultPageSize - 1) / client.DefaultPageSize
	}
	return len(perNS), pages
}

// TestQuietPassRequests: a pass over an unchanged fleet makes one search
// per namespace (plus paging) and the namespaces listing; a fresh client
// (after a reload) adds the server version and the tenant probe.
func TestQuietPassRequests(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 10,000 flows")
	}
	d, cfg, srv, flows := quietFleet(t)
	if rep := d.Status().Report; rep == nil || rep.Summary.Migrated == 0 || rep.Summary.Pending+rep.Summary.Failed != 0 {
		t.Fatalf("first pass: %+v", d.Status())
	}
	namespaces, pages := searchPages(flows)
	if namespaces != quietNamespaces {
		t.Fatalf("%d namespaces, want %d", namespaces, quietNamespaces)
	}
	for _, fresh := range []bool{false, true} {
		if fresh { // a reload builds a new client
			cfg.Engine.Source = engineConfig(t, srv, d.metrics, migrator.ModeApply).Engine.Source
		}
		srv.ResetCounters()
		if err := d.runPass(context.Background(), cfg); err != nil {
			t.Fatalf("quiet pass: %v", err)
		}
		got := srv.Requests()
		fixed := 1 // the namespaces listing
		if fresh {
			fixed += 2 // configs (server version) and the tenant probe (a search)
		}
		total := srv.TotalRequests()
		t.Logf("quiet pass (fresh client %v): %d requests for %d namespaces: %v", fresh, total, namespaces, sorted(got))
		if total > pages+fixed {
			t.Errorf("quiet pass made %d requests, want <= %d (%d search pages + %d fixed): %v", total, pages+fixed, pages, fixed, got)
		}
		if got[kestratest.EndpointSearch] < pages || got[kestratest.EndpointNamespaces] != 1 {
			t.Errorf("quiet pass did not list every namespace: %v", got)
		}
		for _, ep := range []string{kestratest.EndpointGet, kestratest.EndpointExport, kestratest.EndpointValidate, kestratest.EndpointUpdate} {
			if got[ep] != 0 {
				t.Errorf("quiet pass read or wrote flows: %d %s requests", got[ep], ep)
			}
		}
		if rep := d.Status().Report; rep.Summary.Flows != quietFlows || rep.Summary.UpToDate != quietFlows {
			t.Errorf("quiet pass report: %+v", rep.Summary)
		}
	}
}

func sorted(m map[string]int) []string {
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(out)
	return out
}

// BenchmarkQuietPass10k measures a pass over 10,000 unchanged flows in 40
// namespaces: its time and its requests to the server.
func BenchmarkQuietPass10k(b *testing.B) {
	d, cfg, srv, flows := quietFleet(b)
	namespaces, _ := searchPages(flows)
	requests := 0
	passes := 0
	for b.Loop() {
		srv.ResetCounters()
		if err := d.runPass(context.Background(), cfg); err != nil {
			b.Fatal(err)
		}
		requests += srv.TotalRequests()
		passes++
	}
	b.ReportMetric(float64(requests)/float64(passes), "requests/pass")
	b.ReportMetric(float64(requests)/float64(passes)/float64(namespaces), "requests/namespace")
}
