package chaos_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
	"github.com/kestra-migrator/kestra-migrator/migrator/fleettest"
	"github.com/kestra-migrator/kestra-migrator/store"
)

const (
	chaosUser     = "chaos@kestra.io"
	chaosPassword = "Chaos-Pa55word-7f3a9c"
)

// killPlan is where one apply gets its SIGKILL: on the at-th request to an
// endpoint (before the fake handles it, or after the fake handled it and
// before the answer leaves), or after a delay.
type killPlan struct {
	endpoint string // "" = timer
	at       int
	after    bool
	delay    time.Duration
}

func (p killPlan) String() string {
	switch {
	case p.endpoint == "":
		return "after " + p.delay.Round(time.Millisecond).String()
	case p.after:
		return fmt.Sprintf("%s #%d, handled but unanswered", p.endpoint, p.at)
	}
	return fmt.Sprintf("%s #%d, before the server handles it", p.endpoint, p.at)
}

// killer SIGKILLs the running binary from inside the fake's handler, so the
// kill lands at an exact point of the protocol.
type killer struct {
	mu    sync.Mutex
	plan  killPlan
	armed bool
	seen  int
	proc  *os.Process
	dead  chan struct{} // closed once the killed process is reaped
	fired bool
}

func (k *killer) arm(p killPlan, proc *os.Process, dead chan struct{}) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.plan, k.armed, k.seen, k.proc, k.dead, k.fired = p, p.endpoint != "", 0, proc, dead, false
}

func (k *killer) disarm() {
	k.mu.Lock()
	k.armed = false
	k.mu.Unlock()
}

func (k *killer) hook(w http.ResponseWriter, r *http.Request, srv *kestratest.Server) bool {
	k.mu.Lock()
	if !k.armed || classify(r).endpoint != k.plan.endpoint {
		k.mu.Unlock()
		return false
	}
	k.seen++
	if k.seen != k.plan.at {
		k.mu.Unlock()
		return false
	}
	k.armed, k.fired = false, true
	proc, dead, after := k.proc, k.dead, k.plan.after
	k.mu.Unlock()
	if after {
		srv.ServeHTTP(httptest.NewRecorder(), r) // the write happens; its answer is lost
	}
	_ = proc.Kill()
	select {
	case <-dead:
	case <-time.After(30 * time.Second):
	}
	panic(http.ErrAbortHandler) // the connection is cut, no answer
}

// TestSIGKILLedApplyResumesThenRollbackRestoresEveryByte kills the real
// binary during apply, round after round, at exact points of the protocol
// (the N-th write handled but unanswered, before it is handled, during a
// re-read, a validate, an export) or after a random delay. After each kill
// a re-run must finish with nothing failed, every legacy flow must carry
// exactly one new revision (the migration) and one written snapshot of its
// exact original, then rollback --all must restore every original byte for
// byte, which also gives the next round its work back.
func TestSIGKILLedApplyResumesThenRollbackRestoresEveryByte(t *testing.T) {
	bin := migratorBinary(t)
	sz := suiteSizes()
	flows := fleettest.Generate(sz.flows, sz.namespaces, legacyShare, false)
	k := &killer{}
	opts := kestratest.Options{Username: chaosUser, Password: chaosPassword}
	srv, url := wrapped(t, opts, k.hook)
	if err := fleettest.Seed(srv, flows); err != nil {
		t.Fatal(err)
	}
	pending, upToDate, nsWithPending := 0, 0, map[string]bool{}
	for _, f := range flows {
		switch {
		case f.Pending():
			pending++
			nsWithPending[f.Namespace] = true
		case f.Expect == "up-to-date":
			upToDate++
		}
	}
	sb := newSandbox(t)
	sb.env = append(sb.env, "KESTRA_MIGRATOR_PASSWORD="+chaosPassword)
	common := []string{"--server", url, "--username", chaosUser, "--db", sb.db(), "--concurrency", "4",
		"--retries", "3", "--timeout", "10m", "--log-level", "warn", "-o", "json"}

	rng := rand.New(rand.NewPCG(20261127, 6))
	estimate := time.Second // how long a whole apply takes: learnt from the timers that fire too late
	migrated := map[string]string{}
	killed, midway, late := 0, 0, 0
	start := time.Now()
	for round := 0; killed < sz.kills; round++ {
		if round == 2*sz.kills {
			t.Fatalf("only %d kills in %d rounds", killed, round)
		}
		before := revisionCounts(srv, flows)
		roundStart := time.Now()
		plan := nextKill(round, rng, pending, len(nsWithPending), estimate)

		signalled, took := killApply(t, bin, sb, k, plan, common)
		done := countMigrated(srv, flows)
		switch {
		case signalled:
			killed++
			if done > 0 && done < pending {
				midway++
			}
		case plan.endpoint == "":
			late++ // the run finished before the timer: one more round
			estimate = took
		default:
			t.Errorf("round %d: the kill at %s never fired: the run made fewer such requests", round, plan)
		}
		t.Logf("round %d: killed %v at %s: %d of %d flows written before the kill", round, signalled, plan, done, pending)

		resumed := sb.run(t, bin, append([]string{"apply", "--all"}, common...)...)
		rep := decodeReport(t, resumed)
		if resumed.code != 0 || rep.Summary.Failed+rep.Summary.Conflict+rep.Summary.Invalid != 0 {
			t.Fatalf("round %d: the re-run after the kill did not finish cleanly: %+v\n%s", round, rep.Summary, resumed)
		}
		// the re-run resumes the killed run (or starts a new one when the
		// killed run had finished): "migrated" of that run is exactly the
		// flows it wrote, whenever the server handled the killed process's
		// last writes (counting the server before the re-run is racy)
		if n := writtenBy(t, sb.db(), rep.RunID); rep.Summary.Migrated != n {
			t.Errorf("round %d: the re-run (run %s) reports %d migrated, its written snapshots are %d (%d flows written before the kill)",
				round, rep.RunID, rep.Summary.Migrated, n, done)
		}
		// the killed run, resumed by the re-run, or finished before its kill
		// (then the re-run is a new run with nothing left to do)
		runs := checkMigratedOnce(t, round, srv, sb.db(), flows, before, roundStart, migrated)

		// --all: the latest migration of every flow, not the snapshots
		// earlier rounds' rollbacks kept of what they overwrote
		rb := sb.run(t, bin, append([]string{"rollback", "--all"}, common...)...)
		if rbRep := decodeReport(t, rb); rb.code != 0 || rbRep.Summary.Restored != pending || rbRep.Summary.Migrated+rbRep.Summary.Conflict+rbRep.Summary.Failed != 0 {
			t.Fatalf("round %d: rollback --all after runs %v restored %d of %d flows: %+v\n%s",
				round, runs, rbRep.Summary.Restored, pending, rbRep.Summary, rb)
		}
		checkRestored(t, round, srv, flows, before)
		if t.Failed() {
			t.FailNow() // later rounds would only repeat the story
		}
	}
	t.Logf("%s: %d apply runs SIGKILLed, %d of them mid-way (some flows written, some left); %d timers fired after the run ended (rounds repeated); in %s",
		sz, killed, midway, late, time.Since(start).Round(time.Millisecond))
	if midway < (sz.kills+1)/2 {
		t.Errorf("only %d of %d kills landed mid-way: the test proves little", midway, sz.kills)
	}
}

// nextKill picks where round's apply dies. The first rounds cover the
// sharpest windows for certain; later ones are drawn at random.
func nextKill(round int, rng *rand.Rand, pending, namespaces int, estimate time.Duration) killPlan {
	write := func(after bool) killPlan {
		return killPlan{endpoint: kestratest.EndpointUpdate, at: 1 + rng.IntN(max(pending-4, 1)), after: after}
	}
	switch round {
	case 0:
		return write(true) // the write happened, the binary never learned it
	case 1:
		return write(false)
	case 2:
		return killPlan{delay: time.Duration(rng.Int64N(int64(estimate)))}
	}
	switch n := rng.IntN(20); {
	case n < 9:
		return write(rng.IntN(2) == 0)
	case n < 12: // the listing of a namespace, or the re-read of its revisions before the writes
		return killPlan{endpoint: kestratest.EndpointSearch, at: 2 + rng.IntN(2*namespaces), after: rng.IntN(2) == 0}
	case n < 14:
		return killPlan{endpoint: kestratest.EndpointValidate, at: 1 + rng.IntN(namespaces), after: rng.IntN(2) == 0}
	case n < 16:
		return killPlan{endpoint: kestratest.EndpointExport, at: 1 + rng.IntN(namespaces), after: rng.IntN(2) == 0}
	default:
		return killPlan{delay: time.Duration(rng.Int64N(int64(estimate)))}
	}
}

// killApply starts apply, kills it as planned, and reports whether SIGKILL
// ended the process (a timer may fire too late, or a count never be reached)
// and how long the process ran.
func killApply(t *testing.T, bin string, sb *sandbox, k *killer, plan killPlan, common []string) (signalled bool, took time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := sb.command(ctx, bin, append([]string{"apply", "--all"}, common...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	dead := make(chan struct{})
	t.Cleanup(func() { _ = cmd.Process.Kill() }) // a no-op once reaped
	k.arm(plan, cmd.Process, dead)
	if plan.endpoint == "" {
		timer := time.AfterFunc(plan.delay, func() { _ = cmd.Process.Kill() })
		defer timer.Stop()
	}
	err := cmd.Wait()
	took = time.Since(start)
	close(dead)
	k.disarm()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			signalled = true
		}
	}
	if !signalled && err != nil {
		t.Fatalf("apply ended on its own with an error (plan %s): %v", plan, err)
	}
	return signalled, took
}

// writtenBy counts the written snapshots of one run in the state file.
func writtenBy(t *testing.T, db, runID string) int {
	t.Helper()
	st, err := store.Open(db, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	written, err := st.Snapshots(store.SnapshotFilter{RunID: runID, State: store.SnapshotWritten, SkipSources: true})
	if err != nil {
		t.Fatal(err)
	}
	return len(written)
}

// countMigrated counts the legacy flows that hold a migrated source.
func countMigrated(srv *kestratest.Server, flows []fleettest.Flow) int {
	n := 0
	for _, f := range flows {
		if cur, _ := srv.Flow(f.Namespace, f.ID); f.Pending() && cur.Source != f.Source {
			n++
		}
	}
	return n
}

func revisionCounts(srv *kestratest.Server, flows []fleettest.Flow) map[string]int {
	out := make(map[string]int, len(flows))
	for _, f := range flows {
		out[f.Namespace+"/"+f.ID] = len(srv.Revisions(f.Namespace, f.ID))
	}
	return out
}

// checkMigratedOnce: after a round's apply, each legacy flow has exactly
// one revision more than before the round, holding the migrated source (the
// same bytes every round), and exactly one written snapshot among the
// round's apply runs, of its exact original; no snapshot is left unsettled;
// other flows are untouched. It returns the round's apply runs that wrote.
func checkMigratedOnce(t *testing.T, round int, srv *kestratest.Server, db string, flows []fleettest.Flow,
	before map[string]int, since time.Time, migrated map[string]string) (runs []string) {
	t.Helper()
	st, err := store.Open(db, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if saved, err := st.Snapshots(store.SnapshotFilter{State: store.SnapshotSaved, SkipSources: true}); err != nil || len(saved) != 0 {
		t.Errorf("round %d: %d snapshots left unsettled (%v)", round, len(saved), err)
	}
	all, err := st.Runs(0)
	if err != nil {
		t.Fatal(err)
	}
	snaps := map[string][]store.Snapshot{}
	for _, run := range all {
		if run.Command != "apply" || run.StartedAt.Before(since) {
			continue
		}
		if run.Status != store.RunDone {
			t.Errorf("round %d: apply run %s is %s after the re-run", round, run.ID, run.Status)
		}
		written, err := st.Snapshots(store.SnapshotFilter{RunID: run.ID, State: store.SnapshotWritten})
		if err != nil {
			t.Fatal(err)
		}
		if len(written) > 0 {
			runs = append(runs, run.ID)
		}
		for _, s := range written {
			snaps[s.Namespace+"/"+s.FlowID] = append(snaps[s.Namespace+"/"+s.FlowID], s)
		}
	}
	for _, f := range flows {
		key := f.Namespace + "/" + f.ID
		revs := srv.Revisions(f.Namespace, f.ID)
		cur := revs[len(revs)-1]
		added := len(revs) - before[key]
		if !f.Pending() {
			if added != 0 || len(snaps[key]) != 0 {
				t.Errorf("round %d: %s (%s) was written: %d new revisions, %d snapshots", round, key, f.Expect, added, len(snaps[key]))
			}
			continue
		}
		if added != 1 || cur.Source == f.Source || !migratedSource(cur.Source) {
			t.Errorf("round %d: %s: %d new revisions (want exactly 1, the migration); now:\n%s", round, key, added, cur.Source)
			continue
		}
		if prev, ok := migrated[key]; ok && prev != cur.Source {
			t.Errorf("round %d: %s: migrated to other bytes than in round 0", round, key)
		}
		migrated[key] = cur.Source
		s := snaps[key]
		switch {
		case len(s) != 1:
			t.Errorf("round %d: %s: %d written snapshots in the round's runs %v, want 1", round, key, len(s), runs)
		case string(s[0].Original) != f.Source || string(s[0].Migrated) != cur.Source || s[0].NewRevision != cur.Revision:
			t.Errorf("round %d: %s: the snapshot does not match (original kept: %v, migrated kept: %v, revision %d vs %d)",
				round, key, string(s[0].Original) == f.Source, string(s[0].Migrated) == cur.Source, s[0].NewRevision, cur.Revision)
		}
	}
	return runs
}

// checkRestored: after the round's rollback every flow holds its original
// bytes; legacy flows have exactly two revisions more than before the round
// (the migration and its rollback), others none.
func checkRestored(t *testing.T, round int, srv *kestratest.Server, flows []fleettest.Flow, before map[string]int) {
	t.Helper()
	for _, f := range flows {
		key := f.Namespace + "/" + f.ID
		revs := srv.Revisions(f.Namespace, f.ID)
		want := before[key]
		if f.Pending() {
			want += 2
		}
		if cur := revs[len(revs)-1]; cur.Source != f.Source || len(revs) != want {
			t.Errorf("round %d: %s after rollback: %d revisions (want %d), original restored byte for byte: %v",
				round, key, len(revs), want, cur.Source == f.Source)
		}
	}
}
