package migrator_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/migrator/fleettest"
	"github.com/kestra-migrator/kestra-migrator/migrator/report"
	"github.com/kestra-migrator/kestra-migrator/store"
)

// TestRollbackPutsBackAnEditBetweenItsReadAndItsWrite: a person edits a flow
// right before the rollback's write lands (every third write). The rollback
// goes through apply's guarded write: the edit is put back, the flow is a
// conflict, and no edit is lost.
func TestRollbackPutsBackAnEditBetweenItsReadAndItsWrite(t *testing.T) {
	f := fleettest.NewFleet(t, fleettest.Generate(60, 3, 0.5, false), kestratest.Options{})
	applied := f.Run(t, migrator.ModeApply)
	e := f.Engine()
	e.Source = &editBeforeWrite{FlowSource: f.Client, srv: f.Server}
	rep, err := e.Rollback(context.Background(), migrator.RollbackOptions{RunID: applied.RunID})
	if err != nil {
		t.Fatal(err)
	}
	edits := f.Server.EditedFlows()
	if len(edits) == 0 {
		t.Fatal("no edit raced the rollback: the test proves nothing")
	}
	assertEditsKept(t, f.Server, edits)
	items := fleettest.Items(rep)
	for _, ed := range edits {
		it := items[ed.Namespace+"/"+ed.ID]
		if it.Status != report.StatusConflict || !strings.Contains(fleettest.Reason(it), "was restored") {
			t.Errorf("%s/%s: %s (%s), want a conflict whose edit was put back", ed.Namespace, ed.ID, it.Status, fleettest.Reason(it))
		}
	}
	if rep.Summary.Conflict != len(edits) || rep.Summary.Restored != applied.Summary.Migrated-len(edits) || rep.Summary.Migrated != 0 {
		t.Errorf("rollback summary %+v: want %d restored, %d conflicts", rep.Summary.Counts, applied.Summary.Migrated-len(edits), len(edits))
	}
}

// TestRollbackForceOverwritesOnlyWhenAskedAndSaysSo: a flow edited since its
// migration is a conflict; with --force it is restored, and the report
// names it as overwritten.
func TestRollbackForceOverwritesOnlyWhenAskedAndSaysSo(t *testing.T) {
	flows := []fleettest.Flow{fleettest.Make("company.a", "edited", fleettest.Process), fleettest.Make("company.a", "clean", fleettest.Process)}
	f := fleettest.NewFleet(t, flows, kestratest.Options{})
	f.Run(t, migrator.ModeApply)
	cur, _ := f.Server.Flow("company.a", "edited")
	if _, err := f.Server.Edit("company.a", "edited", cur.Source+"# edited by a human after the migration\n"); err != nil {
		t.Fatal(err)
	}
	rep, err := f.Engine().Rollback(context.Background(), migrator.RollbackOptions{Namespace: "company.a"})
	if err != nil {
		t.Fatal(err)
	}
	items := fleettest.Items(rep)
	if it := items["company.a/edited"]; it.Status != report.StatusConflict || !strings.Contains(fleettest.Reason(it), "--force") {
		t.Errorf("edited flow without --force: %s (%s)", it.Status, fleettest.Reason(it))
	}
	if it := items["company.a/clean"]; it.Status != report.StatusRestored || strings.Contains(fleettest.Reason(it), "overwrote") {
		t.Errorf("clean flow: %s (%s)", it.Status, fleettest.Reason(it))
	}
	if now, _ := f.Server.Flow("company.a", "edited"); !strings.Contains(now.Source, "edited by a human") {
		t.Fatal("the rollback overwrote an edited flow without --force")
	}
	forced, err := f.Engine().Rollback(context.Background(), migrator.RollbackOptions{Flow: "company.a/edited", Force: true})
	if err != nil {
		t.Fatal(err)
	}
	it := fleettest.Items(forced)["company.a/edited"]
	if it.Status != report.StatusRestored || !it.Forced || !strings.HasPrefix(fleettest.Reason(it), "--force: overwrote") {
		t.Errorf("--force: %s (%s), want restored and said overwritten", it.Status, fleettest.Reason(it))
	}
	if len(forced.Warnings) == 0 || !strings.Contains(strings.Join(forced.Warnings, "\n"), "company.a/edited") {
		t.Errorf("--force warnings %q do not name the overwritten flow", forced.Warnings)
	}
	if now, _ := f.Server.Flow("company.a", "edited"); now.Source != flows[0].Source {
		t.Errorf("--force did not restore the original:\n%s", now.Source)
	}
}

// mangler stands for a server (or a proxy) that stores other bytes than
// those sent: the write must be checked against the answer.
type mangler struct {
	migrator.FlowSource
	n atomic.Int64
}

func (m *mangler) UpdateFlow(ctx context.Context, ns, id string, src []byte) (*client.Flow, error) {
	if m.n.Add(1)%2 == 0 {
		src = []byte(strings.ReplaceAll(string(src), "\n", "\r\n")) // a proxy "normalising" line ends
	}
	return m.FlowSource.UpdateFlow(ctx, ns, id, src)
}

// TestWriteIsVerifiedAgainstTheAnswer: when the source the server answers
// after a write differs from the one sent, the flow is failed with the
// reason, never migrated; its snapshot stays restorable.
func TestWriteIsVerifiedAgainstTheAnswer(t *testing.T) {
	f := fleettest.NewFleet(t, fleettest.Generate(40, 2, 0.5, false), kestratest.Options{})
	e := f.Engine()
	e.Source = &mangler{FlowSource: f.Client}
	rep, err := e.Run(context.Background(), migrator.RunOptions{Mode: migrator.ModeApply, Selection: migrator.Selection{All: true}})
	if err != nil {
		t.Fatal(err)
	}
	mangled := 0
	for _, fl := range f.Flows {
		cur, _ := f.Server.Flow(fl.Namespace, fl.ID)
		it := fleettest.Items(rep)[fl.Namespace+"/"+fl.ID]
		switch {
		case !strings.Contains(cur.Source, "\r\n"):
			if fl.Pending() && it.Status != report.StatusMigrated {
				t.Errorf("%s/%s stored as sent: %s (%s)", fl.Namespace, fl.ID, it.Status, fleettest.Reason(it))
			}
		case it.Status != report.StatusFailed || !strings.Contains(fleettest.Reason(it), "differs from the one sent"):
			t.Errorf("%s/%s stored other bytes than sent, reported %s (%s)", fl.Namespace, fl.ID, it.Status, fleettest.Reason(it))
		default:
			mangled++
		}
	}
	if mangled == 0 || rep.Summary.Failed != mangled || rep.Summary.Migrated+mangled != pendingOf(f.Flows) {
		t.Errorf("%d mangled writes; summary %+v", mangled, rep.Summary.Counts)
	}
	// the original stays restorable
	rb, err := f.Engine().Rollback(context.Background(), migrator.RollbackOptions{RunID: rep.RunID, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if rb.Summary.Restored != pendingOf(f.Flows) {
		t.Errorf("rollback --force restored %d of %d", rb.Summary.Restored, pendingOf(f.Flows))
	}
	written, _ := f.Store.Snapshots(store.SnapshotFilter{RunID: rep.RunID, State: store.SnapshotWritten, SkipSources: true})
	if len(written) != 0 {
		t.Errorf("%d snapshots still written after the rollback", len(written))
	}
}

// pendingOf counts the flows an apply should write.
func pendingOf(flows []fleettest.Flow) int {
	n := 0
	for _, fl := range flows {
		if fl.Pending() {
			n++
		}
	}
	return n
}

// TestStatusAfterRollbackCountsRestoredAndConflicts: the per-namespace
// progress that status reads moves restored flows out of "migrated" into
// "restored", and counts the flows the rollback found in conflict.
func TestStatusAfterRollbackCountsRestoredAndConflicts(t *testing.T) {
	f := fleettest.NewFleet(t, fleettest.Generate(60, 3, 0.5, false), kestratest.Options{})
	applied := f.Run(t, migrator.ModeApply)
	var edited fleettest.Flow
	for _, fl := range f.Flows {
		if fl.Pending() {
			edited = fl
			break
		}
	}
	cur, _ := f.Server.Flow(edited.Namespace, edited.ID)
	if _, err := f.Server.Edit(edited.Namespace, edited.ID, cur.Source+"# edited by a human\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Engine().Rollback(context.Background(), migrator.RollbackOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	progress, err := f.Store.AllProgress()
	if err != nil {
		t.Fatal(err)
	}
	status := report.StatusReport(progress, nil, time.Now())
	want := applied.Summary.Counts
	want.Restored, want.Conflict, want.Migrated = want.Migrated-1, 1, 0
	if status.Summary.Counts != want {
		t.Errorf("status after the rollback:\n got %+v\nwant %+v", status.Summary.Counts, want)
	}
}
