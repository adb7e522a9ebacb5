package store

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// NamespaceProgress is how far the current or last scan of a namespace got,
// so that a stopped run resumes where it stopped.
type NamespaceProgress struct {
	Namespace string         `json:"namespace"`
	Counts    map[string]int `json:"counts"` // flows per status
	LastScan  time.Time      `json:"lastScan,omitzero"`
	Cursor    string         `json:"cursor,omitempty"` // last flow id fully processed; "" when complete
	Complete  bool           `json:"complete"`
	RunID     string         `json:"runId,omitempty"`
	Error     string         `json:"error,omitempty"`
	Server    ServerID       `json:"server"` // the server scanned (read-only: set when read)
}

// progressRecord is a NamespaceProgress on disk; the namespace is the key.
type progressRecord struct {
	Counts   map[string]int `json:"counts,omitempty"`
	LastScan time.Time      `json:"lastScan,omitzero"`
	Cursor   string         `json:"cursor,omitempty"`
	Complete bool           `json:"complete,omitempty"`
	RunID    string         `json:"runId,omitempty"`
	Error    string         `json:"error,omitempty"`
}

func (r progressRecord) progress(ns string, srv ServerID) NamespaceProgress {
	return NamespaceProgress{Namespace: ns, Counts: r.Counts, LastScan: r.LastScan, Cursor: r.Cursor,
		Complete: r.Complete, RunID: r.RunID, Error: r.Error, Server: srv}
}

// PutProgress records a namespace's progress, as the bound server's,
// durably, sharing the commit with concurrent callers (bbolt Batch).
func (s *Store) PutProgress(p NamespaceProgress) error {
	return s.RecordNamespace(nil, p)
}

// RecordNamespace stores the states of a namespace's flows, its progress
// and the marks of its last writes in one transaction: one fsync at the end
// of a namespace's pass, as the bound server's (ErrNotBound when the Store
// is not bound). A mark that cannot apply (an unknown snapshot, a state
// change that makes no sense, another server's snapshot) is left out and
// reported; the rest is recorded.
func (s *Store) RecordNamespace(states []FlowState, p NamespaceProgress, marks ...SnapshotMark) (err error) {
	defer s.shield(&err)()
	if err := checkPart("namespace", p.Namespace); err != nil {
		return fmt.Errorf("put progress: %w", err)
	}
	for _, m := range marks {
		if err := m.check(); err != nil {
			return err
		}
	}
	val, err := json.Marshal(progressRecord{Counts: p.Counts, LastScan: utc(p.LastScan), Cursor: p.Cursor,
		Complete: p.Complete, RunID: p.RunID, Error: scrubText(p.Error)})
	if err != nil {
		return fmt.Errorf("put progress %s: %w", p.Namespace, err)
	}
	puts, err := s.flowStatePuts(states)
	if err != nil {
		return err
	}
	puts = append(puts, put{bucketProgress, []byte(p.Namespace), val})
	now := utc(s.now())
	var refused []error
	err = s.db.Batch(func(tx *bolt.Tx) error {
		refused = refused[:0] // Batch may run this body again
		for _, m := range marks {
			if err := s.applyMark(tx, m, now); err != nil {
				if !errors.Is(err, ErrTransition) && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrOtherServer) {
					return err
				}
				refused = append(refused, fmt.Errorf("mark snapshot %s/%s (run %s) %s: %w", m.Namespace, m.FlowID, m.RunID, m.State, err))
			}
		}
		return s.putAll(tx, puts)
	})
	if err != nil {
		return fmt.Errorf("record namespace %s: %w", p.Namespace, err)
	}
	s.publishLive(false)
	return errors.Join(refused...)
}

// Progress returns a namespace's progress on the bound server, or an error
// wrapping ErrNotFound (ErrNotBound when the Store is not bound).
func (s *Store) Progress(ns string) (_ NamespaceProgress, err error) {
	defer s.shield(&err)()
	var rec progressRecord
	err = s.db.View(func(tx *bolt.Tx) error {
		b, err := s.boundBucket(tx, bucketProgress, false)
		if err != nil {
			return err
		}
		return getIn(b, bucketProgress, []byte(ns), &rec)
	})
	if err != nil {
		return NamespaceProgress{}, fmt.Errorf("progress of %s: %w", ns, err)
	}
	srv, _ := s.Server()
	return rec.progress(ns, srv), nil
}

// AllProgress returns the progress of every namespace, sorted by namespace
// then server: the bound server's only, or, unbound, every server's.
func (s *Store) AllProgress() (_ []NamespaceProgress, err error) {
	defer s.shield(&err)()
	return s.allProgress(s.owns)
}

// allProgress lists the progress of the servers keep accepts.
func (s *Store) allProgress(keep func(ServerID) bool) ([]NamespaceProgress, error) {
	var out []NamespaceProgress
	err := s.db.View(func(tx *bolt.Tx) error {
		return forEachServer(tx, bucketProgress, func(srv ServerID, b *bolt.Bucket) error {
			if !keep(srv) {
				return nil
			}
			return b.ForEach(func(k, v []byte) error {
				var rec progressRecord
				if err := decode(bucketProgress, k, v, &rec); err != nil {
					return err
				}
				out = append(out, rec.progress(string(k), srv))
				return nil
			})
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list progress: %w", err)
	}
	slices.SortStableFunc(out, func(a, b NamespaceProgress) int {
		return cmp.Or(strings.Compare(a.Namespace, b.Namespace), strings.Compare(a.Server.URL, b.Server.URL),
			strings.Compare(a.Server.Tenant, b.Server.Tenant), strings.Compare(a.Server.Instance, b.Server.Instance))
	})
	return out, nil
}
