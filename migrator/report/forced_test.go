package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/kestra-migrator/kestra-migrator/store"
)

// TestForcedRestoresAreListedAsSuch: rollback --force overwrote an edit;
// every human format says so next to the flow.
func TestForcedRestoresAreListedAsSuch(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	rec := NewRecorder("rollback", "run-2", now)
	rec.Add(Item{Namespace: "a", ID: "edited", Status: StatusRestored, Forced: true})
	rec.Add(Item{Namespace: "a", ID: "clean", Status: StatusRestored})
	rep := rec.Finish(now)
	for _, name := range []string{"table", "markdown", "html", "json"} {
		var buf bytes.Buffer
		if err := Write(&buf, name, rep); err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(buf.String(), "forced"); n != 1 && !(name == "html" && n >= 1) {
			t.Errorf("%s: %d mentions of forced:\n%s", name, n, buf.String())
		}
	}
}

// TestHTMLStatusShowsItsSourceAndRuns: the status page says it is the state
// file's view and lists the last runs, restored flows as restored.
func TestHTMLStatusShowsItsSourceAndRuns(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	rep := StatusReport(nil, nil, now)
	rep.Runs = []RunSummary{{RunID: "run-9", Command: "rollback", Status: "done", StartedAt: now, Summary: Counts{Flows: 3, Restored: 3}}}
	var buf bytes.Buffer
	if err := Write(&buf, "html", rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"state file", "run-9", "3 restored"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("the status page lacks %q", want)
		}
	}
}

// TestStatusKeepsServersApart: one state file holding two servers' progress
// for the same namespace shows two rows, never their sum.
func TestStatusKeepsServersApart(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	progress := []store.NamespaceProgress{
		{Namespace: "company", Counts: map[string]int{"migrated": 2}, Complete: true, Server: store.ServerID{URL: "http://a:8080", Tenant: "main"}},
		{Namespace: "company", Counts: map[string]int{"migrated": 3}, Complete: true, Server: store.ServerID{URL: "http://b:8080"}},
	}
	rep := StatusReport(progress, nil, now)
	if len(rep.Namespaces) != 2 || rep.Summary.Migrated != 5 {
		t.Fatalf("%d namespaces, %d migrated: want two rows, one per server", len(rep.Namespaces), rep.Summary.Migrated)
	}
	for _, ns := range rep.Namespaces {
		if ns.Migrated == 5 || !strings.Contains(ns.Namespace, "http://") {
			t.Errorf("row %q: %d migrated", ns.Namespace, ns.Migrated)
		}
	}
	if one := StatusReport(progress[:1], nil, now); one.Namespaces[0].Namespace != "company" {
		t.Errorf("one server: row %q, want the bare namespace", one.Namespaces[0].Namespace)
	}
}
