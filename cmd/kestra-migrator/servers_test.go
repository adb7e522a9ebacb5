package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
	"github.com/kestra-migrator/kestra-migrator/migrator/fleettest"
	"github.com/kestra-migrator/kestra-migrator/store"
)

// TestRollbackAgainstTheWrongServerIsRefused: a state file used against
// server A, given to a rollback against server B (the same flows, as a
// staging copy holds them), is refused with exit 2 naming both servers,
// --force included; nothing is written to B and A's snapshots stay
// unmarked, so that the real rollback of A still restores them.
func TestRollbackAgainstTheWrongServerIsRefused(t *testing.T) {
	flows := fleettest.Generate(20, 2, 0.5, false)
	a := fakeKestra(t, flows, kestratest.Options{})
	b := fakeKestra(t, flows, kestratest.Options{})
	db := filepath.Join(t.TempDir(), "state.db")
	code, out, errs := execute(t, append([]string{"apply", "--all", "-o", "json"}, serverArgs(t, a, db)...)...)
	if code != exitOK {
		t.Fatalf("apply on A: exit %d: %s", code, errs)
	}
	runA := decodeReport(t, out).RunID
	var legacyNS string
	for _, f := range flows {
		if f.Pending() {
			legacyNS = f.Namespace
		}
	}
	for _, extra := range [][]string{{"--all"}, {"--all", "--force"}, {"--run", runA}, {"--run", runA, "--force"}, {"--namespace", legacyNS}} {
		b.ResetCounters()
		code, _, errs := execute(t, append(append([]string{"rollback"}, extra...), serverArgs(t, b, db)...)...)
		if code != exitUsage || !strings.Contains(errs, a.URL()) || !strings.Contains(errs, b.URL()) {
			t.Errorf("rollback %v against B: exit %d, want 2 naming both servers:\n%s", extra, code, errs)
		}
		if n := b.RequestCount(kestratest.EndpointUpdate); n != 0 {
			t.Errorf("rollback %v against B wrote %d flows to B", extra, n)
		}
	}
	code, out, errs = execute(t, append([]string{"rollback", "--run", runA, "-o", "json"}, serverArgs(t, a, db)...)...)
	if code != exitOK {
		t.Fatalf("rollback on A: exit %d: %s", code, errs)
	}
	if rep := decodeReport(t, out); rep.Summary.Restored == 0 || rep.Summary.Restored != expectCount(flows, "pending") {
		t.Errorf("rollback on A after B's refusals restored %d flows, want %d", rep.Summary.Restored, expectCount(flows, "pending"))
	}
}

// TestApplyOnAnotherServerDoesNotReuseTheFirstsRecords: the same state file
// used for a second server starts that server afresh: every legacy flow of
// B is migrated, and both servers' runs are listed side by side.
func TestApplyOnAnotherServerDoesNotReuseTheFirstsRecords(t *testing.T) {
	flows := fleettest.Generate(20, 2, 0.5, false)
	a := fakeKestra(t, flows, kestratest.Options{})
	b := fakeKestra(t, flows, kestratest.Options{})
	db := filepath.Join(t.TempDir(), "state.db")
	for _, srv := range []*kestratest.Server{a, b} {
		code, out, errs := execute(t, append([]string{"apply", "--all", "-o", "json"}, serverArgs(t, srv, db)...)...)
		if code != exitOK {
			t.Fatalf("apply on %s: exit %d: %s", srv.URL(), code, errs)
		}
		if rep := decodeReport(t, out); rep.Summary.Migrated != expectCount(flows, "pending") {
			t.Errorf("apply on %s migrated %d, want %d", srv.URL(), rep.Summary.Migrated, expectCount(flows, "pending"))
		}
	}
	st, err := store.Open(db, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, err := st.Runs(0)
	if err != nil || len(runs) != 2 || runs[0].Server == runs[1].Server || runs[0].Instance == "" {
		t.Errorf("runs of both servers: %+v, %v", runs, err)
	}
}

// TestRollbackNeedsAStateFile: with no state file, or a --run it does not
// hold, rollback exits non-zero with a clear message and creates nothing.
func TestRollbackNeedsAStateFile(t *testing.T) {
	srv := fakeKestra(t, fleettest.Generate(4, 1, 0.5, false), kestratest.Options{})
	dir := filepath.Join(t.TempDir(), "state")
	db := filepath.Join(dir, "state.db")
	code, _, errs := execute(t, append([]string{"rollback", "--all"}, serverArgs(t, srv, db)...)...)
	if code == exitOK || !strings.Contains(errs, db) || !strings.Contains(errs, "no state file") {
		t.Errorf("rollback without a state file: exit %d: %s", code, errs)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("rollback created %s: %v", dir, err)
	}
	if code, _, errs := execute(t, append([]string{"apply", "--all"}, serverArgs(t, srv, db)...)...); code != exitOK {
		t.Fatalf("apply: exit %d: %s", code, errs)
	}
	code, _, errs = execute(t, append([]string{"rollback", "--run", "20990101T000000Z-000000"}, serverArgs(t, srv, db)...)...)
	if code != exitUsage || !strings.Contains(errs, "20990101T000000Z-000000") {
		t.Errorf("rollback --run of an unknown run: exit %d, want 2 naming it: %s", code, errs)
	}
}

// TestCorruptStateFileExits1 names the file and what to do, and writes
// nothing to the server.
func TestCorruptStateFileExits1(t *testing.T) {
	srv := fakeKestra(t, fleettest.Generate(4, 1, 0.5, false), kestratest.Options{})
	db := filepath.Join(t.TempDir(), "state.db")
	if code, _, errs := execute(t, append([]string{"apply", "--all"}, serverArgs(t, srv, db)...)...); code != exitOK {
		t.Fatalf("apply: exit %d: %s", code, errs)
	}
	good, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(db, good[:len(good)/2], 0o600); err != nil { // an interrupted copy
		t.Fatal(err)
	}
	srv.ResetCounters()
	for _, cmd := range [][]string{{"status"}, {"runs"}, {"rollback", "--all"}, {"apply", "--all"}} {
		args := append(append([]string{}, cmd...), "--db", db)
		if cmd[0] == "rollback" || cmd[0] == "apply" {
			args = append(cmd, serverArgs(t, srv, db)...)
		}
		code, _, errs := execute(t, args...)
		if code != exitError || !strings.Contains(errs, db) || !strings.Contains(errs, "corrupt") || strings.Contains(errs, "goroutine") {
			t.Errorf("%v on a truncated state file: exit %d, want 1 naming the file:\n%s", cmd, code, errs)
		}
	}
	if n := srv.RequestCount(kestratest.EndpointUpdate); n != 0 {
		t.Errorf("%d writes to the server with a corrupt state file", n)
	}
}
