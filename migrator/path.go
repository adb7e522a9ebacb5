package migrator

import (
	"context"
	"fmt"

	"github.com/kestra-migrator/kestra-migrator/migrator/report"
	"github.com/kestra-migrator/kestra-migrator/store"
)

// path is one of the engine's three ways through a selection: plan, apply,
// and the daemon's incremental pass. Each is a short list of steps, chosen
// once per run; the steps themselves (list, read, rewrite, validate, write,
// record) are shared.
type path struct {
	mode Mode
	// writes: snapshots, writes to the server and a run in the state file.
	writes bool
	// records: the flows' states and the namespaces' progress are recorded.
	records bool
	// readFew: a handful of changed flows are read alone, not exported.
	readFew bool
	// prepare runs once before the namespaces (apply: settle old snapshots).
	prepare func(r *run, ctx context.Context, sc scope) error
	// finished answers a namespace an interrupted run of the same id
	// completed, without reading it.
	finished func(r *run, ns string) (report.Counts, bool)
	// known answers the flows an earlier pass settled, without reading them.
	known func(s *nsScan) error
	// settle takes a validated batch: plan reports it, apply writes it.
	settle func(ctx context.Context, s *nsScan, valid []*flow) error
}

// The plan: read, rewrite, validate, report; never write, record nothing.
var planPath = path{mode: ModePlan, settle: reportPending}

// The apply: settle what earlier runs left unsettled, then read, rewrite,
// validate, snapshot, write and record; an interrupted run resumes.
var applyPath = path{mode: ModeApply, writes: true, records: true,
	prepare: (*run).reconcile, finished: finishedBefore, known: writtenByThisRun, settle: writeBatch}

func (e *Engine) pathFor(o RunOptions) path {
	p := planPath
	if o.Mode == ModeApply {
		p = applyPath
	}
	if e.Incremental && e.Store != nil {
		// the daemon's pass: flows unchanged since the last pass are answered
		// from the state file (and the last report), never read
		p.records, p.readFew, p.finished, p.known = true, true, nil, knownFromState
	}
	return p
}

// reportPending reports the valid rewritten flows of a plan.
func reportPending(_ context.Context, s *nsScan, valid []*flow) error {
	for _, f := range valid {
		s.settle(s.rewritten(f, report.StatusPending))
	}
	return nil
}

// finishedBefore: a resumed run skips the namespaces it completed.
func finishedBefore(r *run, ns string) (report.Counts, bool) {
	if !r.resumed {
		return report.Counts{}, false
	}
	p, err := r.e.Store.Progress(ns)
	if err != nil || p.RunID != r.id || !p.Complete {
		return report.Counts{}, false
	}
	return report.CountsFromMap(p.Counts), true
}

// writtenByThisRun: a resumed run counts the flows it wrote before the
// interruption as migrated (its counts agree with its snapshots) when the
// server still holds the revision it wrote.
func writtenByThisRun(s *nsScan) error {
	if !s.r.resumed {
		return nil
	}
	snaps, err := s.r.e.Store.Snapshots(store.SnapshotFilter{RunID: s.r.id, Namespace: s.ns,
		State: store.SnapshotWritten, SkipSources: true})
	if err != nil {
		return fmt.Errorf("read this run's snapshots: %w", err)
	}
	for _, snap := range snaps {
		if snap.Namespace != s.ns || snap.NewRevision == 0 {
			continue
		}
		s.known[snap.FlowID] = known{at: snap.NewRevision, o: outcome{ns: s.ns, id: snap.FlowID,
			status: report.StatusMigrated, revision: snap.Revision, written: snap.NewRevision,
			reason: "written before the run was interrupted"}}
	}
	return nil
}

// knownFromState: an earlier pass's verdict holds while the flow keeps its
// revision. A flow that needs attention is reported as the last pass's
// report said (changes, warnings, diff), or read again when that report is
// not at hand (the first pass after a restart).
func knownFromState(s *nsScan) error {
	states, err := s.r.e.Store.FlowStates(s.ns)
	if err != nil {
		return fmt.Errorf("read flow states: %w", err)
	}
	if p, err := s.r.e.Store.Progress(s.ns); err == nil {
		s.prev = &p
	}
	for id, st := range states {
		if !reusable(st.Status, s.r.path.mode) {
			continue
		}
		o := outcome{ns: s.ns, id: id, status: report.Status(st.Status), revision: st.Revision, reason: st.Reason, reused: true}
		if o.status == report.StatusMigrated {
			o.status, o.reason = report.StatusUpToDate, "" // written by an earlier pass, unchanged since
		}
		prior, ok := s.r.prior[s.ns+"/"+id]
		same := ok && prior.Revision != nil && *prior.Revision == st.Revision && report.Status(st.Status) == prior.Status
		switch {
		case o.status != report.StatusUpToDate && !same:
			continue
		case o.status != report.StatusUpToDate:
			o.prior = &prior
		case same && prior.Status == report.StatusUpToDate: // its detections still hold
			o.prior = &prior
		}
		s.known[id] = known{at: st.Revision, o: o}
	}
	return nil
}

// reusable: an earlier pass's verdict still holds for the same revision.
func reusable(status string, mode Mode) bool {
	switch report.Status(status) {
	case report.StatusUpToDate, report.StatusMigrated, report.StatusUnsupported, report.StatusInvalid:
		return true
	case report.StatusPending:
		return mode == ModePlan
	}
	return false
}
