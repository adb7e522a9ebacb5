package daemon

import (
	"context"
	"testing"

	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/migrator/fleettest"
)

// TestDaemonGivenAnotherServersStateFileMigratesItsFlows: the daemon's
// passes skip flows whose revision matches the state file's record; records
// of another server (here: the same flows at the same revisions, migrated
// there) must not count, or the second server's legacy flows stay legacy.
func TestDaemonGivenAnotherServersStateFileMigratesItsFlows(t *testing.T) {
	flows := fleettest.Generate(40, 2, 0.5, false)
	a := kestratest.Start(t, kestratest.Options{})
	b := kestratest.Start(t, kestratest.Options{})
	for _, srv := range []*kestratest.Server{a, b} {
		if err := fleettest.Seed(srv, flows); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range flows { // B's legacy flows were edited once: revision 2, as A's are once migrated
		if f.Pending() {
			if _, err := b.Edit(f.Namespace, f.ID, f.Source+"\n# edited\n"); err != nil {
				t.Fatal(err)
			}
		}
	}
	d := New(Options{})
	cfgA := engineConfig(t, a, d.metrics, migrator.ModeApply)
	if err := d.runPass(context.Background(), cfgA); err != nil {
		t.Fatalf("pass on A: %v", err)
	}
	cfgB := engineConfig(t, b, d.metrics, migrator.ModeApply)
	cfgB.StatePath = cfgA.StatePath
	if err := d.runPass(context.Background(), cfgB); err != nil {
		t.Fatalf("pass on B: %v", err)
	}
	for _, f := range flows {
		if f.Pending() && !migrated(b, f.Namespace, f.ID) {
			t.Errorf("%s/%s on B left unmigrated: A's record of it was reused", f.Namespace, f.ID)
		}
	}
}
