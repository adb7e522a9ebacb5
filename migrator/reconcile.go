package migrator

import (
	"context"
	"errors"
	"fmt"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/store"
)

// reconcile settles the snapshots that earlier runs saved but never marked
// (a crash between the snapshot and the record of the write): the server
// says whether the migrated source was written.
func (r *run) reconcile(ctx context.Context, sc scope) error {
	e := r.e
	saved, err := e.Store.Snapshots(store.SnapshotFilter{State: store.SnapshotSaved})
	if err != nil {
		return fmt.Errorf("read unsettled snapshots: %w", err)
	}
	selected := map[string]bool{}
	for _, ns := range sc.namespaces {
		selected[ns] = true
	}
	for _, snap := range saved {
		if !selected[snap.Namespace] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		// one flow that cannot be read must not stop every later run: its
		// snapshot stays "saved" and the next run tries again
		if err := r.settle(ctx, snap); err != nil {
			msg := fmt.Sprintf("could not settle the snapshot of %s/%s (run %s), left for the next run: %v",
				snap.Namespace, snap.FlowID, snap.RunID, err)
			r.e.log().Warn(msg)
			r.rec.Warn(msg)
		}
	}
	return nil
}

// settle marks one snapshot written (with the revision that holds the
// migrated source) or abandoned.
func (r *run) settle(ctx context.Context, snap store.Snapshot) error {
	e := r.e
	revs, err := r.src.Revisions(ctx, snap.Namespace, snap.FlowID)
	if errors.Is(err, client.ErrNotFound) {
		return e.Store.MarkSnapshot(snap.RunID, snap.Namespace, snap.FlowID, store.SnapshotAbandoned, 0, "")
	}
	if err != nil {
		return err
	}
	for _, rev := range revs {
		if rev.Revision > snap.Revision && rev.Source == string(snap.Migrated) {
			e.log().Info("reconciled an unrecorded write", "flow", snap.Namespace+"/"+snap.FlowID, "run", snap.RunID, "revision", rev.Revision)
			return e.Store.MarkSnapshot(snap.RunID, snap.Namespace, snap.FlowID, store.SnapshotWritten, rev.Revision, "")
		}
	}
	return e.Store.MarkSnapshot(snap.RunID, snap.Namespace, snap.FlowID, store.SnapshotAbandoned, 0, "")
}
