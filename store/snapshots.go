package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SnapshotState is where a snapshot stands relative to the write it guards.
type SnapshotState string

// Snapshot states.
const (
	SnapshotSaved      SnapshotState = "saved"       // committed before the write; the write may or may not have happened
	SnapshotWritten    SnapshotState = "written"     // the migrated source is on the server
	SnapshotAbandoned  SnapshotState = "abandoned"   // the write is proven not to have happened
	SnapshotRolledBack SnapshotState = "rolled-back" // the original was restored
)

// ErrSnapshotExists is wrapped by SaveSnapshot when saving would replace the
// only copy of an original that may already have been overwritten.
var ErrSnapshotExists = errors.New("snapshot already exists")

// ErrTransition is wrapped by MarkSnapshot for a state change that makes no sense.
var ErrTransition = errors.New("invalid snapshot state change")

// transitions lists the states each state may move to (itself included, so
// that retries are harmless).
var transitions = map[SnapshotState][]SnapshotState{
	SnapshotSaved:      {SnapshotSaved, SnapshotWritten, SnapshotAbandoned, SnapshotRolledBack},
	SnapshotWritten:    {SnapshotWritten, SnapshotRolledBack},
	SnapshotAbandoned:  {SnapshotAbandoned},
	SnapshotRolledBack: {SnapshotRolledBack},
}

// Snapshot is the exact original source of a flow, saved by a run before it
// wrote the migrated source. Its JSON form leaves the sources out.
type Snapshot struct {
	RunID        string        `json:"runId"`
	Namespace    string        `json:"namespace"`
	FlowID       string        `json:"flowId"`
	Revision     int           `json:"revision"` // revision of Original
	Original     []byte        `json:"-"`
	Migrated     []byte        `json:"-"`
	NewRevision  int           `json:"newRevision,omitempty"` // revision the write produced; 0 unknown
	State        SnapshotState `json:"state"`
	CreatedAt    time.Time     `json:"createdAt"`
	UpdatedAt    time.Time     `json:"updatedAt"`
	RolledBackBy string        `json:"rolledBackBy,omitempty"` // id of the rollback run
	Server       ServerID      `json:"server"`                 // the server of its run (read-only: set when read)
}

// snapshotRecord is a Snapshot's metadata on disk; run, namespace and flow
// are the key, sources live in the sources bucket.
type snapshotRecord struct {
	Revision     int           `json:"revision"`
	NewRevision  int           `json:"newRevision,omitempty"`
	State        SnapshotState `json:"state"`
	CreatedAt    time.Time     `json:"createdAt"`
	UpdatedAt    time.Time     `json:"updatedAt"`
	RolledBackBy string        `json:"rolledBackBy,omitempty"`
}

func (r snapshotRecord) snapshot(run, ns, id string) Snapshot {
	return Snapshot{RunID: run, Namespace: ns, FlowID: id, Revision: r.Revision, NewRevision: r.NewRevision,
		State: r.State, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, RolledBackBy: r.RolledBackBy}
}

// encodeSources lays out uvarint(len(original)) original migrated.
func encodeSources(original, migrated []byte) []byte {
	buf := make([]byte, 0, binary.MaxVarintLen64+len(original)+len(migrated))
	buf = binary.AppendUvarint(buf, uint64(len(original)))
	buf = append(buf, original...)
	return append(buf, migrated...)
}

// decodeSources copies both sources out of a value (which bbolt owns).
func decodeSources(raw []byte) (original, migrated []byte, err error) {
	n, size := binary.Uvarint(raw)
	if size <= 0 || n > uint64(len(raw)-size) {
		return nil, nil, errors.New("corrupt sources record")
	}
	buf := bytes.Clone(raw[size:]) // one allocation for both
	return buf[:n:n], buf[n:], nil
}

// SaveSnapshot commits snap durably (fsync) before returning, so call it
// before the write it guards. Concurrent callers share commits (bbolt
// Batch). State defaults to saved, CreatedAt to now. The run must exist,
// and a bound Store refuses a run of another server (*OtherServerError).
// Saving again over a snapshot still in state saved with the same original
// is a harmless retry; replacing a different original, or a snapshot that
// was written or rolled back, fails with ErrSnapshotExists (an abandoned one
// may be replaced).
func (s *Store) SaveSnapshot(snap Snapshot) (err error) {
	defer s.shield(&err)()
	commit, err := s.saveSnapshotTx(snap)
	if err == nil {
		err = s.db.Batch(commit)
	}
	if err != nil {
		return fmt.Errorf("save snapshot %s/%s (run %s): %w", snap.Namespace, snap.FlowID, snap.RunID, err)
	}
	return nil
}

// saveSnapshotTx checks and encodes snap outside any transaction and returns
// the transaction body that stores it. Batch may run that body more than
// once: it depends only on the transaction.
func (s *Store) saveSnapshotTx(snap Snapshot) (func(*bolt.Tx) error, error) {
	if err := checkPart("run id", snap.RunID); err != nil {
		return nil, err
	}
	if err := checkFlow(snap.Namespace, snap.FlowID); err != nil {
		return nil, err
	}
	if snap.State == "" {
		snap.State = SnapshotSaved
	}
	if _, ok := transitions[snap.State]; !ok {
		return nil, fmt.Errorf("unknown state %q", snap.State)
	}
	now := s.now()
	meta, err := json.Marshal(snapshotRecord{Revision: snap.Revision, NewRevision: snap.NewRevision, State: snap.State,
		CreatedAt: orNow(snap.CreatedAt, now), UpdatedAt: utc(now), RolledBackBy: snap.RolledBackBy})
	if err != nil {
		return nil, err
	}
	key := snapshotKey(snap.RunID, snap.Namespace, snap.FlowID)
	sources := encodeSources(snap.Original, snap.Migrated)
	latest := flowKey(snap.Namespace, snap.FlowID)
	run := []byte(snap.RunID)
	return func(tx *bolt.Tx) error {
		srv, ok, err := runServer(tx, snap.RunID)
		switch {
		case err != nil:
			return err
		case !ok:
			return fmt.Errorf("run %s: %w", snap.RunID, ErrNotFound)
		case !s.owns(srv):
			return s.refuse("run "+snap.RunID, srv)
		}
		if err := checkReplace(tx, key, snap.Original); err != nil {
			return err
		}
		if err := s.putAll(tx, []put{{bucketSnapshots, key, meta}, {bucketSources, key, sources}}); err != nil {
			return err
		}
		b, err := serverBucket(tx, srv.key(), bucketLatest, true) // the latest snapshot per flow, per server
		if err != nil {
			return err
		}
		return b.Put(latest, run)
	}, nil
}

// checkReplace refuses to overwrite an existing snapshot unless that keeps
// the only copy of its original.
func checkReplace(tx *bolt.Tx, key, original []byte) error {
	old := tx.Bucket(bucketSnapshots).Get(key)
	if old == nil {
		return nil
	}
	var rec snapshotRecord
	if err := decode(bucketSnapshots, key, old, &rec); err != nil {
		return err
	}
	switch rec.State {
	case SnapshotAbandoned:
		return nil
	case SnapshotSaved:
		oldOriginal, _, err := decodeSources(tx.Bucket(bucketSources).Get(key))
		if err == nil && bytes.Equal(oldOriginal, original) {
			return nil
		}
		return fmt.Errorf("%w in state %s with a different original", ErrSnapshotExists, rec.State)
	}
	return fmt.Errorf("%w in state %s", ErrSnapshotExists, rec.State)
}

type put struct{ bucket, key, val []byte }

// putAll writes puts; flow states and progress go to the bound server's
// buckets.
func (s *Store) putAll(tx *bolt.Tx, puts []put) error {
	for _, p := range puts {
		var b *bolt.Bucket
		var err error
		if perServer(p.bucket) {
			b, err = s.boundBucket(tx, p.bucket, true)
		} else {
			b, err = bucketFor(tx, p.bucket)
		}
		if err != nil {
			return err
		}
		if err := b.Put(p.key, p.val); err != nil {
			return fmt.Errorf("put %s: %w", p.bucket, err)
		}
	}
	return nil
}

// MarkSnapshot moves a snapshot to state, durably. newRevision (when not 0)
// records the revision the write produced; by (when not empty) records the
// rollback run. Moves: saved -> written | abandoned | rolled-back,
// written -> rolled-back; repeating the current state is allowed.
func (s *Store) MarkSnapshot(runID, ns, id string, state SnapshotState, newRevision int, by string) (err error) {
	defer s.shield(&err)()
	m := SnapshotMark{RunID: runID, Namespace: ns, FlowID: id, State: state, NewRevision: newRevision, By: by}
	if err := m.check(); err != nil {
		return err
	}
	now := utc(s.now())
	if err := s.db.Batch(func(tx *bolt.Tx) error { return s.applyMark(tx, m, now) }); err != nil {
		return fmt.Errorf("mark snapshot %s/%s (run %s) %s: %w", ns, id, runID, state, err)
	}
	return nil
}

// SnapshotMark is one state change of MarkSnapshots.
type SnapshotMark struct {
	RunID, Namespace, FlowID string
	State                    SnapshotState
	NewRevision              int
	By                       string
}

// MarkSnapshots records several state changes in one transaction: one fsync
// for a whole batch of writes. A refused change fails them all (none is
// recorded), naming the snapshot.
func (s *Store) MarkSnapshots(marks []SnapshotMark) (err error) {
	defer s.shield(&err)()
	for _, m := range marks {
		if err := m.check(); err != nil {
			return err
		}
	}
	now := utc(s.now())
	return s.db.Batch(func(tx *bolt.Tx) error {
		for _, m := range marks {
			if err := s.applyMark(tx, m, now); err != nil {
				return fmt.Errorf("mark snapshot %s/%s (run %s) %s: %w", m.Namespace, m.FlowID, m.RunID, m.State, err)
			}
		}
		return nil
	})
}

func (m SnapshotMark) check() error {
	if err := checkPart("run id", m.RunID); err != nil {
		return fmt.Errorf("mark snapshot: %w", err)
	}
	if err := checkFlow(m.Namespace, m.FlowID); err != nil {
		return fmt.Errorf("mark snapshot: %w", err)
	}
	if _, ok := transitions[m.State]; !ok {
		return fmt.Errorf("mark snapshot %s/%s: unknown state %q", m.Namespace, m.FlowID, m.State)
	}
	return nil
}

// applyMark records one state change; a bound Store refuses to mark a
// snapshot of another server's run.
func (s *Store) applyMark(tx *bolt.Tx, m SnapshotMark, now time.Time) error {
	key := snapshotKey(m.RunID, m.Namespace, m.FlowID)
	var rec snapshotRecord
	if err := getJSON(tx, bucketSnapshots, key, &rec); err != nil {
		return err
	}
	if srv, _, err := runServer(tx, m.RunID); err != nil {
		return err
	} else if !s.owns(srv) {
		return s.refuse("run "+m.RunID, srv)
	}
	if !allowed(rec.State, m.State) {
		return fmt.Errorf("%w: %s -> %s", ErrTransition, rec.State, m.State)
	}
	rec.State = m.State
	if m.NewRevision != 0 {
		rec.NewRevision = m.NewRevision
	}
	if m.By != "" {
		rec.RolledBackBy = m.By
	}
	rec.UpdatedAt = now
	val, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketSnapshots).Put(key, val)
}

func allowed(from, to SnapshotState) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Snapshot returns one snapshot with its sources, or an error wrapping
// ErrNotFound; a bound Store refuses another server's (*OtherServerError).
func (s *Store) Snapshot(runID, ns, id string) (_ Snapshot, err error) {
	defer s.shield(&err)()
	var snap Snapshot
	err = s.db.View(func(tx *bolt.Tx) error {
		var err error
		snap, err = readSnapshot(tx, runID, ns, id)
		if err == nil && !s.owns(snap.Server) {
			err = s.refuse("run "+runID, snap.Server)
		}
		return err
	})
	if err != nil {
		return Snapshot{}, fmt.Errorf("snapshot %s/%s (run %s): %w", ns, id, runID, err)
	}
	return snap, nil
}

// LatestSnapshot returns the most recently saved snapshot of a flow, or an
// error wrapping ErrNotFound: on the bound server, or, unbound, the most
// recent on any server.
func (s *Store) LatestSnapshot(ns, id string) (_ Snapshot, err error) {
	defer s.shield(&err)()
	var snap Snapshot
	err = s.db.View(func(tx *bolt.Tx) error {
		found := false
		err := forEachServer(tx, bucketLatest, func(srv ServerID, b *bolt.Bucket) error {
			run := b.Get(flowKey(ns, id))
			if run == nil || !s.owns(srv) {
				return nil
			}
			cand, err := readSnapshot(tx, string(run), ns, id)
			if err != nil {
				return err
			}
			if !found || cand.CreatedAt.After(snap.CreatedAt) {
				snap, found = cand, true
			}
			return nil
		})
		if err == nil && !found {
			err = ErrNotFound
		}
		return err
	})
	if err != nil {
		return Snapshot{}, fmt.Errorf("latest snapshot %s/%s: %w", ns, id, err)
	}
	return snap, nil
}

func readSnapshot(tx *bolt.Tx, run, ns, id string) (Snapshot, error) {
	key := snapshotKey(run, ns, id)
	var rec snapshotRecord
	if err := getJSON(tx, bucketSnapshots, key, &rec); err != nil {
		return Snapshot{}, err
	}
	snap := rec.snapshot(run, ns, id)
	srv, _, err := runServer(tx, run)
	if err != nil {
		return Snapshot{}, err
	}
	snap.Server = srv
	return snap, loadSources(tx, key, &snap)
}

// loadSources fills snap's sources from the sources bucket.
func loadSources(tx *bolt.Tx, key []byte, snap *Snapshot) error {
	var raw []byte
	if b := tx.Bucket(bucketSources); b != nil {
		raw = b.Get(key)
	}
	if raw == nil {
		return fmt.Errorf("sources of snapshot %q missing", key)
	}
	var err error
	snap.Original, snap.Migrated, err = decodeSources(raw)
	if err != nil {
		return fmt.Errorf("sources of snapshot %q: %w", key, err)
	}
	return nil
}
