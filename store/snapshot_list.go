package store

import (
	"bytes"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// SnapshotFilter selects snapshots; zero fields match everything.
type SnapshotFilter struct {
	RunID     string
	Namespace string // that namespace and its children (NS and NS.*); exactly NS when FlowID is set
	FlowID    string // with Namespace, one flow; alone, that id in any namespace
	State     SnapshotState
	// SkipSources leaves Original and Migrated nil: listing without reading sources.
	SkipSources bool
	// RefuseOtherServer (bound Store): when the filter selects no snapshot of
	// the bound server but some of another, fail with an *OtherServerError
	// naming it rather than select nothing: a rollback pointed at the wrong
	// server says so.
	RefuseOtherServer bool
}

func (f SnapshotFilter) matchFlow(ns, id string) bool {
	if f.FlowID != "" {
		return id == f.FlowID && (f.Namespace == "" || ns == f.Namespace)
	}
	return f.Namespace == "" || ns == f.Namespace ||
		(strings.HasPrefix(ns, f.Namespace) && ns[len(f.Namespace)] == '.')
}

// Snapshots returns the snapshots f selects, ordered by run, then namespace,
// then flow id: the bound server's only (a RunID of another server's run is
// an *OtherServerError), or, unbound, every server's.
func (s *Store) Snapshots(f SnapshotFilter) ([]Snapshot, error) {
	var out []Snapshot
	err := s.ForEachSnapshot(f, func(snap Snapshot) error {
		out = append(out, snap)
		return nil
	})
	return out, err
}

// ForEachSnapshot calls fn for each snapshot f selects, in the order of
// Snapshots, stopping at fn's first error (returned as is). fn runs inside a
// read transaction: keep it short, and do not write to the store from it.
// The Snapshot it gets is its own to keep.
func (s *Store) ForEachSnapshot(f SnapshotFilter, fn func(Snapshot) error) (err error) {
	defer s.shield(&err)()
	var fnErr error
	err = s.db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketSnapshots)
		if meta == nil {
			return nil
		}
		if f.RunID != "" {
			if srv, ok, err := runServer(tx, f.RunID); err != nil {
				return err
			} else if ok && !s.owns(srv) {
				return s.refuse("run "+f.RunID, srv)
			}
		}
		servers := runServers{tx: tx}
		own, foreign := 0, ServerID{}
		visit := func(k, v []byte) error {
			run, ns, id, ok := splitSnapshotKey(k)
			if !ok {
				return fmt.Errorf("malformed snapshot key %q", k)
			}
			if !f.matchFlow(ns, id) {
				return nil
			}
			var rec snapshotRecord
			if err := decode(bucketSnapshots, k, v, &rec); err != nil {
				return err
			}
			if f.State != "" && rec.State != f.State {
				return nil
			}
			srv, err := servers.get(run)
			if err != nil {
				return err
			}
			if !s.owns(srv) {
				foreign = srv
				return nil
			}
			own++
			snap := rec.snapshot(run, ns, id)
			snap.Server = srv
			if !f.SkipSources {
				if err := loadSources(tx, k, &snap); err != nil {
					return err
				}
			}
			if err := callFn(fn, snap); err != nil {
				fnErr = err
				return err
			}
			return nil
		}
		if err := scanSnapshots(meta.Cursor(), f, visit); err != nil {
			return err
		}
		if f.RefuseOtherServer && own == 0 && foreign.URL != "" {
			return s.refuse("every snapshot selected", foreign)
		}
		return nil
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("list snapshots: %w", err)
	}
	return nil
}

// scanSnapshots visits the keys that may match f, run by run: within a run
// it seeks straight to the namespace, and it jumps from run to run.
func scanSnapshots(c *bolt.Cursor, f SnapshotFilter, visit func(k, v []byte) error) error {
	if f.RunID != "" {
		return scanRun(c, []byte(f.RunID), f, visit)
	}
	k, _ := c.First()
	for k != nil {
		run, _, ok := bytes.Cut(k, []byte{sep})
		if !ok {
			return fmt.Errorf("malformed snapshot key %q", k)
		}
		run = bytes.Clone(run) // k belongs to the cursor
		if err := scanRun(c, run, f, visit); err != nil {
			return err
		}
		k, _ = c.Seek(append(run, sep+1)) // first key of the next run
	}
	return nil
}

// scanRun visits the keys of one run that start with the filter's namespace.
func scanRun(c *bolt.Cursor, run []byte, f SnapshotFilter, visit func(k, v []byte) error) error {
	prefix := append(append(bytes.Clone(run), sep), f.Namespace...)
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if err := visit(k, v); err != nil {
			return err
		}
	}
	return nil
}
