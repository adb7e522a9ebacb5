package migrator

import (
	"context"
	"errors"

	"github.com/kestra-migrator/kestra-migrator/migrator/report"
	"github.com/kestra-migrator/kestra-migrator/migrator/rewrite"
	"github.com/kestra-migrator/kestra-migrator/store"
)

// outcome is what became of one flow in a run: the one value from which its
// report item, its state in the state file and the mark of its snapshot are
// derived (item, state, marks), each in one place.
type outcome struct {
	ns, id   string
	status   report.Status
	reason   string
	revision int // the revision read; 0 when unknown
	// written is the revision this run's write produced; 0 when it wrote nothing.
	written int
	// source is what the flow holds as far as the run knows (its state's
	// hash); nil when unknown.
	source []byte
	result *rewrite.Result // the rewrite's changes and warnings; nil when none
	diff   string
	// mark is the new state of this run's snapshot of the flow; "" leaves it.
	mark store.SnapshotState
	// restored is the migration's snapshot a rollback undid (marked
	// rolled-back when the flow holds its original again).
	restored *store.Snapshot
	// reused: answered from the state file, which already says it.
	reused bool
	// prior is the previous pass's item for the same revision (daemon).
	prior *report.Item
	// forced: rollback --force restores it over a revision the migration
	// did not produce.
	forced bool
}

// item is the outcome as the report shows it.
func (o outcome) item() report.Item {
	if o.prior != nil {
		it := *o.prior
		it.Status = o.status
		return it
	}
	it := report.Item{Namespace: o.ns, ID: o.id}
	if o.result != nil {
		it = resultItem(it, *o.result)
	}
	it.Status = o.status
	if o.reason != "" {
		reason := o.reason
		it.Reason = &reason
	}
	if o.revision > 0 {
		it.Revision = intPtr(o.revision)
	}
	if o.written > 0 {
		it.NewRevision = intPtr(o.written)
	}
	it.Forced = o.forced && o.status == report.StatusRestored
	switch o.status {
	case report.StatusPending, report.StatusMigrated, report.StatusUnsupported, report.StatusInvalid, report.StatusRestored:
		it.Diff = o.diff // what was (or would be) written; the others did not change the flow so
	}
	return it
}

// state is the flow's new state in the state file; false when there is
// nothing new to say (answered from the state file, or no flow id).
func (o outcome) state(runID string) (store.FlowState, bool) {
	if o.reused || o.id == "" {
		return store.FlowState{}, false
	}
	st := store.FlowState{Namespace: o.ns, ID: o.id, Revision: o.revision, Status: string(o.status),
		Reason: o.reason, RunID: runID}
	if o.written > 0 && o.status != report.StatusConflict {
		st.Revision = o.written
	}
	if o.source != nil {
		st.SourceHash = sourceHash(o.source)
	}
	return st, true
}

// marks are the snapshot state changes the outcome implies: this run's
// snapshot of the flow, and the migration's snapshot a rollback undid.
func (o outcome) marks(runID string) []store.SnapshotMark {
	var out []store.SnapshotMark
	if o.mark != "" {
		m := store.SnapshotMark{RunID: runID, Namespace: o.ns, FlowID: o.id, State: o.mark, NewRevision: o.written}
		if o.mark == store.SnapshotRolledBack {
			m.By = runID // an edit that slipped in was put back over our write
		}
		out = append(out, m)
	}
	if o.restored != nil && (o.status == report.StatusRestored || o.status == report.StatusUpToDate) {
		out = append(out, store.SnapshotMark{RunID: o.restored.RunID, Namespace: o.ns, FlowID: o.id,
			State: store.SnapshotRolledBack, By: runID})
	}
	return out
}

// stoppedOutcome: the run ended before it reached the flow (nothing written).
func stoppedOutcome(ns, id string, revision int, cause error) outcome {
	why := cause.Error()
	if errors.Is(cause, context.Canceled) {
		why = "interrupted"
	}
	return outcome{ns: ns, id: id, status: report.StatusNotAttempted, revision: revision,
		reason: "not attempted: the run stopped (" + why + ") before it reached this flow; a re-run resumes it"}
}
