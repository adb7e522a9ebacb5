package migrator_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/migrator/fleettest"
)

// TestSelectorThatMatchesNothingIsAnError: a --namespace or --flow that
// names nothing on the server is an error wrapping ErrNoMatch that names
// it; apply records no run and writes nothing (a typo is never a success).
func TestSelectorThatMatchesNothingIsAnError(t *testing.T) {
	f := fleettest.NewFleet(t, fleettest.Generate(20, 2, 0.5, false), kestratest.Options{})
	real := f.Flows[0]
	cases := []struct {
		sel  migrator.Selection
		want []string // named in the error
	}{
		{migrator.Selection{Namespaces: []string{"does.not.exist"}}, []string{"--namespace does.not.exist"}},
		{migrator.Selection{Flows: []string{real.Namespace + "/nope"}}, []string{"--flow " + real.Namespace + "/nope"}},
		{migrator.Selection{Flows: []string{"no.such/flow", real.Namespace + "/" + real.ID}, Namespaces: []string{real.Namespace, "typo"}},
			[]string{"--flow no.such/flow", "--namespace typo"}},
	}
	for _, mode := range []migrator.Mode{migrator.ModePlan, migrator.ModeApply} {
		for _, c := range cases {
			rep, err := f.Engine().Run(context.Background(), migrator.RunOptions{Mode: mode, Selection: c.sel})
			if !errors.Is(err, migrator.ErrNoMatch) || rep != nil {
				t.Errorf("%s %v: %v (report %v), want an error wrapping ErrNoMatch and no report", mode, c.sel.Strings(), err, rep != nil)
				continue
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%s %v: %q does not name %q", mode, c.sel.Strings(), err, w)
				}
			}
			if strings.Contains(err.Error(), real.Namespace+"/"+real.ID) {
				t.Errorf("%s: %q names a flow that exists", mode, err)
			}
		}
	}
	if runs, err := f.Store.Runs(0); err != nil || len(runs) != 0 {
		t.Errorf("%d runs recorded (%v), want none", len(runs), err)
	}
	if f.Server.Writes() != 0 {
		t.Errorf("%d writes", f.Server.Writes())
	}
}

// TestRollbackThatSelectsNothingIsAnError: a --run that is not in the state
// file, or a selection without any snapshot, is an error wrapping
// ErrNoMatch, and no rollback run is recorded.
func TestRollbackThatSelectsNothingIsAnError(t *testing.T) {
	f := fleettest.NewFleet(t, fleettest.Generate(20, 2, 0.5, false), kestratest.Options{})
	applied := f.Run(t, migrator.ModeApply)
	for _, o := range []migrator.RollbackOptions{{RunID: "nope"}, {Namespace: "does.not.exist"}, {Flow: "company.x/nope"},
		{RunID: applied.RunID, Namespace: "does.not.exist"}} {
		rep, err := f.Engine().Rollback(context.Background(), o)
		if !errors.Is(err, migrator.ErrNoMatch) || rep != nil {
			t.Errorf("rollback %+v: %v, want an error wrapping ErrNoMatch and no report", o, err)
			continue
		}
		for _, name := range []string{o.RunID, o.Namespace, o.Flow} {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("rollback %+v: %q does not name %q", o, err, name)
			}
		}
	}
	runs, err := f.Store.Runs(0)
	if err != nil || len(runs) != 1 || runs[0].ID != applied.RunID {
		t.Errorf("runs after the refused rollbacks: %+v (%v), want only the apply", runs, err)
	}
}

func TestParseFlowRef(t *testing.T) {
	ref, err := migrator.ParseFlowRef("company.data/Etl.v2")
	if err != nil || ref.Namespace != "company.data" || ref.ID != "Etl.v2" || ref.String() != "company.data/Etl.v2" {
		t.Errorf("ParseFlowRef: %+v %v", ref, err)
	}
	for _, bad := range []string{"", "company", "company/", "/etl", "Company/etl", "company/a/b", "company/-x"} {
		if _, err := migrator.ParseFlowRef(bad); err == nil {
			t.Errorf("ParseFlowRef(%q) accepted", bad)
		}
	}
	if err := (migrator.RollbackOptions{Flow: "company/a/b"}).Validate(); err == nil {
		t.Error("rollback --flow company/a/b accepted")
	}
}

// TestExcludedFlowsAreCountedNeverTouched: flows the operator acknowledged
// (--exclude-flow) are counted as excluded, never read nor written.
func TestExcludedFlowsAreCountedNeverTouched(t *testing.T) {
	flows := []fleettest.Flow{fleettest.Make("company.a", "ack", fleettest.BadRunner), fleettest.Make("company.a", "todo", fleettest.Process),
		fleettest.Make("company.a", "legacy-kept", fleettest.Process)}
	f := fleettest.NewFleet(t, flows, kestratest.Options{})
	sel := migrator.Selection{All: true, ExcludeFlows: []string{"company.a/ack", "company.a/legacy-kept"}}
	rep, err := f.Engine().Run(context.Background(), migrator.RunOptions{Mode: migrator.ModeApply, Selection: sel})
	if err != nil {
		t.Fatal(err)
	}
	if c := rep.Summary.Counts; c.Excluded != 2 || c.Migrated != 1 || c.Unsupported != 0 || c.Flows != 3 {
		t.Errorf("summary %+v, want 2 excluded, 1 migrated", c)
	}
	if n := len(f.Server.Revisions("company.a", "legacy-kept")); n != 1 {
		t.Errorf("an excluded flow was written (%d revisions)", n)
	}
	if (migrator.Selection{ExcludeFlows: []string{"nope"}}).Validate() == nil {
		t.Error("--exclude-flow nope accepted")
	}
}
