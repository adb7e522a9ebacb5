package migrator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/migrator/report"
	"github.com/kestra-migrator/kestra-migrator/migrator/rewrite"
	"github.com/kestra-migrator/kestra-migrator/store"
)

// finishTimeout bounds the write of a flow whose snapshot is saved once the
// run is cancelled: the write and its record complete, or the snapshot
// stays "saved" and the next run reconciles it.
const finishTimeout = 2 * time.Minute

// flush validates the batch of rewritten flows and hands the valid ones to
// the path (plan reports them, apply writes them). The marks of a batch
// that is not the namespace's last are recorded now; the last batch's go
// with the namespace itself (one fsync fewer).
func (s *nsScan) flush(ctx context.Context, last bool) error {
	batch := s.batch
	s.batch = nil
	if len(batch) == 0 {
		return nil
	}
	valid, err := s.validate(ctx, batch)
	if err != nil {
		if unreached(ctx, err) {
			s.batch = batch // not reached: settled by notReached
			return err
		}
		for _, f := range batch {
			s.fail(f.id, f.revision, "validate: "+err.Error())
		}
		return err
	}
	if err := s.r.path.settle(ctx, s, valid); err != nil {
		return err
	}
	if !last {
		// one transaction for the batch's marks: a crash before it leaves the
		// snapshots "saved", and the next run settles them from the server
		if err := s.r.e.Store.MarkSnapshots(s.takeMarks()); err != nil {
			s.r.e.log().Error("record the batch's writes", "namespace", s.ns, "err", err)
		}
	}
	return ctx.Err()
}

// validate asks the server about the rewritten sources; the invalid ones are
// settled and the valid returned.
func (s *nsScan) validate(ctx context.Context, batch []*flow) ([]*flow, error) {
	if !s.r.e.Validate {
		return batch, nil
	}
	sources := make([][]byte, len(batch))
	for i, f := range batch {
		sources[i] = f.result.Source
	}
	answers, err := s.r.src.Validate(ctx, sources)
	if err != nil {
		return nil, err
	}
	valid := batch[:0:0]
	for i, f := range batch {
		a := answers[i]
		if !a.Valid() {
			o := s.rewritten(f, report.StatusInvalid)
			o.reason = "the server rejects the migrated flow: " + a.Constraints
			s.settle(o)
			continue
		}
		if left := deprecatedPaths(a.DeprecationPaths, s.r.rw.DeprecatedKeys()); len(left) > 0 {
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

// writeBatch is apply's settle step: snapshots first, then one re-read of
// the namespace's revisions, then the guarded writes.
func writeBatch(ctx context.Context, s *nsScan, valid []*flow) error {
	if err := s.r.record(); err != nil {
		for _, f := range valid {
			s.fail(f.id, f.revision, "record the run: "+err.Error()+" (nothing written)")
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
			o := s.rewritten(f, report.StatusFailed)
			o.reason = "re-read before writing: " + err.Error() + " (nothing written)"
			if unreached(ctx, err) {
				o = stoppedOutcome(f.ns, f.id, f.revision, stopReason(ctx, err))
			}
			o.mark = store.SnapshotAbandoned
			s.settle(o)
		}
		return err
	}
	var g errgroup.Group
	g.SetLimit(s.r.e.concurrency())
	for _, f := range saved {
		g.Go(func() error {
			s.settle(s.write(ctx, f, current))
			return nil
		})
	}
	return g.Wait()
}

// saveSnapshots commits the batch's snapshots, concurrently so the state
// file's group commit gathers them in a few fsyncs; it returns the flows
// whose snapshot is safe (the others are settled failed).
func (s *nsScan) saveSnapshots(batch []*flow) []*flow {
	ok := make([]bool, len(batch))
	var g errgroup.Group
	for i, f := range batch {
		g.Go(func() error {
			err := s.r.e.Store.SaveSnapshot(store.Snapshot{RunID: s.r.id, Namespace: f.ns, FlowID: f.id, Revision: f.revision,
				Original: f.source, Migrated: f.result.Source, State: store.SnapshotSaved})
			if err != nil {
				s.fail(f.id, f.revision, fmt.Sprintf("save the rollback snapshot: %v (nothing written)", err))
				return nil
			}
			ok[i] = true
			return nil
		})
	}
	_ = g.Wait() // every error is a flow's, settled above
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
	for f, err := range s.r.src.SearchFlows(ctx, client.SearchQuery{Namespace: s.ns}) {
		if err != nil {
			return nil, fmt.Errorf("search flows: %w", err)
		}
		if f.Namespace == s.ns {
			revs[f.ID] = f.Revision
		}
	}
	return revs, nil
}

// write migrates one flow whose snapshot is saved: only if the server still
// holds the revision its source was read at (current, re-read after the
// snapshots), else conflict; then through the guarded write.
func (s *nsScan) write(ctx context.Context, f *flow, current map[string]int) outcome {
	o := s.rewritten(f, report.StatusMigrated)
	o.mark = store.SnapshotAbandoned // until a write happens
	conflict := func(reason string) outcome {
		o.status, o.reason = report.StatusConflict, reason
		return o
	}
	rev, listed := current[f.id]
	switch {
	case f.revision > 0 && !listed:
		return conflict("the flow was deleted on the server since it was read")
	case f.revision > 0 && rev != f.revision:
		return conflict(fmt.Sprintf("changed on the server since it was read (revision %d, now %d): retried on a later pass", f.revision, rev))
	}
	if err := s.r.slots.Acquire(ctx, 1); err != nil {
		o := stoppedOutcome(f.ns, f.id, f.revision, context.Cause(ctx))
		o.mark = store.SnapshotAbandoned
		return o
	}
	defer s.r.slots.Release(1)
	if f.revision == 0 { // read without a revision (not listed by the search): compare the source itself
		cur, err := s.r.src.Flow(ctx, f.ns, f.id)
		switch {
		case errors.Is(err, client.ErrNotFound):
			return conflict("the flow was deleted on the server since it was read")
		case err != nil && unreached(ctx, err):
			o := stoppedOutcome(f.ns, f.id, f.revision, stopReason(ctx, err))
			o.mark = store.SnapshotAbandoned
			return o
		case err != nil:
			o.status, o.reason = report.StatusFailed, fmt.Sprintf("re-read before writing: %v (nothing written)", err)
			return o
		case cur.Source != string(f.source):
			return conflict(fmt.Sprintf("changed on the server since it was read (now revision %d): retried on a later pass", cur.Revision))
		}
		rev = cur.Revision
	}
	o.revision = rev
	return guardedWrite(ctx, s.r.src, s.r.e.log(), o, guard{readRevision: rev, read: f.source, write: f.result.Source,
		again: "retried on a later pass"})
}

// guard is one guarded write: the source to write over the revision just
// read (holding read), and what to tell the operator when an edit wins.
type guard struct {
	readRevision int
	read, write  []byte
	again        string
}

// guardedWrite is the one write of apply and rollback, over a revision the
// caller read right before. Kestra has no optimistic concurrency, so the
// write is checked after the fact: an edit that slipped in between the read
// and the write is put back (conflict); the source the server answers must
// be the one sent (else failed); a write whose outcome is unknown is settled
// by reading the flow back. o carries the status of success (migrated,
// restored) and mark abandoned; the result says what happened.
func guardedWrite(ctx context.Context, src FlowSource, log *slog.Logger, o outcome, g guard) outcome {
	// from here the write and its record complete even if the run is stopped
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	put, err := src.UpdateFlow(wctx, o.ns, o.id, g.write)
	if err != nil {
		var apiErr *client.APIError
		if errors.As(err, &apiErr) && apiErr.Status == 422 {
			o.status, o.reason = report.StatusInvalid, "the server rejected the write: "+apiErr.Message
			return o
		}
		return reconcileWrite(wctx, src, o, g, err)
	}
	if put.Revision > g.readRevision+1 {
		return restoreOverwritten(wctx, src, log, o, g, put.Revision)
	}
	o.written, o.mark, o.source = put.Revision, store.SnapshotWritten, g.write
	return verifyWrite(wctx, src, o, g, put)
}

// verifyWrite compares the source the server answers after the write (it
// stores it byte for byte) with the one sent: a difference is a failure.
func verifyWrite(ctx context.Context, src FlowSource, o outcome, g guard, put *client.Flow) outcome {
	stored := put.Source
	if stored == "" { // an answer without the source: read the revision written
		rev, err := src.FlowRevision(ctx, o.ns, o.id, put.Revision)
		if err != nil {
			o.status, o.reason = report.StatusFailed, fmt.Sprintf("written as revision %d, but reading it back to verify failed: %v", put.Revision, err)
			return o
		}
		stored = rev.Source
	}
	if stored != string(g.write) {
		o.status, o.source = report.StatusFailed, []byte(stored)
		o.reason = fmt.Sprintf("the server stored a source that differs from the one sent (sha256 %s, sent %s) as revision %d: check that revision; rollback --force restores the original",
			sourceHash([]byte(stored)), sourceHash(g.write), put.Revision)
	}
	return o
}

// reconcileWrite settles a write whose outcome is unknown (the request
// failed after its retries) by reading the flow back.
func reconcileWrite(ctx context.Context, src FlowSource, o outcome, g guard, writeErr error) outcome {
	cur, err := src.Flow(ctx, o.ns, o.id)
	switch {
	case err == nil && cur.Source == string(g.write):
		o.written, o.mark, o.source = cur.Revision, store.SnapshotWritten, g.write
		return o
	case err == nil && cur.Source == string(g.read):
		o.status, o.reason = report.StatusFailed, fmt.Sprintf("write: %v (nothing written)", writeErr)
		return o
	}
	// the snapshot stays "saved": the next run reads the server and settles it
	o.status, o.mark = report.StatusFailed, ""
	o.reason = fmt.Sprintf("write: %v (outcome unknown: the next run reconciles it)", writeErr)
	return o
}

// maxPutBacks bounds the put-backs of restoreOverwritten when edits keep
// landing between its read and its write.
const maxPutBacks = 5

// restoreOverwritten handles a write that landed on top of an edit made
// between the read and the write (Kestra has no optimistic concurrency):
// the edit is put back as the current revision and the flow is a conflict.
// The put-back is itself a write, checked the same way: when another edit
// lands during it (made on top of what we had written), that edit's changes
// are merged into what is put back, or the flow is left for a person.
func restoreOverwritten(ctx context.Context, src FlowSource, log *slog.Logger, o outcome, g guard, ourRev int) outcome {
	o.written, o.mark = ourRev, store.SnapshotWritten // until the edit is back
	fail := func(reason string) outcome {
		o.status, o.reason = report.StatusFailed, reason
		log.Error("an overwritten edit could not be put back", "flow", o.ns+"/"+o.id, "reason", reason)
		return o
	}
	edit, err := src.FlowRevision(ctx, o.ns, o.id, ourRev-1)
	if err != nil {
		return fail(fmt.Sprintf("an edit (revision %d) landed between the read and the write, and reading it back failed: %v; restore revision %d by hand", ourRev-1, err, ourRev-1))
	}
	want, written := edit.Source, string(g.write) // what to put back, what our last write said
	last := ourRev
	for range maxPutBacks {
		put, err := src.UpdateFlow(ctx, o.ns, o.id, []byte(want))
		if err != nil {
			return fail(fmt.Sprintf("an edit (revision %d) landed between the read and the write, and putting it back failed: %v; restore it by hand", ourRev-1, err))
		}
		if put.Revision <= last+1 {
			o.status, o.mark, o.source = report.StatusConflict, store.SnapshotRolledBack, []byte(want)
			o.reason = fmt.Sprintf("an edit (revision %d) landed between the read (revision %d) and the write: it was restored as the current revision; %s",
				ourRev-1, g.readRevision, g.again)
			return o
		}
		// another edit (put.Revision-1) landed on top of our last write: fold it in
		theirs, err := src.FlowRevision(ctx, o.ns, o.id, put.Revision-1)
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
