package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
	"github.com/kestra-migrator/kestra-migrator/migrator/fleettest"
	"github.com/kestra-migrator/kestra-migrator/store"
)

// TestExcludedFlowsAreCountedAndNeverChangeTheExitCode: --exclude-flow and
// the config file's exclude list acknowledge flows that cannot be migrated.
func TestExcludedFlowsAreCountedAndNeverChangeTheExitCode(t *testing.T) {
	srv := fakeKestra(t, smallFleet(), kestratest.Options{})
	db := filepath.Join(t.TempDir(), "state.db")
	code, out, errs := execute(t, append([]string{"plan", "-n", "company.b", "--exclude-flow", "company.b/bad", "-o", "json"}, connArgs(t, srv)...)...)
	var rep struct{ Summary map[string]int }
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != exitOK || rep.Summary["excluded"] != 1 || rep.Summary["unsupported"] != 0 {
		t.Errorf("plan --exclude-flow: exit %d %v: %s %s", code, err, out, errs)
	}
	cfg := writeFile(t, t.TempDir(), "cfg.yaml", "exclude:\n  - company.b/bad\n", 0o600)
	code, out, errs = execute(t, append([]string{"apply", "--all", "--config", cfg, "-o", "json"}, serverArgs(t, srv, db)...)...)
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != exitOK || rep.Summary["excluded"] != 1 || rep.Summary["migrated"] != 2 {
		t.Errorf("apply with an exclude list: exit %d %v: %s %s", code, err, out, errs)
	}
	if f, _ := srv.Flow("company.b", "bad"); f.Revision != 1 {
		t.Errorf("an excluded flow was written: revision %d", f.Revision)
	}
	if code, _, errs := execute(t, append([]string{"plan", "--exclude-flow", "nonsense"}, connArgs(t, srv)...)...); code != exitUsage || !strings.Contains(errs, "nonsense") {
		t.Errorf("--exclude-flow nonsense: exit %d: %s", code, errs)
	}
}

// TestApplyAndRollbackSayWhatTheyDid: apply ends with its run id and the
// command that rolls it back, rollback with what it restored; status then
// counts the restored flows as restored.
func TestApplyAndRollbackSayWhatTheyDid(t *testing.T) {
	srv := fakeKestra(t, smallFleet(), kestratest.Options{})
	db := filepath.Join(t.TempDir(), "state.db")
	code, out, errs := execute(t, append([]string{"apply", "-n", "company.a", "-o", "json"}, serverArgs(t, srv, db)...)...)
	runID := decodeReport(t, out).RunID
	if code != exitOK || !strings.Contains(errs, "run "+runID) || !strings.Contains(errs, "kestra-migrator rollback --run "+runID) {
		t.Fatalf("apply: exit %d, stderr %q", code, errs)
	}
	code, _, errs = execute(t, append([]string{"rollback", "--run", runID}, serverArgs(t, srv, db)...)...)
	if code != exitOK || !strings.Contains(errs, "restored 2 flows") || strings.Contains(errs, "did not migrate") {
		t.Errorf("rollback: exit %d, stderr %q", code, errs)
	}
	code, out, errs = execute(t, "status", "-o", "json", "--db", db)
	var st struct {
		Summary    map[string]int
		Source     string
		Namespaces []struct{ LastScan, LastRunID string }
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil || code != exitOK {
		t.Fatalf("status: exit %d %v: %s", code, err, errs)
	}
	if st.Summary["restored"] != 2 || st.Summary["migrated"] != 0 || st.Source != "state file" ||
		len(st.Namespaces) != 1 || st.Namespaces[0].LastScan == "" || st.Namespaces[0].LastRunID == "" || st.Namespaces[0].LastRunID == runID { // the last run is the rollback
		t.Errorf("status after a rollback: %s", out)
	}
	if _, out, _ := execute(t, "status", "--db", db); !strings.Contains(out, "restored") || !strings.Contains(out, "state file") {
		t.Errorf("status table after a rollback:\n%s", out)
	}
	if _, out, _ := execute(t, "runs", "--db", db); !strings.Contains(out, "rollback") {
		t.Errorf("runs table:\n%s", out)
	}
}

// TestNoMatchIsAUsageError: a --run that is not in the state file, and a
// --state that does not exist, are usage errors; rollback creates no state file.
func TestNoMatchIsAUsageError(t *testing.T) {
	srv, db, _ := appliedState(t)
	if code, _, errs := execute(t, append([]string{"rollback", "--run", "nope"}, serverArgs(t, srv, db)...)...); code != exitUsage || !strings.Contains(errs, "nope") {
		t.Errorf("rollback --run nope: exit %d: %s", code, errs)
	}
	if code, _, errs := execute(t, "snapshots", "list", "--run", "nope", "--db", db); code != exitUsage || !strings.Contains(errs, "nope") {
		t.Errorf("snapshots list --run nope: exit %d: %s", code, errs)
	}
	if code, _, errs := execute(t, "snapshots", "list", "--state", "bogus", "--db", db); code != exitUsage || !strings.Contains(errs, "bogus") {
		t.Errorf("snapshots list --state bogus: exit %d: %s", code, errs)
	}
	missing := filepath.Join(t.TempDir(), "missing.db")
	if code, _, errs := execute(t, append([]string{"rollback", "--all"}, serverArgs(t, srv, missing)...)...); code == exitOK || !strings.Contains(errs, "no state file") {
		t.Errorf("rollback without a state file: exit %d: %s", code, errs)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("rollback created a state file (%v)", err)
	}
}

// TestRunsAndSnapshotsWhileARunHoldsTheStateFile: runs reads what the
// holder publishes; snapshots list gives up after --wait, saying why.
func TestRunsAndSnapshotsWhileARunHoldsTheStateFile(t *testing.T) {
	db := filepath.Join(t.TempDir(), "state.db")
	st, err := store.Open(db, store.Options{PublishLive: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.CreateRun(store.Run{ID: "20261127T100000Z-abcdef", Command: "apply"}); err != nil {
		t.Fatal(err)
	}
	waitForLive(t, db, func(l store.Live) bool { return len(l.Runs) == 1 })
	code, out, errs := execute(t, "runs", "-o", "json", "--db", db)
	if code != exitOK || !strings.Contains(out, "20261127T100000Z-abcdef") || !strings.Contains(errs, "held by a running process") {
		t.Errorf("runs while held: exit %d: %s %s", code, out, errs)
	}
	code, out, errs = execute(t, "snapshots", "list", "--db", db, "--wait", "300ms")
	if code != exitError || out != "" || !strings.Contains(errs, "held by a running process") || !strings.Contains(errs, "retry") {
		t.Errorf("snapshots list while held: exit %d: %s %s", code, out, errs)
	}
}

func waitForLive(t *testing.T, db string, ok func(store.Live) bool) {
	t.Helper()
	for i := 0; ; i++ {
		if live, err := store.ReadLive(db); err == nil && ok(live) {
			return
		}
		if i > 500 {
			t.Fatal("the live progress was not published")
		}
		time.Sleep(20 * time.Millisecond) // published within a second; polled, never timed
	}
}

// TestInterruptedApplyReportsWhatItWrote: a signal stops the run (exit 1);
// its report is the record of the flows it wrote before it stopped.
func TestInterruptedApplyReportsWhatItWrote(t *testing.T) {
	flows := fleettest.Generate(60, 3, 1, false)
	srv := fakeKestra(t, flows, kestratest.Options{})
	db := filepath.Join(t.TempDir(), "state.db")
	args := append([]string{"apply", "--all", "--concurrency", "1", "-o", "json"}, serverArgs(t, srv, db)...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { // cancel once the first flow is written: an event, not a delay
		for srv.Writes() == 0 && ctx.Err() == nil {
			runtime.Gosched()
		}
		cancel()
	}()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	var out, errb bytes.Buffer
	code := run(ctx, args, &out, &errb)
	if code != exitError || !strings.Contains(errb.String(), "interrupted") {
		t.Fatalf("interrupted apply: exit %d: %s", code, errb.String())
	}
	rep := decodeReport(t, out.String())
	if rep.RunID == "" || rep.Summary.Migrated == 0 || rep.Summary.Migrated != srv.Writes() || len(rep.Warnings) == 0 {
		t.Errorf("interrupted report: %+v (%d writes)", rep, srv.Writes())
	}
}
