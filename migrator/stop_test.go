package migrator_test

import (
	"bytes"
	"context"
	"errors"
	"iter"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/migrator/fleettest"
	"github.com/kestra-migrator/kestra-migrator/migrator/report"
	"github.com/kestra-migrator/kestra-migrator/store"
)

// afterWrites calls at once the k-th time a write is sent, then counts the
// calls that fail.
type afterWrites struct {
	migrator.FlowSource
	k      int64
	at     func()
	writes atomic.Int64
	failed atomic.Int64 // calls that failed after at ran
	fired  atomic.Bool
}

func (a *afterWrites) note(err error) error {
	if err != nil && a.fired.Load() {
		a.failed.Add(1)
	}
	return err
}

func (a *afterWrites) UpdateFlow(ctx context.Context, ns, id string, src []byte) (*client.Flow, error) {
	if a.writes.Add(1) == a.k {
		a.at()
		a.fired.Store(true)
	}
	f, err := a.FlowSource.UpdateFlow(ctx, ns, id, src)
	return f, a.note(err)
}

func (a *afterWrites) Flow(ctx context.Context, ns, id string) (*client.Flow, error) {
	f, err := a.FlowSource.Flow(ctx, ns, id)
	return f, a.note(err)
}

func (a *afterWrites) Validate(ctx context.Context, sources [][]byte) ([]client.Validation, error) {
	v, err := a.FlowSource.Validate(ctx, sources)
	return v, a.note(err)
}

func (a *afterWrites) ExportNamespace(ctx context.Context, ns string, fn func(client.ExportedFlow) error) error {
	return a.note(a.FlowSource.ExportNamespace(ctx, ns, fn))
}

func (a *afterWrites) SearchFlows(ctx context.Context, q client.SearchQuery) iter.Seq2[client.Flow, error] {
	return func(yield func(client.Flow, error) bool) {
		for f, err := range a.FlowSource.SearchFlows(ctx, q) {
			if !yield(f, a.note(err)) {
				return
			}
		}
	}
}

// lockedBuffer collects the logs of concurrent workers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// writtenSnapshots counts a run's written snapshots.
func writtenSnapshots(t *testing.T, st *store.Store, runID string) int {
	t.Helper()
	snaps, err := st.Snapshots(store.SnapshotFilter{RunID: runID, State: store.SnapshotWritten, SkipSources: true})
	if err != nil {
		t.Fatal(err)
	}
	return len(snaps)
}

// checkStopped: a stopped run's report says not-attempted for what it did
// not reach, fails only writes whose outcome is unknown, lists every
// namespace it wrote to, and is recorded interrupted.
func checkStopped(t *testing.T, f *fleettest.Fleet, rep *report.Report, maxFailed int) {
	t.Helper()
	if rep == nil {
		t.Fatal("no report")
	}
	if rep.Summary.NotAttempted == 0 {
		t.Errorf("nothing reported not-attempted: %+v", rep.Summary.Counts)
	}
	if rep.Summary.Failed > maxFailed {
		t.Errorf("%d flows failed, want at most %d (writes in flight): %+v", rep.Summary.Failed, maxFailed, rep.Summary.Counts)
	}
	for _, ns := range rep.Namespaces {
		for _, it := range ns.Items {
			if it.Status == report.StatusFailed && !strings.Contains(fleettest.Reason(it), "outcome unknown") && !strings.Contains(fleettest.Reason(it), "nothing written") {
				t.Errorf("%s/%s failed: %s", it.Namespace, it.ID, fleettest.Reason(it))
			}
		}
	}
	touched := map[string]bool{}
	for _, ns := range rep.Namespaces {
		touched[ns.Namespace] = true
	}
	snaps, _ := f.Store.Snapshots(store.SnapshotFilter{RunID: rep.RunID, SkipSources: true})
	for _, s := range snaps {
		if !touched[s.Namespace] {
			t.Errorf("the report of the stopped run leaves out namespace %s, which it wrote to", s.Namespace)
		}
	}
	run, err := f.Store.Run(rep.RunID)
	if err != nil || run.Status != store.RunInterrupted || run.Counters[string(report.StatusNotAttempted)] != rep.Summary.NotAttempted {
		t.Errorf("the stopped run is recorded %+v (%v), want interrupted with its counts", run, err)
	}
	progress, _ := f.Store.AllProgress()
	said := 0
	for _, p := range progress {
		said += p.Counts[string(report.StatusNotAttempted)]
	}
	if said == 0 {
		t.Error("the state file's progress does not say which flows were not attempted")
	}
}

// checkResumed: a re-run resumes the stopped run and finishes it; its
// "migrated" is exactly the flows the run wrote, before and after the stop.
func checkResumed(t *testing.T, f *fleettest.Fleet, stopped *report.Report) {
	t.Helper()
	rep := f.Run(t, migrator.ModeApply)
	if rep.RunID != stopped.RunID {
		t.Errorf("the re-run is run %s, not the stopped run %s", rep.RunID, stopped.RunID)
	}
	if n := writtenSnapshots(t, f.Store, rep.RunID); rep.Summary.Migrated != n || n != pendingOf(f.Flows) {
		t.Errorf("the resumed run reports %d migrated; it wrote %d flows; %d to migrate", rep.Summary.Migrated, n, pendingOf(f.Flows))
	}
	if rep.Summary.NotAttempted+rep.Summary.Failed+rep.Summary.Conflict != 0 {
		t.Errorf("the resumed run left %+v", rep.Summary.Counts)
	}
	assertMigratedOnce(t, f)
}

// TestDeadServerStopsTheRun: the server stops answering in the middle of an
// apply. After a few requests in a row fail the run stops, instead of
// failing every remaining flow in turn; the flows it did not reach are
// not-attempted, and a re-run (the server back) resumes them.
func TestDeadServerStopsTheRun(t *testing.T) {
	const concurrency = 4
	f := fleettest.NewFleet(t, fleettest.Generate(200, 4, 0.5, false), kestratest.Options{})
	e := f.Engine()
	var logs lockedBuffer
	e.Log = slog.New(slog.NewTextHandler(&logs, nil))
	src := &afterWrites{FlowSource: f.Client, k: 10, at: func() { f.Server.SetFaults(kestratest.Faults{Rate503: 1}) }}
	e.Source = src
	rep, err := e.Run(context.Background(), migrator.RunOptions{Mode: migrator.ModeApply, Selection: migrator.Selection{All: true}, Resume: true})
	if err == nil || !strings.Contains(err.Error(), "unreachable") || errors.Is(err, migrator.ErrInterrupted) {
		t.Fatalf("apply against a dead server: %v, want the server unreachable", err)
	}
	// each namespace and each write in flight may fail once more after the stop
	if n := src.failed.Load(); n > 3+2*concurrency {
		t.Errorf("%d requests failed against the dead server before the run stopped", n)
	}
	if n := strings.Count(logs.String(), "the server is unreachable"); n != 1 {
		t.Errorf("the server's death was logged %d times, want once:\n%s", n, logs.String())
	}
	checkStopped(t, f, rep, concurrency)
	f.Server.SetFaults(kestratest.Faults{})
	checkResumed(t, f, rep)
}

// TestInterruptedApplyResumes: Ctrl-C in the middle of an apply: the flows
// not reached are not-attempted (not failed), the run is recorded
// interrupted, and the resumed run's counts agree with its snapshots.
func TestInterruptedApplyResumes(t *testing.T) {
	f := fleettest.NewFleet(t, fleettest.Generate(200, 6, 0.5, false), kestratest.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := f.Engine()
	e.Source = &afterWrites{FlowSource: f.Client, k: 20, at: cancel}
	rep, err := e.Run(ctx, migrator.RunOptions{Mode: migrator.ModeApply, Selection: migrator.Selection{All: true}, Resume: true})
	if !errors.Is(err, migrator.ErrInterrupted) || !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted apply: %v, want ErrInterrupted", err)
	}
	checkStopped(t, f, rep, 0)
	checkResumed(t, f, rep)
}
