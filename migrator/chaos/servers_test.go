package chaos_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/migrator/fleettest"
	"github.com/kestra-migrator/kestra-migrator/migrator/report"
	"github.com/kestra-migrator/kestra-migrator/migrator/rewrite"
	"github.com/kestra-migrator/kestra-migrator/store"
)

// TestAStateFileNeverWritesToAnotherServer: servers A and B hold flows of
// the same namespaces and ids (a staging copy of production, say), with
// other sources. One state file, used first against A: whatever is run
// against B with it (rollback --all, --force, --run of A's apply), nothing
// of A's is written to B; an apply on B migrates B's own flows from their
// own sources; A's records stay whole, and A's rollback still restores
// every original byte for byte.
func TestAStateFileNeverWritesToAnotherServer(t *testing.T) {
	flowsA := fleettest.Generate(60, 4, 0.5, false)
	flowsB := make([]fleettest.Flow, len(flowsA))
	for i, f := range flowsA {
		f.Source += "# server B\n"
		flowsB[i] = f
	}
	a, b := kestratest.Start(t, kestratest.Options{}), kestratest.Start(t, kestratest.Options{})
	for srv, flows := range map[*kestratest.Server][]fleettest.Flow{a: flowsA, b: flowsB} {
		if err := fleettest.Seed(srv, flows); err != nil {
			t.Fatal(err)
		}
	}
	db := filepath.Join(t.TempDir(), "state.db")
	engine := func(srv *kestratest.Server) (*migrator.Engine, func()) {
		cli, err := client.New(fleettest.ClientConfig(srv.URL(), kestratest.Options{}))
		if err != nil {
			t.Fatal(err)
		}
		st, err := store.Open(db, store.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		return &migrator.Engine{Source: cli, Store: st, Rewriter: rewrite.MustRewriter(rewrite.Options{}), Concurrency: 4, Validate: true},
			func() { st.Close() }
	}
	run := func(srv *kestratest.Server, mode migrator.Mode) *report.Report {
		e, done := engine(srv)
		defer done()
		rep, err := e.Run(context.Background(), migrator.RunOptions{Mode: mode, Selection: migrator.Selection{All: true}, Resume: true})
		if err != nil {
			t.Fatalf("%s on %s: %v", mode, srv.URL(), err)
		}
		return rep
	}
	appliedA := run(a, migrator.ModeApply)
	if appliedA.Summary.Migrated == 0 {
		t.Fatal("nothing migrated on A: the test proves nothing")
	}

	for _, opts := range []migrator.RollbackOptions{{All: true}, {All: true, Force: true}, {RunID: appliedA.RunID}, {RunID: appliedA.RunID, Force: true}} {
		e, done := engine(b)
		_, err := e.Rollback(context.Background(), opts)
		done()
		if err == nil || !(errors.Is(err, store.ErrOtherServer) || errors.Is(err, migrator.ErrNoMatch)) {
			t.Errorf("rollback %+v against B with A's state file: %v, want a refusal", opts, err)
		}
		if opts.RunID != "" && !strings.Contains(err.Error(), a.URL()) {
			t.Errorf("rollback --run of A's apply against B: %v, want both servers named", err)
		}
	}
	if n := b.Writes(); n != 0 {
		t.Fatalf("%d writes reached B before any apply on it", n)
	}

	appliedB := run(b, migrator.ModeApply)
	if appliedB.Summary.Migrated != appliedA.Summary.Migrated || b.Writes() != appliedB.Summary.Migrated {
		t.Errorf("apply on B: %d migrated, %d writes; want B's own %d legacy flows, each written once",
			appliedB.Summary.Migrated, b.Writes(), appliedA.Summary.Migrated)
	}
	for _, f := range flowsB {
		if cur, _ := b.Flow(f.Namespace, f.ID); !strings.HasSuffix(cur.Source, "# server B\n") {
			t.Errorf("B's %s/%s holds a source that is not B's:\n%s", f.Namespace, f.ID, cur.Source)
		}
	}

	e, done := engine(a)
	rolled, err := e.Rollback(context.Background(), migrator.RollbackOptions{RunID: appliedA.RunID})
	done()
	if err != nil || rolled.Summary.Restored != appliedA.Summary.Migrated {
		t.Fatalf("A's rollback after B's runs: %v, %+v", err, rolled)
	}
	for _, f := range flowsA {
		if cur, _ := a.Flow(f.Namespace, f.ID); cur.Source != f.Source {
			t.Errorf("A's %s/%s is not its original after the rollback", f.Namespace, f.ID)
		}
	}
}
