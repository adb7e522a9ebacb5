package store

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Live is what a process holding the state file publishes beside it, for
// readers that cannot open the file meanwhile: bbolt's writer lock covers a
// whole apply, or a daemon's pass.
type Live struct {
	PublishedAt time.Time           `json:"publishedAt"`
	PID         int                 `json:"pid"`
	Progress    []NamespaceProgress `json:"progress"`
	Runs        []Run               `json:"runs"`
}

// livePublishEvery throttles publishing during a run; closing publishes last.
const livePublishEvery = time.Second

// LivePath is where the live progress of the state file at path is published.
func LivePath(path string) string { return path + ".live.json" }

// ReadLive reads what the process holding the state file at path published.
func ReadLive(path string) (Live, error) {
	var l Live
	b, err := os.ReadFile(LivePath(path))
	if err != nil {
		return l, err
	}
	if err := json.Unmarshal(b, &l); err != nil {
		return l, fmt.Errorf("read %s: %w", LivePath(path), err)
	}
	return l, nil
}

// livePublisher writes the live file after changes, at most once a second;
// a change inside that second is published when it ends.
type livePublisher struct {
	mu      sync.Mutex
	last    time.Time
	pending *time.Timer
	closed  bool
}

// publishLive refreshes the live file (best effort: readers fall back to
// waiting for the state file); force skips the throttle.
func (s *Store) publishLive(force bool) {
	if s.live == nil {
		return
	}
	var damaged error // a damaged file is reported by the next call that needs it
	defer s.shield(&damaged)()
	s.live.mu.Lock()
	defer s.live.mu.Unlock()
	if s.live.closed {
		return
	}
	now := time.Now()
	if wait := livePublishEvery - now.Sub(s.live.last); !force && wait > 0 {
		if s.live.pending == nil {
			s.live.pending = time.AfterFunc(wait, func() { s.publishLive(true) })
		}
		return
	}
	if s.live.pending != nil {
		s.live.pending.Stop()
		s.live.pending = nil
	}
	s.live.last = now
	progress, err := s.allProgress(anyServer) // every server's, as status shows them
	if err != nil {
		return
	}
	runs, err := s.runs(10, anyServer)
	if err != nil {
		return
	}
	b, err := json.Marshal(Live{PublishedAt: s.now().UTC(), PID: os.Getpid(), Progress: progress, Runs: runs})
	if err != nil {
		return
	}
	_ = writeFileAtomic(LivePath(s.path), b, 0o600)
}

// writeFileAtomic writes through a temporary file and a rename.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// stopLive ends publishing and removes the live file: the state file itself
// is readable again.
func (s *Store) stopLive() {
	if s.live == nil {
		return
	}
	s.live.mu.Lock()
	defer s.live.mu.Unlock()
	s.live.closed = true
	if s.live.pending != nil {
		s.live.pending.Stop()
	}
	_ = os.Remove(LivePath(s.path))
}
