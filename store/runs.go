package store

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Run statuses.
const (
	RunRunning     = "running"
	RunDone        = "done"
	RunInterrupted = "interrupted"
	RunFailed      = "failed"
)

// ErrRunExists is wrapped by CreateRun when the id is taken.
var ErrRunExists = errors.New("run already exists")

// Run is one invocation of plan, apply, rollback or a daemon pass.
type Run struct {
	ID         string         `json:"id"`
	Command    string         `json:"command"`
	Selection  []string       `json:"selection,omitempty"`
	Server     string         `json:"server,omitempty"` // as NormalizeServerURL leaves it
	Tenant     string         `json:"tenant,omitempty"`
	Instance   string         `json:"instance,omitempty"` // Kestra's instance id, when the server gives one
	StartedAt  time.Time      `json:"startedAt"`
	FinishedAt time.Time      `json:"finishedAt,omitzero"`
	Counters   map[string]int `json:"counters,omitempty"` // flows per status
	Status     string         `json:"status"`             // RunRunning, RunDone, RunInterrupted, RunFailed
	Error      string         `json:"error,omitempty"`
}

// runRecord is a Run on disk; the id is the key.
type runRecord struct {
	Command    string         `json:"command"`
	Selection  []string       `json:"selection,omitempty"`
	Server     string         `json:"server,omitempty"`
	Tenant     string         `json:"tenant,omitempty"`
	Instance   string         `json:"instance,omitempty"` // since schema 2
	StartedAt  time.Time      `json:"startedAt"`
	FinishedAt time.Time      `json:"finishedAt,omitzero"`
	Counters   map[string]int `json:"counters,omitempty"`
	Status     string         `json:"status"`
	Error      string         `json:"error,omitempty"`
}

func (r runRecord) run(id string) Run {
	srv := r.server()
	return Run{ID: id, Command: r.Command, Selection: r.Selection, Server: srv.URL, Tenant: r.Tenant, Instance: r.Instance,
		StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, Counters: r.Counters, Status: r.Status, Error: r.Error}
}

// server is the run's server; URLs recorded before schema 2 were not normalised.
func (r runRecord) server() ServerID {
	return ServerID{URL: NormalizeServerURL(r.Server), Tenant: r.Tenant, Instance: r.Instance}
}

// ServerID is the server the run talked to.
func (r Run) ServerID() ServerID {
	return ServerID{URL: r.Server, Tenant: r.Tenant, Instance: r.Instance}.normalized()
}

// runIDTime is the layout of the time part of a run id.
const runIDTime = "20060102T150405Z"

// NewRunID returns a run id that sorts by start time (to the second):
// 20261127T101500Z-3fa9c2.
func NewRunID(now time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand documents it)
	return now.UTC().Format(runIDTime) + "-" + hex.EncodeToString(b[:])
}

func validRunStatus(s string) bool {
	switch s {
	case RunRunning, RunDone, RunInterrupted, RunFailed:
		return true
	}
	return false
}

// CreateRun records a new run. Status defaults to running and StartedAt to
// now; Server is stored normalised, with any credentials stripped. A bound
// Store records the run as its server's (Server, Tenant and Instance may
// be left empty) and refuses a run of another server.
func (s *Store) CreateRun(r Run) (err error) {
	defer s.shield(&err)()
	if err := checkPart("run id", r.ID); err != nil {
		return fmt.Errorf("create run: %w", err)
	}
	if b, ok := s.Server(); ok {
		if r.Server != "" && !b.Same(r.ServerID()) {
			return fmt.Errorf("create run %s: %w", r.ID, s.refuse("the run", r.ServerID()))
		}
		r.Server, r.Tenant, r.Instance = b.URL, b.Tenant, b.Instance
	}
	if r.Status == "" {
		r.Status = RunRunning
	}
	if !validRunStatus(r.Status) {
		return fmt.Errorf("create run %s: unknown status %q", r.ID, r.Status)
	}
	rec := runRecord{Command: r.Command, Selection: r.Selection, Server: NormalizeServerURL(r.Server), Tenant: r.Tenant, Instance: r.Instance,
		StartedAt: orNow(r.StartedAt, s.now()), FinishedAt: utc(r.FinishedAt), Counters: r.Counters,
		Status: r.Status, Error: scrubText(r.Error)}
	val, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("create run %s: %w", r.ID, err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		b, err := bucketFor(tx, bucketRuns)
		if err != nil {
			return err
		}
		if b.Get([]byte(r.ID)) != nil {
			return ErrRunExists
		}
		return b.Put([]byte(r.ID), val)
	})
	if err != nil {
		return fmt.Errorf("create run %s: %w", r.ID, err)
	}
	s.publishLive(true)
	return nil
}

// FinishRun records how a run ended.
func (s *Store) FinishRun(id string, finishedAt time.Time, status string, counters map[string]int, errMsg string) (err error) {
	defer s.shield(&err)()
	if err := checkPart("run id", id); err != nil {
		return fmt.Errorf("finish run: %w", err)
	}
	if !validRunStatus(status) {
		return fmt.Errorf("finish run %s: unknown status %q", id, status)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		var rec runRecord
		if err := getJSON(tx, bucketRuns, []byte(id), &rec); err != nil {
			return err
		}
		if !s.owns(rec.server()) {
			return s.refuse("the run", rec.server())
		}
		rec.FinishedAt = orNow(finishedAt, s.now())
		rec.Status = status
		rec.Counters = counters
		rec.Error = scrubText(errMsg)
		val, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		return tx.Bucket(bucketRuns).Put([]byte(id), val)
	})
	if err != nil {
		return fmt.Errorf("finish run %s: %w", id, err)
	}
	s.publishLive(true)
	return nil
}

// Run returns the run with that id, or an error wrapping ErrNotFound; a
// bound Store refuses another server's run with an *OtherServerError.
func (s *Store) Run(id string) (_ Run, err error) {
	defer s.shield(&err)()
	var rec runRecord
	err = s.db.View(func(tx *bolt.Tx) error {
		return getJSON(tx, bucketRuns, []byte(id), &rec)
	})
	if err == nil && !s.owns(rec.server()) {
		err = s.refuse("run "+id, rec.server())
	}
	if err != nil {
		return Run{}, fmt.Errorf("run %s: %w", id, err)
	}
	return rec.run(id), nil
}

// Runs returns up to limit runs (all when limit <= 0), newest first: by id,
// which NewRunID makes sort by start time, and by StartedAt among runs that
// started within the same second. A bound Store lists its server's runs
// only; an unbound one every server's.
func (s *Store) Runs(limit int) (_ []Run, err error) {
	defer s.shield(&err)()
	return s.runs(limit, s.owns)
}

// runs lists the runs whose server keep accepts.
func (s *Store) runs(limit int, keep func(ServerID) bool) ([]Run, error) {
	var runs []Run
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRuns)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		var lastSecond []byte
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			second := k[:min(len(k), len(runIDTime))]
			if limit > 0 && len(runs) >= limit && !bytes.Equal(second, lastSecond) {
				break // one more second was read so that same-second runs can be ordered
			}
			var rec runRecord
			if err := decode(bucketRuns, k, v, &rec); err != nil {
				return err
			}
			if !keep(rec.server()) {
				continue
			}
			runs = append(runs, rec.run(string(k)))
			lastSecond = second
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	slices.SortFunc(runs, newestFirst)
	if limit > 0 && len(runs) > limit {
		runs = runs[:limit]
	}
	return runs, nil
}

// newestFirst orders runs by the second in their id, then by StartedAt, then by id, all descending.
func newestFirst(a, b Run) int {
	if c := strings.Compare(idSecond(b.ID), idSecond(a.ID)); c != 0 {
		return c
	}
	if c := b.StartedAt.Compare(a.StartedAt); c != 0 {
		return c
	}
	return strings.Compare(b.ID, a.ID)
}

// idSecond is the time part of a run id made by NewRunID.
func idSecond(id string) string { return id[:min(len(id), len(runIDTime))] }
