package migrator

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/migrator/report"
	"github.com/kestra-migrator/kestra-migrator/store"
)

// RollbackOptions select the snapshots to restore.
type RollbackOptions struct {
	RunID     string // the flows one run wrote
	Namespace string // and its children
	Flow      string // NAMESPACE/ID
	All       bool
	DryRun    bool // report what would be restored, write nothing
	Force     bool // restore even over a revision the migration did not produce
}

// Validate refuses a rollback that names nothing.
func (o RollbackOptions) Validate() error {
	if !o.All && o.RunID == "" && o.Namespace == "" && o.Flow == "" {
		return errors.New("rollback needs --run, --namespace, --flow or --all")
	}
	if o.Flow != "" {
		if ns, id, ok := strings.Cut(o.Flow, "/"); !ok || ns == "" || id == "" {
			return fmt.Errorf("--flow %q: want NAMESPACE/ID", o.Flow)
		}
	}
	return nil
}

// Rollback writes back the original source of the flows that migrations
// wrote, only where the server still holds the revision the migration
// produced (else conflict, unless Force). In its report, "migrated" counts
// the flows restored. The rollback is recorded as its own run.
func (e *Engine) Rollback(ctx context.Context, opts RollbackOptions) (*report.Report, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	tenant, err := e.Source.ResolveTenant(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", e.Source.Server(), err)
	}
	if err := e.bindStore(ctx, tenant); err != nil {
		return nil, err
	}
	snaps, err := e.rollbackTargets(opts)
	if err != nil {
		return nil, err
	}
	now := e.now()
	runID := store.NewRunID(now)
	command := "rollback"
	if opts.DryRun {
		command = "rollback --dry-run"
	}
	rec := report.NewRecorder(command, runID, now)
	rec.SetServer(e.Source.Server(), tenant, "")
	if !opts.DryRun {
		if err := e.Store.CreateRun(store.Run{ID: runID, Command: "rollback", Selection: opts.strings(),
			Server: e.Source.Server(), Tenant: tenant, StartedAt: now, Status: store.RunRunning}); err != nil {
			return nil, err
		}
	}
	var wg sync.WaitGroup
	slots := make(chan struct{}, e.concurrency())
	for _, snap := range snaps {
		if ctx.Err() != nil {
			break
		}
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			rec.Add(e.restore(ctx, runID, snap, opts))
		}()
	}
	wg.Wait()
	rep := rec.Finish(e.now())
	if !opts.DryRun {
		status, msg := store.RunDone, ""
		if ctx.Err() != nil {
			status, msg = store.RunInterrupted, "interrupted"
		}
		if err := e.Store.FinishRun(runID, e.now(), status, rep.Summary.Counts.Map(), msg); err != nil {
			return rep, err
		}
	}
	return rep, ctx.Err()
}

func (o RollbackOptions) strings() []string {
	var s []string
	if o.All {
		s = append(s, "--all")
	}
	if o.RunID != "" {
		s = append(s, "--run="+o.RunID)
	}
	if o.Namespace != "" {
		s = append(s, "--namespace="+o.Namespace)
	}
	if o.Flow != "" {
		s = append(s, "--flow="+o.Flow)
	}
	if o.Force {
		s = append(s, "--force")
	}
	return s
}

// rollbackTargets picks, per flow, the latest migration that matches: the
// written snapshot whose write made the highest revision. The snapshots a
// rollback keeps of what it overwrote are targets only when that rollback
// run is named (--run): rolling back a rollback re-applies the migration.
func (e *Engine) rollbackTargets(o RollbackOptions) ([]store.Snapshot, error) {
	if o.RunID != "" { // unknown, or another server's (store.ErrOtherServer): refused
		if _, err := e.Store.Run(o.RunID); err != nil {
			return nil, fmt.Errorf("rollback --run %s: %w", o.RunID, err)
		}
	}
	// a selection that holds only another server's snapshots is refused
	f := store.SnapshotFilter{RunID: o.RunID, Namespace: o.Namespace, State: store.SnapshotWritten, RefuseOtherServer: true}
	if o.Flow != "" {
		f.Namespace, f.FlowID, _ = strings.Cut(o.Flow, "/")
	}
	snaps, err := e.Store.Snapshots(f)
	if err != nil {
		return nil, fmt.Errorf("read snapshots: %w", err)
	}
	commands := map[string]string{}
	latest := map[string]store.Snapshot{}
	for _, s := range snaps {
		if o.RunID == "" && e.runCommand(commands, s.RunID) == "rollback" {
			continue
		}
		key := s.Namespace + "/" + s.FlowID
		if cur, ok := latest[key]; !ok || s.NewRevision > cur.NewRevision {
			latest[key] = s
		}
	}
	out := make([]store.Snapshot, 0, len(latest))
	for _, s := range latest {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		return out[i].FlowID < out[j].FlowID
	})
	return out, nil
}

// runCommand looks a run's command up once.
func (e *Engine) runCommand(cache map[string]string, id string) string {
	c, ok := cache[id]
	if !ok {
		if run, err := e.Store.Run(id); err == nil {
			c = run.Command
		}
		cache[id] = c
	}
	return c
}

// restore puts one snapshot's original back.
func (e *Engine) restore(ctx context.Context, runID string, snap store.Snapshot, o RollbackOptions) report.Item {
	it := report.Item{Namespace: snap.Namespace, ID: snap.FlowID, Revision: intPtr(snap.NewRevision)}
	done := func(s report.Status, reason string) report.Item {
		it.Status = s
		if reason != "" {
			it.Reason = strPtr(reason)
		}
		return it
	}
	cur, err := e.Source.Flow(ctx, snap.Namespace, snap.FlowID)
	switch {
	case errors.Is(err, client.ErrNotFound):
		return done(report.StatusConflict, "the flow no longer exists on the server")
	case err != nil:
		return done(report.StatusFailed, fmt.Sprintf("read: %v", err))
	}
	it.Revision = intPtr(cur.Revision)
	if cur.Source == string(snap.Original) {
		if !o.DryRun {
			_ = e.Store.MarkSnapshot(snap.RunID, snap.Namespace, snap.FlowID, store.SnapshotRolledBack, 0, runID)
		}
		return done(report.StatusUpToDate, "already holds the original source")
	}
	moved := cur.Revision != snap.NewRevision || cur.Source != string(snap.Migrated)
	if moved && !o.Force {
		return done(report.StatusConflict, fmt.Sprintf("changed since run %s migrated it (revision %d, migration wrote %d): use --force to restore anyway",
			snap.RunID, cur.Revision, snap.NewRevision))
	}
	if e.Diff {
		it.Diff = report.UnifiedDiff(snap.Namespace+"/"+snap.FlowID+".yml", []byte(cur.Source), snap.Original)
	}
	if o.DryRun {
		return done(report.StatusPending, "would restore the source of revision "+fmt.Sprint(snap.Revision))
	}
	// the rollback keeps its own snapshot of what it overwrites
	if err := e.Store.SaveSnapshot(store.Snapshot{RunID: runID, Namespace: snap.Namespace, FlowID: snap.FlowID,
		Revision: cur.Revision, Original: []byte(cur.Source), Migrated: snap.Original, State: store.SnapshotSaved}); err != nil {
		return done(report.StatusFailed, fmt.Sprintf("save the snapshot: %v (nothing written)", err))
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	written, err := e.Source.UpdateFlow(wctx, snap.Namespace, snap.FlowID, snap.Original)
	if err != nil {
		return done(report.StatusFailed, fmt.Sprintf("write: %v", err))
	}
	_ = e.Store.MarkSnapshot(runID, snap.Namespace, snap.FlowID, store.SnapshotWritten, written.Revision, "")
	if err := e.Store.MarkSnapshot(snap.RunID, snap.Namespace, snap.FlowID, store.SnapshotRolledBack, 0, runID); err != nil {
		e.log().Error("mark snapshot rolled back", "flow", snap.Namespace+"/"+snap.FlowID, "err", err)
	}
	it.NewRevision = intPtr(written.Revision)
	return done(report.StatusMigrated, "")
}
