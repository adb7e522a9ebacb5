package daemon

import (
	"context"
	"testing"

	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/migrator/fleettest"
	"github.com/kestra-migrator/kestra-migrator/migrator/report"
)

// TestDriftedFlowKeepsItsChangesInEveryPass: in plan mode, a drifted flow
// stays pending pass after pass; /status and /report must carry its
// changes, warnings and diff every time, as plan does, including the first
// pass of a restarted daemon (which has no earlier report at hand).
func TestDriftedFlowKeepsItsChangesInEveryPass(t *testing.T) {
	srv := kestratest.Start(t, kestratest.Options{})
	if err := fleettest.Seed(srv, fleettest.Generate(40, 2, 0, false)); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.AddFlow(driftedFlow); err != nil {
		t.Fatal(err)
	}
	d := New(Options{})
	cfg := engineConfig(t, srv, d.metrics, migrator.ModePlan)
	check := func(pass string, d *Daemon) {
		t.Helper()
		if err := d.runPass(context.Background(), cfg); err != nil {
			t.Fatalf("%s: %v", pass, err)
		}
		rep := d.Status().Report
		var it *report.Item
		for _, ns := range rep.Namespaces {
			for i := range ns.Items {
				if ns.Items[i].ID == "copied-blueprint" {
					it = &ns.Items[i]
				}
			}
		}
		if it == nil || it.Status != report.StatusPending || len(it.Changes) == 0 || it.Diff == "" {
			t.Errorf("%s: the drifted flow is reported %+v, want pending with its changes and diff", pass, it)
		}
	}
	check("first pass", d)
	check("second pass", d)
	check("third pass", d)
	check("first pass after a restart", New(Options{}))
	if srv.Writes() != 0 {
		t.Errorf("plan passes wrote %d times", srv.Writes())
	}
}

// TestBlockedFlowStaysBlockedInEveryPass: a flow whose only findings are
// detections (a ForEach loop 2.0 refuses) is up to date for the rewrite;
// passes that do not read it again must keep its detection, or the fleet's
// readiness would call it ready from the second pass on.
func TestBlockedFlowStaysBlockedInEveryPass(t *testing.T) {
	srv := kestratest.Start(t, kestratest.Options{})
	if _, err := srv.AddFlow("id: loop\nnamespace: company.ops\ntasks:\n  - id: each\n    type: io.kestra.plugin.core.flow.ForEach\n    values: [a, b]\n    tasks:\n      - id: log\n        type: io.kestra.plugin.core.log.Log\n        message: hi\n"); err != nil {
		t.Fatal(err)
	}
	d := New(Options{})
	cfg := engineConfig(t, srv, d.metrics, migrator.ModePlan)
	for _, pass := range []string{"first pass", "second pass", "third pass"} {
		if err := d.runPass(context.Background(), cfg); err != nil {
			t.Fatalf("%s: %v", pass, err)
		}
		r := d.Status().Report.Readiness
		if r.Blocking != 1 || r.ByCode["foreach-loop"] != 1 {
			t.Errorf("%s: readiness %+v, want the loop blocking on foreach-loop", pass, r)
		}
	}
}
