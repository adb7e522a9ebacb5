package migrator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/migrator/report"
	"github.com/kestra-migrator/kestra-migrator/migrator/rewrite"
	"github.com/kestra-migrator/kestra-migrator/store"
)

// finishTimeout bounds the write of a flow whose snapshot is saved once the
// run is cancelled: the write and its record complete, or the snapshot
// stays "saved" and the next run reconciles it.
const finishTimeout = 2 * time.Minute

// flush validates the batch of rewritten flows, then writes the valid ones
// (apply) or reports them pending (plan). The marks of the namespace's last
// batch are recorded with the namespace itself (one fsync fewer).
func (s *nsScan) flush(ctx context.Context, last bool) error {
	batch := s.batch
	s.batch = nil
	if len(batch) == 0 {
		return nil
	}
	valid, err := s.validate(ctx, batch)
	if err != nil {
		for _, f := range batch {
			s.fail(f.ns, f.id, f.revision, "validate: "+err.Error())
		}
		return err
	}
	if s.r.opts.Mode != ModeApply {
		for _, f := range valid {
			s.add(s.pendingItem(f, report.StatusPending), &store.FlowState{Revision: f.revision, SourceHash: sourceHash(f.source)})
		}
		return nil
	}
	if err := s.r.record(); err != nil {
		for _, f := range valid {
			s.fail(f.ns, f.id, f.revision, "record the run: "+err.Error()+" (nothing written)")
		}
		return err
	}
	saved := s.saveSnapshots(valid)
	if len(saved) == 0 {
		return nil
	}
	current, err := s.currentRevisions(ctx)
	if err != nil {
		for _, f := range saved {
			s.r.abandon(f)
			s.fail(f.ns, f.id, f.revision, "re-read before writing: "+err.Error()+" (nothing written)")
		}
		return err
	}
	var wg sync.WaitGroup
	marks := &markBatch{run: s.r.id}
	for _, f := range saved {
		wg.Add(1)
		go func() {
			defer wg.Done()
			it, st := s.r.write(ctx, f, s.pendingItem(f, report.StatusMigrated), current, marks)
			s.add(it, st)
		}()
	}
	wg.Wait()
	// one transaction for the batch's marks: a crash before it leaves the
	// snapshots "saved", and the next run settles them from the server
	if last {
		s.lastMarks = marks.list
	} else if err := s.r.e.Store.MarkSnapshots(marks.list); err != nil {
		s.r.e.log().Error("record the batch's writes", "namespace", s.ns, "err", err)
	}
	return ctx.Err()
}

// markBatch collects the snapshot marks of a batch's writes.
type markBatch struct {
	run  string
	mu   sync.Mutex
	list []store.SnapshotMark
}

func (m *markBatch) add(f *flow, state store.SnapshotState, newRevision int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.list = append(m.list, store.SnapshotMark{RunID: m.run, Namespace: f.ns, FlowID: f.id, State: state, NewRevision: newRevision})
}

// saveSnapshots commits the batch's snapshots, concurrently so the state
// file's group commit gathers them in a few fsyncs; it returns the flows
// whose snapshot is safe (the others are reported failed).
func (s *nsScan) saveSnapshots(batch []*flow) []*flow {
	ok := make([]bool, len(batch))
	var wg sync.WaitGroup
	for i, f := range batch {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.r.e.Store.SaveSnapshot(store.Snapshot{RunID: s.r.id, Namespace: f.ns, FlowID: f.id, Revision: f.revision,
				Original: f.source, Migrated: f.result.Source, State: store.SnapshotSaved})
			if err != nil {
				s.fail(f.ns, f.id, f.revision, fmt.Sprintf("save the rollback snapshot: %v (nothing written)", err))
				return
			}
			ok[i] = true
		}()
	}
	wg.Wait()
	saved := batch[:0:0]
	for i, f := range batch {
		if ok[i] {
			saved = append(saved, f)
		}
	}
	return saved
}

// currentRevisions re-reads the revisions of the namespace's flows, after
// the snapshots and right before the writes: one search page per 500 flows
// instead of one read per flow. A flow whose revision is the one its source
// was read at still holds that very source (every change makes a revision).
func (s *nsScan) currentRevisions(ctx context.Context) (map[string]int, error) {
	revs := map[string]int{}
	for f, err := range s.r.e.Source.SearchFlows(ctx, client.SearchQuery{Namespace: s.ns}) {
		if err != nil {
			return nil, fmt.Errorf("search flows: %w", err)
		}
		if f.Namespace == s.ns {
			revs[f.ID] = f.Revision
		}
	}
	return revs, nil
}

// acquire takes one of the run's request slots, unless ctx ends first.
func (r *run) acquire(ctx context.Context) bool {
	select {
	case r.slots <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (r *run) release() { <-r.slots }

// validate asks the server about the rewritten sources; the invalid ones are
// recorded and the valid returned.
func (s *nsScan) validate(ctx context.Context, batch []*flow) ([]*flow, error) {
	if !s.r.e.Validate {
		return batch, nil
	}
	sources := make([][]byte, len(batch))
	for i, f := range batch {
		sources[i] = f.result.Source
	}
	answers, err := s.r.e.Source.Validate(ctx, sources)
	if err != nil {
		return nil, err
	}
	valid := batch[:0:0]
	for i, f := range batch {
		a := answers[i]
		if !a.Valid() {
			it := s.pendingItem(f, report.StatusInvalid)
			it.Reason = strPtr("the server rejects the migrated flow: " + a.Constraints)
			s.add(it, &store.FlowState{Revision: f.revision, SourceHash: sourceHash(f.source)})
			continue
		}
		if left := deprecatedPaths(a.DeprecationPaths, s.r.e.Rewriter.DeprecatedKeys()); len(left) > 0 {
			f.result.Warnings = append(f.result.Warnings, rewrite.Warning{
				Message: "the server still reports deprecated properties: " + strings.Join(left, ", ")})
		}
		valid = append(valid, f)
	}
	return valid, nil
}

// deprecatedPaths keeps the server's deprecation paths that name a key the
// rules deprecate: what the rewrite should have removed.
func deprecatedPaths(paths, keys []string) []string {
	var out []string
	for _, p := range paths {
		last := p[strings.LastIndexAny(p, ".]")+1:]
		if slices.Contains(keys, last) {
			out = append(out, p)
		}
	}
	return out
}

// pendingItem reports a rewritten flow, with its diff when asked.
func (s *nsScan) pendingItem(f *flow, status report.Status) report.Item {
	it := s.item(f, status)
	if s.r.e.Diff {
		it.Diff = report.UnifiedDiff(f.ns+"/"+f.id+".yml", f.source, f.result.Source)
	}
	return it
}

// write migrates one flow whose snapshot is saved: only if the server still
// holds the revision its source was read at (current, re-read after the
// snapshots), else conflict; then it checks the revision the write made and
// records it. It returns the report item and the flow's new state.
func (r *run) write(ctx context.Context, f *flow, it report.Item, current map[string]int, marks *markBatch) (report.Item, *store.FlowState) {
	e := r.e
	conflict := func(reason string) (report.Item, *store.FlowState) {
		marks.add(f, store.SnapshotAbandoned, 0)
		it.Status, it.Reason, it.Diff = report.StatusConflict, strPtr(reason), ""
		return it, nil
	}
	failed := func(reason string) (report.Item, *store.FlowState) {
		it.Status, it.Reason = report.StatusFailed, strPtr(reason)
		e.log().Warn("flow failed", "flow", f.ns+"/"+f.id, "reason", reason)
		return it, nil
	}
	rev, listed := current[f.id]
	switch {
	case f.revision > 0 && !listed:
		return conflict("the flow was deleted on the server since it was read")
	case f.revision > 0 && rev != f.revision:
		return conflict(fmt.Sprintf("changed on the server since it was read (revision %d, now %d): retried on a later pass", f.revision, rev))
	}
	if !r.acquire(ctx) {
		marks.add(f, store.SnapshotAbandoned, 0)
		return failed("stopped before the write (nothing written)")
	}
	defer r.release()
	if f.revision == 0 { // read without a revision (not listed by the search): compare the source itself
		cur, err := e.Source.Flow(ctx, f.ns, f.id)
		switch {
		case errors.Is(err, client.ErrNotFound):
			return conflict("the flow was deleted on the server since it was read")
		case err != nil:
			marks.add(f, store.SnapshotAbandoned, 0)
			return failed(fmt.Sprintf("re-read before writing: %v (nothing written)", err))
		case cur.Source != string(f.source):
			return conflict(fmt.Sprintf("changed on the server since it was read (now revision %d): retried on a later pass", cur.Revision))
		}
		rev = cur.Revision
	}
	it.Revision = intPtr(rev)
	// from here the write and its record complete even if the run is stopped
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	written, err := e.Source.UpdateFlow(wctx, f.ns, f.id, f.result.Source)
	if err != nil {
		var apiErr *client.APIError
		if errors.As(err, &apiErr) && apiErr.Status == 422 {
			marks.add(f, store.SnapshotAbandoned, 0)
			it.Status, it.Reason, it.Diff = report.StatusInvalid, strPtr("the server rejected the write: "+apiErr.Message), ""
			return it, nil
		}
		return r.reconcileWrite(wctx, f, it, err)
	}
	if written.Revision > rev+1 {
		return r.restoreOverwritten(wctx, f, it, rev, written.Revision)
	}
	marks.add(f, store.SnapshotWritten, written.Revision)
	it.NewRevision = intPtr(written.Revision)
	return it, &store.FlowState{Revision: written.Revision, SourceHash: sourceHash(f.result.Source)}
}

// abandon marks a flow's snapshot: its write is proven not to have happened.
func (r *run) abandon(f *flow) {
	if err := r.e.Store.MarkSnapshot(r.id, f.ns, f.id, store.SnapshotAbandoned, 0, ""); err != nil {
		r.e.log().Error("mark snapshot abandoned", "flow", f.ns+"/"+f.id, "err", err)
	}
}

// reconcileWrite settles a write whose outcome is unknown (the request
// failed after its retries) by reading the flow back.
func (r *run) reconcileWrite(ctx context.Context, f *flow, it report.Item, writeErr error) (report.Item, *store.FlowState) {
	e := r.e
	cur, err := e.Source.Flow(ctx, f.ns, f.id)
	if err == nil && bytes.Equal([]byte(cur.Source), f.result.Source) {
		if err := e.Store.MarkSnapshot(r.id, f.ns, f.id, store.SnapshotWritten, cur.Revision, ""); err != nil {
			e.log().Error("mark snapshot written", "flow", f.ns+"/"+f.id, "err", err)
		}
		it.NewRevision = intPtr(cur.Revision)
		return it, &store.FlowState{Revision: cur.Revision, SourceHash: sourceHash(f.result.Source)}
	}
	if err == nil && cur.Source == string(f.source) {
		_ = e.Store.MarkSnapshot(r.id, f.ns, f.id, store.SnapshotAbandoned, 0, "")
		it.Status, it.Reason = report.StatusFailed, strPtr(fmt.Sprintf("write: %v (nothing written)", writeErr))
		return it, nil
	}
	// the snapshot stays "saved": the next run reads the server and settles it
	it.Status, it.Reason = report.StatusFailed, strPtr(fmt.Sprintf("write: %v (outcome unknown: the next run reconciles it)", writeErr))
	return it, nil
}

// maxPutBacks bounds the put-backs of restoreOverwritten when edits keep
// landing between its read and its write.
const maxPutBacks = 5

// restoreOverwritten handles a write that landed on top of an edit made
// between the re-read and the write (Kestra has no optimistic concurrency):
// the edit is put back as the current revision and the flow is a conflict.
// The put-back is itself a write, checked the same way: when another edit
// lands during it (made on top of what we had written), that edit's changes
// are merged into what is put back, or the flow is left for a person.
func (r *run) restoreOverwritten(ctx context.Context, f *flow, it report.Item, readRev, ourRev int) (report.Item, *store.FlowState) {
	e := r.e
	_ = e.Store.MarkSnapshot(r.id, f.ns, f.id, store.SnapshotWritten, ourRev, "")
	fail := func(reason string) (report.Item, *store.FlowState) {
		it.Status, it.Diff, it.Reason = report.StatusFailed, "", strPtr(reason)
		e.log().Error("an overwritten edit could not be put back", "flow", f.ns+"/"+f.id, "reason", reason)
		return it, nil
	}
	edit, err := e.Source.FlowRevision(ctx, f.ns, f.id, ourRev-1)
	if err != nil {
		return fail(fmt.Sprintf("an edit (revision %d) landed between the re-read and the write, and reading it back failed: %v; restore revision %d by hand", ourRev-1, err, ourRev-1))
	}
	want, written := edit.Source, string(f.result.Source) // what to put back, what our last write said
	last := ourRev
	for attempt := 0; attempt < maxPutBacks; attempt++ {
		put, err := e.Source.UpdateFlow(ctx, f.ns, f.id, []byte(want))
		if err != nil {
			return fail(fmt.Sprintf("an edit (revision %d) landed between the re-read and the write, and putting it back failed: %v; restore it by hand", ourRev-1, err))
		}
		if put.Revision <= last+1 {
			_ = e.Store.MarkSnapshot(r.id, f.ns, f.id, store.SnapshotRolledBack, 0, r.id)
			it.Status, it.Diff = report.StatusConflict, ""
			it.Reason = strPtr(fmt.Sprintf("an edit (revision %d) landed between the re-read (revision %d) and the write: it was restored as the current revision; retried on a later pass",
				ourRev-1, readRev))
			return it, nil
		}
		// another edit (put.Revision-1) landed on top of our last write: fold it in
		theirs, err := e.Source.FlowRevision(ctx, f.ns, f.id, put.Revision-1)
		if err != nil {
			return fail(fmt.Sprintf("edits landed while putting back an overwritten edit, and reading revision %d failed: %v; merge revisions %d and %d by hand",
				put.Revision-1, err, ourRev-1, put.Revision-1))
		}
		merged, ok := merge3(written, want, theirs.Source)
		if ok {
			_, perr := rewrite.ParseDocument([]byte(merged))
			ok = perr == nil
		}
		if !ok {
			return fail(fmt.Sprintf("edits landed while putting back an overwritten edit and they cannot be merged: merge revisions %d and %d by hand (revision %d holds the first)",
				ourRev-1, put.Revision-1, put.Revision))
		}
		want, written, last = merged, want, put.Revision
	}
	return fail(fmt.Sprintf("edits kept landing while putting back an overwritten edit: check revisions %d to %d by hand", ourRev-1, last))
}
