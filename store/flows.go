package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// FlowState is what the last run that looked at a flow found: the daemon
// compares SourceHash to skip flows that did not change.
type FlowState struct {
	Namespace  string    `json:"namespace"`
	ID         string    `json:"id"`
	Revision   int       `json:"revision"`
	SourceHash string    `json:"sourceHash,omitempty"`
	Status     string    `json:"status"` // a status of migration-rules.md
	Reason     string    `json:"reason,omitempty"`
	RunID      string    `json:"runId,omitempty"`
	UpdatedAt  time.Time `json:"updatedAt"`
}

// flowRecord is a FlowState on disk; namespace and id are the key.
type flowRecord struct {
	Revision   int       `json:"revision"`
	SourceHash string    `json:"sourceHash,omitempty"`
	Status     string    `json:"status"`
	Reason     string    `json:"reason,omitempty"`
	RunID      string    `json:"runId,omitempty"`
	UpdatedAt  time.Time `json:"updatedAt"`
}

func (r flowRecord) state(ns, id string) FlowState {
	return FlowState{Namespace: ns, ID: id, Revision: r.Revision, SourceHash: r.SourceHash, Status: r.Status,
		Reason: r.Reason, RunID: r.RunID, UpdatedAt: r.UpdatedAt}
}

// PutFlowStates records states, as the bound server's, in one durable
// commit shared with concurrent callers (bbolt Batch). UpdatedAt defaults
// to now. An unbound Store fails with ErrNotBound.
func (s *Store) PutFlowStates(states []FlowState) (err error) {
	defer s.shield(&err)()
	if len(states) == 0 {
		return nil
	}
	puts, err := s.flowStatePuts(states)
	if err != nil {
		return err
	}
	err = s.db.Batch(func(tx *bolt.Tx) error { return s.putAll(tx, puts) })
	if err != nil {
		return fmt.Errorf("put %d flow states (first %s/%s): %w", len(states), states[0].Namespace, states[0].ID, err)
	}
	return nil
}

// flowStatePuts encodes flow states for a transaction.
func (s *Store) flowStatePuts(states []FlowState) ([]put, error) {
	now := s.now()
	puts := make([]put, len(states))
	for i, st := range states {
		if err := checkFlow(st.Namespace, st.ID); err != nil {
			return nil, fmt.Errorf("put flow state: %w", err)
		}
		val, err := json.Marshal(flowRecord{Revision: st.Revision, SourceHash: st.SourceHash, Status: st.Status,
			Reason: scrubText(st.Reason), RunID: st.RunID, UpdatedAt: orNow(st.UpdatedAt, now)})
		if err != nil {
			return nil, fmt.Errorf("put flow state %s/%s: %w", st.Namespace, st.ID, err)
		}
		puts[i] = put{bucketFlows, flowKey(st.Namespace, st.ID), val}
	}
	return puts, nil
}

// DeleteFlowState forgets a flow (deleted on the server); absent is not an error.
func (s *Store) DeleteFlowState(ns, id string) (err error) {
	defer s.shield(&err)()
	if err := checkFlow(ns, id); err != nil {
		return fmt.Errorf("delete flow state: %w", err)
	}
	err = s.db.Batch(func(tx *bolt.Tx) error {
		b, err := s.boundBucket(tx, bucketFlows, false)
		if err != nil || b == nil {
			return err
		}
		return b.Delete(flowKey(ns, id))
	})
	if err != nil {
		return fmt.Errorf("delete flow state %s/%s: %w", ns, id, err)
	}
	return nil
}

// FlowState returns one flow's state on the bound server, or an error
// wrapping ErrNotFound (ErrNotBound when the Store is not bound).
func (s *Store) FlowState(ns, id string) (_ FlowState, err error) {
	defer s.shield(&err)()
	var rec flowRecord
	err = s.db.View(func(tx *bolt.Tx) error {
		b, err := s.boundBucket(tx, bucketFlows, false)
		if err != nil {
			return err
		}
		return getIn(b, bucketFlows, flowKey(ns, id), &rec)
	})
	if err != nil {
		return FlowState{}, fmt.Errorf("flow state %s/%s: %w", ns, id, err)
	}
	return rec.state(ns, id), nil
}

// FlowStates returns the bound server's states of the flows of exactly
// namespace ns (not its children), keyed by flow id; empty when there are
// none (ErrNotBound when the Store is not bound).
func (s *Store) FlowStates(ns string) (_ map[string]FlowState, err error) {
	defer s.shield(&err)()
	out := map[string]FlowState{}
	err = s.db.View(func(tx *bolt.Tx) error {
		b, err := s.boundBucket(tx, bucketFlows, false)
		if err != nil || b == nil {
			return err
		}
		prefix := append([]byte(ns), sep)
		c := b.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var rec flowRecord
			if err := decode(bucketFlows, k, v, &rec); err != nil {
				return err
			}
			_, id, _ := splitFlowKey(k)
			out[id] = rec.state(ns, id)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("flow states of %s: %w", ns, err)
	}
	return out, nil
}
