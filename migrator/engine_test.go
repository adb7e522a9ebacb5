package migrator_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/migrator/fleettest"
	"github.com/kestra-migrator/kestra-migrator/migrator/report"
)

// expected counts per namespace and status, from how the flows were built.
func expected(flows []fleettest.Flow) map[string]map[string]int {
	want := map[string]map[string]int{}
	for _, fl := range flows {
		if want[fl.Namespace] == nil {
			want[fl.Namespace] = map[string]int{}
		}
		want[fl.Namespace][fl.Expect]++
	}
	return want
}

func countsOf(rep *report.Report) map[string]map[string]int {
	got := map[string]map[string]int{}
	for _, ns := range rep.Namespaces {
		got[ns.Namespace] = map[string]int{}
		for _, s := range report.Statuses {
			if n := ns.Get(s); n > 0 {
				got[ns.Namespace][string(s)] = n
			}
		}
	}
	return got
}

func TestPlanCountsPerNamespaceAndNeverWrites(t *testing.T) {
	f := fleettest.NewFleet(t, fleettest.Generate(300, 12, 0.4, true), kestratest.Options{})
	rep := f.Run(t, migrator.ModePlan)
	if f.Server.Writes() != 0 {
		t.Fatalf("plan made %d write calls", f.Server.Writes())
	}
	want, got := expected(f.Flows), countsOf(rep)
	if fmt.Sprint(want) != fmt.Sprint(got) {
		t.Errorf("plan counts per namespace:\n got %v\nwant %v", got, want)
	}
	if rep.Summary.Namespaces != 12 || rep.Summary.Flows != 300 {
		t.Errorf("summary %+v", rep.Summary)
	}
	for _, ns := range rep.Namespaces {
		for _, it := range ns.Items {
			if (it.Status == report.StatusInvalid || it.Status == report.StatusFailed || it.Status == report.StatusUnsupported) && it.Reason == nil {
				t.Errorf("%s/%s %s without a reason", it.Namespace, it.ID, it.Status)
			}
		}
	}
}

func TestApplyMigratesOnceThenRollbackRestoresEveryByte(t *testing.T) {
	f := fleettest.NewFleet(t, fleettest.Generate(240, 10, 0.5, true), kestratest.Options{})
	rep := f.Run(t, migrator.ModeApply)
	pending := 0
	for _, fl := range f.Flows {
		cur, _ := f.Server.Flow(fl.Namespace, fl.ID)
		revs := len(f.Server.Revisions(fl.Namespace, fl.ID))
		switch {
		case fl.Pending():
			pending++
			if revs != 2 || strings.Contains(cur.Source, "runner: ") && !strings.Contains(cur.Source, "taskRunner") {
				t.Errorf("%s/%s: %d revisions after apply, source:\n%s", fl.Namespace, fl.ID, revs, cur.Source)
			}
			if _, err := f.Store.Snapshot(rep.RunID, fl.Namespace, fl.ID); err != nil {
				t.Errorf("%s/%s: no snapshot: %v", fl.Namespace, fl.ID, err)
			}
		default:
			if revs != 1 || cur.Source != fl.Source {
				t.Errorf("%s/%s (%s) changed: %d revisions", fl.Namespace, fl.ID, fl.Expect, revs)
			}
		}
	}
	if rep.Summary.Migrated != pending {
		t.Errorf("migrated %d, want %d", rep.Summary.Migrated, pending)
	}
	writes := f.Server.Writes()
	again := f.Run(t, migrator.ModeApply)
	if f.Server.Writes() != writes || again.Summary.Migrated != 0 {
		t.Errorf("second apply wrote %d times, migrated %d", f.Server.Writes()-writes, again.Summary.Migrated)
	}
	rb, err := f.Engine().Rollback(context.Background(), migrator.RollbackOptions{RunID: rep.RunID})
	if err != nil {
		t.Fatal(err)
	}
	if rb.Summary.Restored != pending || rb.Summary.Migrated+rb.Summary.Conflict+rb.Summary.Failed != 0 {
		t.Errorf("rollback summary %+v, want %d restored", rb.Summary, pending)
	}
	for _, fl := range f.Flows {
		if cur, _ := f.Server.Flow(fl.Namespace, fl.ID); cur.Source != fl.Source {
			t.Errorf("%s/%s not restored byte for byte", fl.Namespace, fl.ID)
		}
	}
}

func TestValidationRejectsMigratedFlow(t *testing.T) {
	flows := []fleettest.Flow{fleettest.Make("company.a", "bad", fleettest.Invalid), fleettest.Make("company.a", "good", fleettest.Process)}
	f := fleettest.NewFleet(t, flows, kestratest.Options{})
	rep := f.Run(t, migrator.ModeApply)
	items := map[string]report.Item{}
	for _, it := range rep.Namespaces[0].Items {
		items[it.ID] = it
	}
	if it := items["bad"]; it.Status != report.StatusInvalid || it.Reason == nil || !strings.Contains(*it.Reason, fleettest.InvalidMarker) {
		t.Errorf("bad: %s %v", it.Status, it.Reason)
	}
	if n := len(f.Server.Revisions("company.a", "bad")); n != 1 {
		t.Errorf("the invalid flow was written (%d revisions)", n)
	}
	if items["good"].Status != report.StatusMigrated {
		t.Errorf("good: %s", items["good"].Status)
	}
}

func TestConcurrentEditorNeverLosesAnEdit(t *testing.T) {
	f := fleettest.NewFleet(t, fleettest.Generate(200, 8, 0.5, false), kestratest.Options{})
	f.Server.SetEditor(kestratest.Editor{Rate: 0.3, Seed: 7, OnExport: true})
	rep := f.Run(t, migrator.ModeApply)
	f.Server.SetEditor(kestratest.Editor{})
	edits := f.Server.EditedFlows()
	if len(edits) == 0 || rep.Summary.Conflict == 0 {
		t.Fatalf("the editor made %d edits, %d conflicts: the test proves nothing", len(edits), rep.Summary.Conflict)
	}
	assertEditsKept(t, f.Server, edits)
	// a later pass migrates the edited flows from their edited revision
	f.Run(t, migrator.ModeApply)
	assertEditsKept(t, f.Server, edits)
	for _, fl := range f.Flows {
		if cur, _ := f.Server.Flow(fl.Namespace, fl.ID); fl.Pending() && !strings.Contains(cur.Source, "taskRunner") {
			t.Errorf("%s/%s not migrated after the second pass", fl.Namespace, fl.ID)
		}
	}
}

// assertEditsKept: every human edit's marker is still in the current source.
func assertEditsKept(t *testing.T, srv *kestratest.Server, edits []kestratest.Edit) {
	t.Helper()
	for _, e := range edits {
		revs := srv.Revisions(e.Namespace, e.ID)
		var edited string
		for _, r := range revs {
			if r.Revision == e.Revision {
				edited = r.Source
			}
		}
		marker := edited[strings.LastIndex(edited, "# edited by a human"):]
		if cur, _ := srv.Flow(e.Namespace, e.ID); !strings.Contains(cur.Source, strings.TrimSpace(marker)) {
			t.Errorf("%s/%s: the edit of revision %d was lost; now:\n%s", e.Namespace, e.ID, e.Revision, cur.Source)
		}
	}
}

func TestApplyCompletesUnderFaults(t *testing.T) {
	f := fleettest.NewFleet(t, fleettest.Generate(150, 6, 0.4, false), kestratest.Options{})
	f.Server.SetFaults(kestratest.Faults{Rate503: 0.1, Every429: 25, RetryAfter: time.Millisecond, DropRate: 0.05, Seed: 3})
	rep := f.Run(t, migrator.ModeApply)
	f.Server.SetFaults(kestratest.Faults{})
	if rep.Summary.Failed != 0 || rep.Summary.Conflict != 0 {
		t.Fatalf("faults made flows fail: %+v", rep.Summary)
	}
	for _, fl := range f.Flows {
		if n := len(f.Server.Revisions(fl.Namespace, fl.ID)); fl.Pending() && n != 2 {
			t.Errorf("%s/%s: %d revisions, want 2", fl.Namespace, fl.ID, n)
		}
	}
}

// editBeforeWrite lands a human edit on the server between the engine's
// re-read and its write, for every third write: the worst race Kestra's API
// allows (it has no optimistic concurrency).
type editBeforeWrite struct {
	migrator.FlowSource
	srv   *kestratest.Server
	calls atomic.Int64
}

func (e *editBeforeWrite) UpdateFlow(ctx context.Context, ns, id string, src []byte) (*client.Flow, error) {
	restoring := strings.Contains(string(src), "between the re-read and the write")
	if !restoring && e.calls.Add(1)%3 == 0 {
		cur, _ := e.srv.Flow(ns, id)
		if _, err := e.srv.Edit(ns, id, cur.Source+"# edited by a human between the re-read and the write\n"); err != nil {
			return nil, err
		}
	}
	return e.FlowSource.UpdateFlow(ctx, ns, id, src)
}

func TestEditBetweenReReadAndWriteIsPutBack(t *testing.T) {
	f := fleettest.NewFleet(t, fleettest.Generate(60, 3, 0.5, false), kestratest.Options{})
	e := f.Engine()
	racy := &editBeforeWrite{FlowSource: f.Client, srv: f.Server}
	e.Source = racy
	rep, err := e.Run(context.Background(), migrator.RunOptions{Mode: migrator.ModeApply, Selection: migrator.Selection{All: true}})
	if err != nil {
		t.Fatal(err)
	}
	edits := f.Server.EditedFlows()
	if len(edits) == 0 || rep.Summary.Conflict != len(edits) {
		t.Fatalf("%d edits, %d conflicts: every raced flow must be a conflict", len(edits), rep.Summary.Conflict)
	}
	for _, ed := range edits {
		cur, _ := f.Server.Flow(ed.Namespace, ed.ID)
		if !strings.HasSuffix(cur.Source, "# edited by a human between the re-read and the write\n") || strings.Contains(cur.Source, "taskRunner") {
			t.Errorf("%s/%s: the edit was not put back as the current source:\n%s", ed.Namespace, ed.ID, cur.Source)
		}
	}
	again := f.Run(t, migrator.ModeApply) // the next pass migrates the edited flows
	if again.Summary.Migrated != len(edits) || again.Summary.Conflict != 0 {
		t.Errorf("second pass: %+v", again.Summary)
	}
}

// TestSmallParentNamespaceIsNotExportedWithItsChildren: the export of a
// namespace carries its children's sources too; a parent whose own flows
// are a small part of its subtree reads them one by one instead.
func TestSmallParentNamespaceIsNotExportedWithItsChildren(t *testing.T) {
	var flows []fleettest.Flow
	flows = append(flows, fleettest.Make("company", "root-a", fleettest.Process), fleettest.Make("company", "root-b", fleettest.UpToDate))
	for i := 0; i < 60; i++ {
		flows = append(flows, fleettest.Make("company.team", fmt.Sprintf("f%02d", i), fleettest.Kind(i%5)))
	}
	f := fleettest.NewFleet(t, flows, kestratest.Options{})
	rep := f.Run(t, migrator.ModePlan)
	if want, got := expected(f.Flows), countsOf(rep); fmt.Sprint(want) != fmt.Sprint(got) {
		t.Errorf("counts %v, want %v", got, want)
	}
	if n := f.Server.RequestCount(kestratest.EndpointExport); n != 1 {
		t.Errorf("%d exports, want 1 (the child namespace's)", n)
	}
	if n := f.Server.RequestCount(kestratest.EndpointGet); n != 2 {
		t.Errorf("%d single reads, want 2 (the parent's flows)", n)
	}
}

// TestLargeNamespaceReReadsItsRevisionsAFewTimes: before each batch of
// writes the engine searches the namespace again; a large namespace takes
// larger batches so that stays a handful of searches, not one per 200 flows.
func TestLargeNamespaceReReadsItsRevisionsAFewTimes(t *testing.T) {
	var flows []fleettest.Flow
	for i := 0; i < 3000; i++ {
		k := fleettest.UpToDate
		if i%2 == 0 {
			k = fleettest.Process
		}
		flows = append(flows, fleettest.Make("company.big", fmt.Sprintf("f%04d", i), k))
	}
	f := fleettest.NewFleet(t, flows, kestratest.Options{})
	rep := f.Run(t, migrator.ModeApply)
	if rep.Summary.Migrated != 1500 {
		t.Fatalf("migrated %d, want 1500", rep.Summary.Migrated)
	}
	pages := 3000 / 500 // a search page holds 500 flows
	if n := f.Server.RequestCount(kestratest.EndpointSearch); n > 7*pages {
		t.Errorf("%d search requests for one namespace of 3,000 flows: more than 6 re-reads of %d pages", n, pages)
	}
}
