package chaos_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/migrator/fleettest"
	"github.com/kestra-migrator/kestra-migrator/migrator/report"
)

func (f *fleet) rollback(t *testing.T, e *migrator.Engine, opts migrator.RollbackOptions) *report.Report {
	t.Helper()
	rep, err := e.Rollback(context.Background(), opts)
	if err != nil {
		t.Fatalf("rollback %+v: %v", opts, err)
	}
	return rep
}

// changedFlows counts the flows that do not hold their original source.
func (f *fleet) changedFlows() int {
	n := 0
	for _, fl := range f.Flows {
		if cur, _ := f.Server.Flow(fl.Namespace, fl.ID); cur.Source != fl.Source {
			n++
		}
	}
	return n
}

// TestRollbackAllTwiceKeepsTheOriginals: "rollback --all" restores the
// original of every flow a migration wrote; running it again must leave
// the originals in place, not roll the rollback back. (Found by this suite;
// fixed in 50b29eb.)
func TestRollbackAllTwiceKeepsTheOriginals(t *testing.T) {
	f := &fleet{fleettest.NewFleet(t, fleettest.Generate(40, 4, 0.5, false), kestratest.Options{})}
	f.Run(t, migrator.ModeApply)
	e := f.Engine()
	first := f.rollback(t, e, migrator.RollbackOptions{All: true})
	if n := f.changedFlows(); n != 0 || first.Summary.Restored != f.Pending() {
		t.Fatalf("the first rollback --all restored %d flows, left %d changed", first.Summary.Restored, n)
	}
	// nothing is left to roll back: said so (ErrNoMatch), nothing written
	second, err := e.Rollback(context.Background(), migrator.RollbackOptions{All: true})
	if !errors.Is(err, migrator.ErrNoMatch) || second != nil {
		t.Errorf("the second rollback --all: %v, want an error wrapping ErrNoMatch and no report", err)
	}
	if n := f.changedFlows(); n != 0 {
		t.Errorf("the second rollback --all changed %d flows away from their original", n)
	}
}

// TestRollbackAllPicksTheLatestMigrationWithinOneSecond: apply, rollback,
// apply again, rollback --all, all within one second (a script, the chaos
// suite, a daemon's quick passes): the last rollback must restore the
// originals. Run ids carry the second plus a random suffix, so ordering
// them as text orders runs of the same second at random. (Found by this
// suite; fixed in 50b29eb.)
func TestRollbackAllPicksTheLatestMigrationWithinOneSecond(t *testing.T) {
	frozen := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	for attempt := 0; attempt < 16; attempt++ {
		f := &fleet{fleettest.NewFleet(t, fleettest.Generate(12, 2, 0.5, false), kestratest.Options{})}
		e := f.Engine()
		e.Now = func() time.Time { return frozen }
		run := func() {
			if _, err := e.Run(context.Background(), migrator.RunOptions{Mode: migrator.ModeApply,
				Selection: migrator.Selection{All: true}}); err != nil {
				t.Fatal(err)
			}
		}
		run()
		f.rollback(t, e, migrator.RollbackOptions{All: true})
		run()
		rep := f.rollback(t, e, migrator.RollbackOptions{All: true})
		if n := f.changedFlows(); n != 0 {
			t.Fatalf("attempt %d: the last rollback --all left %d of %d migrated flows unrestored (report: %+v)",
				attempt, n, f.Pending(), rep.Summary.Counts)
		}
	}
}

// TestRollbackUnderAConcurrentEditorLosesNoEdit: while a rollback runs, a
// person edits about 30% of the flows right after the rollback reads them,
// and about 20% of the flows just before its write lands. The rollback uses
// apply's guarded write: every edit survives (put back as the current
// revision), the edited flows are conflicts, the others are restored.
func TestRollbackUnderAConcurrentEditorLosesNoEdit(t *testing.T) {
	sz := suiteSizes()
	flows := fleettest.Generate(sz.flows, sz.namespaces, legacyShare, false)
	race := newRacer(0.2, 11)
	race.stop()
	srv, url := wrapped(t, kestratest.Options{}, race.hook)
	f := &fleet{fleettest.NewFleetOn(t, srv, url, flows, fleettest.ClientConfig(url, kestratest.Options{}))}
	applied := f.Run(t, migrator.ModeApply)
	race.mu.Lock()
	race.rate = 0.2
	race.mu.Unlock()
	f.Server.SetEditor(kestratest.Editor{Rate: 0.3, Seed: 11})
	rep := f.rollback(t, f.Engine(), migrator.RollbackOptions{RunID: applied.RunID})
	f.Server.SetEditor(kestratest.Editor{})
	race.stop()
	edits := f.Server.EditedFlows()
	edited := map[string]bool{}
	for _, e := range edits {
		edited[e.Namespace+"/"+e.ID] = true
	}
	if race.n == 0 || len(edits) == race.n {
		t.Fatalf("%d edits, %d just before a write: the test proves little", len(edits), race.n)
	}
	if lost := assertEditsKept(t, f.Server, edits); lost > 0 {
		t.Fatalf("the rollback lost %d of %d edits", lost, len(edits))
	}
	its := fleettest.Items(rep)
	for _, fl := range flows {
		if !fl.Pending() {
			continue
		}
		key := fl.Namespace + "/" + fl.ID
		it := its[key]
		cur, _ := f.Server.Flow(fl.Namespace, fl.ID)
		switch {
		case edited[key] && it.Status != report.StatusConflict:
			t.Errorf("%s was edited under the rollback, reported %s (%s)", key, it.Status, fleettest.Reason(it))
		case !edited[key] && (it.Status != report.StatusRestored || cur.Source != fl.Source):
			t.Errorf("%s not edited: reported %s (%s), original back: %v", key, it.Status, fleettest.Reason(it), cur.Source == fl.Source)
		}
	}
	t.Logf("%s: %d edits on %d flows under the rollback (%d just before its write); %d restored, %d conflicts, 0 lost",
		sz, len(edits), len(edited), race.n, rep.Summary.Restored, rep.Summary.Conflict)
}
