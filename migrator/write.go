package migrator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/store"
)

// finishTimeout bounds the write of a flow whose snapshot is saved once the
// run is cancelled: the write and its record complete, or the snapshot
// stays "saved" and the next run reconciles it.
const finishTimeout = 2 * time.Minute

// flush validates the batch of rewritten flows, then writes the valid ones
// (apply) or reports them pending (plan).
func (s *nsScan) flush(ctx context.Context) error {
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
			s.add(s.pendingItem(f, StatusPending), &store.FlowState{Revision: f.revision, SourceHash: sourceHash(f.source)})
		}
		return nil
	}
	var wg sync.WaitGroup
	for _, f := range valid {
		if ctx.Err() != nil {
			break // not started: these flows stay as they are
		}
		s.r.slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-s.r.slots; wg.Done() }()
			it, st := s.r.write(ctx, f, s.pendingItem(f, StatusMigrated))
			s.add(it, st)
		}()
	}
	wg.Wait()
	return ctx.Err()
}

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
			it := s.pendingItem(f, StatusInvalid)
			it.Reason = strPtr("the server rejects the migrated flow: " + a.Constraints)
			s.add(it, &store.FlowState{Revision: f.revision, SourceHash: sourceHash(f.source)})
			continue
		}
		if left := legacyPaths(a.DeprecationPaths); len(left) > 0 {
			f.result.Warnings = append(f.result.Warnings, "the server still reports deprecated properties: "+strings.Join(left, ", "))
		}
		valid = append(valid, f)
	}
	return valid, nil
}

// legacyPaths keeps the deprecation paths this rule is about.
func legacyPaths(paths []string) []string {
	var out []string
	for _, p := range paths {
		if strings.HasSuffix(p, ".runner") || strings.HasSuffix(p, ".docker") {
			out = append(out, p)
		}
	}
	return out
}

// pendingItem reports a rewritten flow, with its diff when asked.
func (s *nsScan) pendingItem(f *flow, status Status) Item {
	it := s.item(f, status)
	if s.r.e.Diff {
		it.Diff = UnifiedDiff(f.ns+"/"+f.id+".yml", f.source, f.result.Source)
	}
	return it
}

// write migrates one flow on the server: snapshot (durable) first, then
// re-read and write only over the very source that was rewritten, then
// record. It returns the report item and the flow's new state.
func (r *run) write(ctx context.Context, f *flow, it Item) (Item, *store.FlowState) {
	e := r.e
	conflict := func(reason string) (Item, *store.FlowState) {
		it.Status, it.Reason, it.Diff = StatusConflict, strPtr(reason), ""
		return it, nil
	}
	failed := func(reason string) (Item, *store.FlowState) {
		it.Status, it.Reason = StatusFailed, strPtr(reason)
		e.log().Warn("flow failed", "flow", f.ns+"/"+f.id, "reason", reason)
		return it, nil
	}
	snap := store.Snapshot{RunID: r.id, Namespace: f.ns, FlowID: f.id, Revision: f.revision,
		Original: f.source, Migrated: f.result.Source, State: store.SnapshotSaved}
	if err := e.Store.SaveSnapshot(snap); err != nil {
		return failed(fmt.Sprintf("save the rollback snapshot: %v (nothing written)", err))
	}
	abandon := func() {
		if err := e.Store.MarkSnapshot(r.id, f.ns, f.id, store.SnapshotAbandoned, 0, ""); err != nil {
			e.log().Error("mark snapshot abandoned", "flow", f.ns+"/"+f.id, "err", err)
		}
	}
	cur, err := e.Source.Flow(ctx, f.ns, f.id)
	switch {
	case errors.Is(err, client.ErrNotFound):
		abandon()
		return conflict("the flow was deleted on the server since it was read")
	case err != nil:
		abandon()
		return failed(fmt.Sprintf("re-read before writing: %v (nothing written)", err))
	case cur.Source != string(f.source):
		abandon()
		return conflict(fmt.Sprintf("changed on the server since it was read (now revision %d): retried on a later pass", cur.Revision))
	}
	it.Revision = intPtr(cur.Revision)
	// from here the write and its record complete even if the run is stopped
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	written, err := e.Source.UpdateFlow(wctx, f.ns, f.id, f.result.Source)
	if err != nil {
		var apiErr *client.APIError
		if errors.As(err, &apiErr) && apiErr.Status == 422 {
			abandon()
			it.Status, it.Reason, it.Diff = StatusInvalid, strPtr("the server rejected the write: "+apiErr.Message), ""
			return it, nil
		}
		return r.reconcileWrite(wctx, f, it, err)
	}
	if written.Revision > cur.Revision+1 {
		return r.restoreOverwritten(wctx, f, it, cur.Revision, written.Revision)
	}
	if err := e.Store.MarkSnapshot(r.id, f.ns, f.id, store.SnapshotWritten, written.Revision, ""); err != nil {
		e.log().Error("mark snapshot written", "flow", f.ns+"/"+f.id, "err", err)
	}
	it.NewRevision = intPtr(written.Revision)
	return it, &store.FlowState{Revision: written.Revision, SourceHash: sourceHash(f.result.Source)}
}

// reconcileWrite settles a write whose outcome is unknown (the request
// failed after its retries) by reading the flow back.
func (r *run) reconcileWrite(ctx context.Context, f *flow, it Item, writeErr error) (Item, *store.FlowState) {
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
		it.Status, it.Reason = StatusFailed, strPtr(fmt.Sprintf("write: %v (nothing written)", writeErr))
		return it, nil
	}
	// the snapshot stays "saved": the next run reads the server and settles it
	it.Status, it.Reason = StatusFailed, strPtr(fmt.Sprintf("write: %v (outcome unknown: the next run reconciles it)", writeErr))
	return it, nil
}

// restoreOverwritten handles a write that landed on top of an edit made
// between the re-read and the write (Kestra has no optimistic concurrency):
// the edit is put back as the current revision and the flow is a conflict.
func (r *run) restoreOverwritten(ctx context.Context, f *flow, it Item, readRev, ourRev int) (Item, *store.FlowState) {
	e := r.e
	_ = e.Store.MarkSnapshot(r.id, f.ns, f.id, store.SnapshotWritten, ourRev, "")
	edit, err := e.Source.FlowRevision(ctx, f.ns, f.id, ourRev-1)
	if err == nil {
		_, err = e.Source.UpdateFlow(ctx, f.ns, f.id, []byte(edit.Source))
	}
	if err != nil {
		it.Status = StatusFailed
		it.Reason = strPtr(fmt.Sprintf("an edit (revision %d) landed between the re-read and the write, and restoring it failed: %v; restore revision %d by hand",
			ourRev-1, err, ourRev-1))
		return it, nil
	}
	_ = e.Store.MarkSnapshot(r.id, f.ns, f.id, store.SnapshotRolledBack, 0, r.id)
	it.Status, it.Diff = StatusConflict, ""
	it.Reason = strPtr(fmt.Sprintf("an edit (revision %d) landed between the re-read (revision %d) and the write: it was restored; retried on a later pass",
		ourRev-1, readRev))
	return it, nil
}
