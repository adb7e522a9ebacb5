package migrator

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"

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
		if _, err := ParseFlowRef(o.Flow); err != nil {
			return err
		}
	}
	return nil
}

// Rollback writes back the original source of the flows that migrations
// wrote, through the same guarded write as apply, only where the server
// still holds the revision the migration produced (else conflict, unless
// Force: the report names each flow it overwrote). Restored flows are
// "restored" in its report and in the namespaces' progress. The rollback is
// recorded as its own run. A selection that matches no snapshot (or a run
// that is not in the state file) is an error wrapping ErrNoMatch, and
// nothing is recorded.
func (e *Engine) Rollback(parent context.Context, opts RollbackOptions) (*report.Report, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancelCause(parent)
	defer stop(nil)
	src := newReach(ctx, stop, e.Source, e.MaxConnFailures, e.log())
	tenant, err := src.ResolveTenant(ctx)
	if err != nil {
		return nil, stopCause(parent, ctx, fmt.Errorf("connect to %s: %w", e.Source.Server(), err))
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
	outcomes := make([]outcome, len(snaps))
	var g errgroup.Group
	g.SetLimit(e.concurrency())
	for i, snap := range snaps {
		g.Go(func() error {
			if ctx.Err() != nil {
				outcomes[i] = stoppedOutcome(snap.Namespace, snap.FlowID, snap.NewRevision, context.Cause(ctx))
				return nil
			}
			outcomes[i] = e.restore(ctx, src, runID, snap, opts)
			return nil
		})
	}
	_ = g.Wait() // each flow's error is its outcome
	var forced []string
	for _, o := range outcomes {
		rec.Add(o.item())
		if o.status == report.StatusFailed {
			e.log().Warn("flow not restored", "flow", o.ns+"/"+o.id, "reason", o.reason)
		}
		if o.status == report.StatusRestored && o.forced {
			forced = append(forced, o.ns+"/"+o.id)
		}
	}
	if len(forced) > 0 {
		rec.Warn(fmt.Sprintf("--force overwrote %d flows changed since their migration: %s", len(forced), strings.Join(forced, ", ")))
	}
	runErr := stopCause(parent, ctx, nil)
	if runErr != nil {
		rec.Warn(fmt.Sprintf("the rollback stopped before its end (%v): flows not reached are not attempted", runErr))
	}
	rep := rec.Finish(e.now())
	if opts.DryRun {
		return rep, runErr
	}
	recordErr := e.recordRollback(runID, outcomes)
	status, msg := store.RunDone, ""
	switch {
	case runErr != nil:
		status, msg = store.RunInterrupted, runErr.Error()
	case recordErr != nil:
		status, msg = store.RunFailed, recordErr.Error()
	}
	if err := e.Store.FinishRun(runID, e.now(), status, rep.Summary.Counts.Map(), msg); err != nil {
		recordErr = errors.Join(recordErr, err)
	}
	return rep, errors.Join(runErr, recordErr)
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

// selector names the rollback's selection in errors.
func (o RollbackOptions) selector() string {
	var s []string
	for _, x := range o.strings() {
		if x != "--force" {
			s = append(s, strings.Replace(x, "=", " ", 1))
		}
	}
	return strings.Join(s, " ")
}

// rollbackTargets picks, per flow, the latest migration that matches: the
// written snapshot whose write made the highest revision. The snapshots a
// rollback keeps of what it overwrote are targets only when that rollback
// run is named (--run): rolling back a rollback re-applies the migration.
func (e *Engine) rollbackTargets(o RollbackOptions) ([]store.Snapshot, error) {
	if o.RunID != "" { // unknown: ErrNoMatch; another server's: store.ErrOtherServer
		if _, err := e.Store.Run(o.RunID); errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("--run %s: %w: no such run in the state file", o.RunID, ErrNoMatch)
		} else if err != nil {
			return nil, fmt.Errorf("rollback --run %s: %w", o.RunID, err)
		}
	}
	// a selection that holds only another server's snapshots is refused
	f := store.SnapshotFilter{RunID: o.RunID, Namespace: o.Namespace, State: store.SnapshotWritten, RefuseOtherServer: true}
	if o.Flow != "" {
		ref, err := ParseFlowRef(o.Flow)
		if err != nil {
			return nil, err
		}
		f.Namespace, f.FlowID = ref.Namespace, ref.ID
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
	if len(latest) == 0 {
		return nil, e.nothingToRollBack(o, f)
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

// nothingToRollBack explains a selection with no written snapshot.
func (e *Engine) nothingToRollBack(o RollbackOptions, f store.SnapshotFilter) error {
	f.State, f.SkipSources = "", true
	selected, err := e.Store.Snapshots(f)
	if err == nil && len(selected) > 0 {
		return fmt.Errorf("%s: %w to roll back: its %d snapshots are rolled back already or were never written", o.selector(), ErrNoMatch, len(selected))
	}
	return fmt.Errorf("%s: %w: no snapshot of a migration in the state file", o.selector(), ErrNoMatch)
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

// forcedPrefix starts the reason of a flow --force overwrote.
const forcedPrefix = "--force: overwrote"

// restore puts one snapshot's original back, through the guarded write.
func (e *Engine) restore(ctx context.Context, src FlowSource, runID string, snap store.Snapshot, o RollbackOptions) outcome {
	out := outcome{ns: snap.Namespace, id: snap.FlowID, status: report.StatusRestored, revision: snap.NewRevision}
	cur, err := src.Flow(ctx, snap.Namespace, snap.FlowID)
	switch {
	case errors.Is(err, client.ErrNotFound):
		out.status, out.reason = report.StatusConflict, "the flow no longer exists on the server"
		return out
	case err != nil && unreached(ctx, err):
		return stoppedOutcome(snap.Namespace, snap.FlowID, snap.NewRevision, stopReason(ctx, err))
	case err != nil:
		out.status, out.reason = report.StatusFailed, fmt.Sprintf("read: %v", err)
		return out
	}
	out.revision = cur.Revision
	if !o.DryRun {
		out.restored = &snap
	}
	if cur.Source == string(snap.Original) {
		out.status, out.reason = report.StatusUpToDate, "already holds the original source"
		return out
	}
	if moved := cur.Revision != snap.NewRevision || cur.Source != string(snap.Migrated); moved {
		if !o.Force {
			out.status = report.StatusConflict
			out.reason = fmt.Sprintf("changed since run %s migrated it (revision %d, migration wrote %d): use --force to restore anyway",
				snap.RunID, cur.Revision, snap.NewRevision)
			return out
		}
		out.reason = fmt.Sprintf("%s revision %d, changed since run %s migrated it (revision %d)", forcedPrefix, cur.Revision, snap.RunID, snap.NewRevision)
		out.forced = true
	}
	if e.Diff {
		out.diff = report.UnifiedDiff(snap.Namespace+"/"+snap.FlowID+".yml", []byte(cur.Source), snap.Original)
	}
	if o.DryRun {
		out.status, out.reason = report.StatusPending, strings.TrimSpace("would restore the source of revision "+fmt.Sprint(snap.Revision)+" "+out.reason)
		return out
	}
	// the rollback keeps its own snapshot of what it overwrites
	if err := e.Store.SaveSnapshot(store.Snapshot{RunID: runID, Namespace: snap.Namespace, FlowID: snap.FlowID,
		Revision: cur.Revision, Original: []byte(cur.Source), Migrated: snap.Original, State: store.SnapshotSaved}); err != nil {
		out.status, out.reason, out.restored = report.StatusFailed, fmt.Sprintf("save the snapshot: %v (nothing written)", err), nil
		return out
	}
	out.mark = store.SnapshotAbandoned // until a write happens
	return guardedWrite(ctx, src, e.log(), out, guard{readRevision: cur.Revision, read: []byte(cur.Source), write: snap.Original,
		again: "run the rollback again"})
}

// recordRollback records what the rollback did, per namespace in one
// transaction each: the snapshot marks, and the flows it restored or found
// in conflict moved in the namespace's progress (what status reads) from
// the status they had.
func (e *Engine) recordRollback(runID string, outcomes []outcome) error {
	byNS := map[string][]outcome{}
	for _, o := range outcomes {
		byNS[o.ns] = append(byNS[o.ns], o)
	}
	var errs []error
	for ns, list := range byNS {
		if err := e.recordRollbackNamespace(runID, ns, list); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (e *Engine) recordRollbackNamespace(runID, ns string, list []outcome) error {
	states, err := e.Store.FlowStates(ns)
	if err != nil {
		return fmt.Errorf("read flow states of %s: %w", ns, err)
	}
	p, err := e.Store.Progress(ns)
	if err != nil {
		p = store.NamespaceProgress{Namespace: ns, Complete: true}
	}
	counts := map[string]int{}
	for k, v := range p.Counts {
		counts[k] = v
	}
	now := e.now()
	var newStates []store.FlowState
	var marks []store.SnapshotMark
	for _, o := range list {
		marks = append(marks, o.marks(runID)...)
		if o.status != report.StatusRestored && o.status != report.StatusConflict {
			continue // the flow is as it was: its state stands
		}
		st, ok := o.state(runID)
		if !ok {
			continue
		}
		if old, ok := states[o.id]; ok && counts[old.Status] > 0 {
			counts[old.Status]--
		}
		counts[string(o.status)]++
		st.UpdatedAt = now
		newStates = append(newStates, st)
	}
	p.Counts, p.LastScan, p.RunID = counts, now, runID
	err = e.Store.RecordNamespace(newStates, p, marks...)
	if errors.Is(err, store.ErrTransition) || errors.Is(err, store.ErrNotFound) {
		e.log().Error("record the rollback's marks", "namespace", ns, "err", err)
		return nil
	}
	return err
}
