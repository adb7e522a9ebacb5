package main

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
	"github.com/kestra-migrator/kestra-migrator/migrator/fleettest"
	"github.com/kestra-migrator/kestra-migrator/store"
)

// buildBinary compiles the real kestra-migrator for tests that run it.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "kestra-migrator")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestApplySurvivesSIGKILL kills the real binary at random moments of an
// apply, then re-runs it: every flow ends migrated exactly once, with its
// snapshot. KESTRA_MIGRATOR_KILLS sets the number of rounds (default 3).
func TestApplySurvivesSIGKILL(t *testing.T) {
	bin := buildBinary(t)
	rounds := 3
	if n := os.Getenv("KESTRA_MIGRATOR_KILLS"); n != "" {
		var err error
		if rounds, err = strconv.Atoi(n); err != nil {
			t.Fatalf("KESTRA_MIGRATOR_KILLS: %v", err)
		}
	}
	flows := fleettest.Generate(160, 8, 0.5, false)
	srv := fakeKestra(t, flows, kestratest.Options{})
	srv.SetFaults(kestratest.Faults{Latency: 8 * time.Millisecond})
	db := filepath.Join(t.TempDir(), "state.db")
	args := append([]string{"apply", "--all", "--concurrency", "4", "--log-level", "warn"}, serverArgs(t, srv, db)...)
	rng := rand.New(rand.NewPCG(7, 11))
	killed := 0
	for i := 0; i < rounds; i++ {
		cmd := exec.Command(bin, args...)
		cmd.Env = os.Environ()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(30+rng.IntN(700)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		if err := cmd.Wait(); err != nil {
			killed++
		}
	}
	final := exec.Command(bin, args...)
	final.Env = os.Environ()
	out, err := final.CombinedOutput()
	if err != nil {
		t.Fatalf("the run after the kills failed: %v\n%s", err, out)
	}
	if killed == 0 {
		t.Fatalf("no run was killed mid-way: the test proves nothing")
	}
	st, err := store.Open(db, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	written, err := st.Snapshots(store.SnapshotFilter{State: store.SnapshotWritten})
	if err != nil {
		t.Fatal(err)
	}
	snaps := map[string][]byte{}
	for _, s := range written {
		if _, dup := snaps[s.Namespace+"/"+s.FlowID]; dup {
			t.Errorf("%s/%s: two written snapshots", s.Namespace, s.FlowID)
		}
		snaps[s.Namespace+"/"+s.FlowID] = s.Original
	}
	for _, f := range flows {
		revs := srv.Revisions(f.Namespace, f.ID)
		switch {
		case f.Pending() && (len(revs) != 2 || !strings.Contains(revs[1].Source, "taskRunner:")):
			t.Errorf("%s/%s: %d revisions, want 2 with the migration", f.Namespace, f.ID, len(revs))
		case f.Pending() && string(snaps[f.Namespace+"/"+f.ID]) != f.Source:
			t.Errorf("%s/%s: no snapshot of the exact original", f.Namespace, f.ID)
		case !f.Pending() && len(revs) != 1:
			t.Errorf("%s/%s (%s) was written", f.Namespace, f.ID, f.Expect)
		}
	}
	t.Logf("%d of %d runs killed mid-way", killed, rounds)
}

// TestApplyStopsCleanlyOnSIGTERM: the run finishes or abandons its in-flight
// flows, records itself interrupted, exits 1 promptly; a re-run resumes it.
func TestApplyStopsCleanlyOnSIGTERM(t *testing.T) {
	bin := buildBinary(t)
	flows := fleettest.Generate(120, 6, 0.5, false)
	srv := fakeKestra(t, flows, kestratest.Options{})
	srv.SetFaults(kestratest.Faults{Latency: 10 * time.Millisecond})
	db := filepath.Join(t.TempDir(), "state.db")
	args := append([]string{"apply", "--all", "--concurrency", "2"}, serverArgs(t, srv, db)...)
	cmd := exec.Command(bin, args...)
	cmd.Env = os.Environ()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// signal once the run has written a flow: an event, not a delay a loaded
	// machine can miss (a signal before the run starts records no run)
	for deadline := time.Now().Add(time.Minute); srv.Writes() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("apply wrote nothing in a minute: %s", stderr.String())
		}
	}
	start := time.Now()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	t.Logf("stopped %s after SIGTERM", time.Since(start)) // "interrupted" below proves it stopped, not finished
	if exitErr, ok := err.(*exec.ExitError); !ok || exitErr.ExitCode() != exitError || !strings.Contains(stderr.String(), "interrupted") {
		t.Fatalf("SIGTERM: %v, stderr:\n%s", err, stderr.String())
	}
	st, err := store.Open(db, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	runs, _ := st.Runs(1)
	saved, _ := st.Snapshots(store.SnapshotFilter{State: store.SnapshotSaved})
	st.Close()
	if len(runs) != 1 || runs[0].Status != store.RunInterrupted || len(saved) != 0 {
		t.Errorf("after SIGTERM: runs %+v, %d snapshots left unsettled", runs, len(saved))
	}
	again := exec.Command(bin, args...)
	again.Env = os.Environ()
	if out, err := again.CombinedOutput(); err != nil {
		t.Fatalf("resume: %v\n%s", err, out)
	}
	for _, f := range flows {
		if n := len(srv.Revisions(f.Namespace, f.ID)); f.Pending() && n != 2 {
			t.Errorf("%s/%s: %d revisions after the resume", f.Namespace, f.ID, n)
		}
	}
}
