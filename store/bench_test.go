package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// benchSource is the size of a typical flow: 6.5 KB of YAML.
var benchSource = bytes.Repeat([]byte("    - id: task\n      type: io.kestra.plugin.scripts.python.Script\n"), 100)

// BenchmarkSaveSnapshot measures snapshots/s with fsync on:
//   - naive: one db.Update (one fsync) per snapshot;
//   - batch-1ms: SaveSnapshot as shipped (db.Batch, DefaultBatchDelay);
//   - batch-10ms: db.Batch with bbolt's default MaxBatchDelay;
//   - leader: a leader/follower group commit (comparison point, not used by
//     the store): the first caller commits at once, callers arriving during
//     that commit share the next one.
//
// goroutines=1 is a lone caller (a plain loop); the others use RunParallel
// with GOMAXPROCS times 1, 2 and 16 goroutines.
//
//	go test -run '^$' -bench SaveSnapshot ./store/
//
// On a 2-vCPU VM with ext4 (fsync about 0.5 ms), snapshots/s, median of 3:
//
//	goroutines   naive   batch-1ms   batch-10ms   leader
//	1             1970         520           85     1200 (noisy)
//	2              740        1040          175     2060
//	4             2270        2230          350     3190
//	32            2280        9670         2510    11240
func BenchmarkSaveSnapshot(b *testing.B) {
	modes := []string{"naive", "batch-1ms", "batch-10ms", "leader"}
	for _, p := range []int{0, 1, 2, 16} {
		goroutines := max(1, p*runtime.GOMAXPROCS(0))
		for _, mode := range modes {
			b.Run(fmt.Sprintf("goroutines=%d/%s", goroutines, mode), func(b *testing.B) {
				benchSave(b, p, mode)
			})
		}
	}
}

func benchSave(b *testing.B, parallelism int, mode string) {
	opts := Options{}
	if mode == "batch-10ms" {
		opts.BatchDelay = 10 * time.Millisecond
	}
	s := openTest(b, testPath(b), opts)
	mustCreateRun(b, s, "r1")
	save := s.SaveSnapshot
	leader := &leaderCommit{db: s.db}
	commitWith := map[string]func(func(*bolt.Tx) error) error{"naive": s.db.Update, "leader": leader.do}
	if commit := commitWith[mode]; commit != nil {
		save = func(snap Snapshot) error {
			fn, err := s.saveSnapshotTx(snap)
			if err != nil {
				return err
			}
			return commit(fn)
		}
	}
	var next atomic.Int64
	saveNext := func() error {
		return save(Snapshot{RunID: "r1", Namespace: "company.team", FlowID: "flow-" + strconv.FormatInt(next.Add(1), 10),
			Revision: 1, Original: benchSource, Migrated: benchSource})
	}
	b.ResetTimer()
	if parallelism == 0 {
		for b.Loop() {
			if err := saveNext(); err != nil {
				b.Fatal(err)
			}
		}
	} else {
		b.SetParallelism(parallelism)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := saveNext(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "snapshots/s")
}

// leaderCommit is a leader/follower group commit, kept here only as a
// comparison point for db.Batch. Unlike Batch it does not isolate a failing
// call: fine for a benchmark whose calls do not fail.
type leaderCommit struct {
	db      *bolt.DB
	mu      sync.Mutex
	pending []leaderCall
	running bool
}

type leaderCall struct {
	fn   func(*bolt.Tx) error
	done chan error
}

func (g *leaderCommit) do(fn func(*bolt.Tx) error) error {
	done := make(chan error, 1)
	g.mu.Lock()
	g.pending = append(g.pending, leaderCall{fn, done})
	if g.running {
		g.mu.Unlock()
		return <-done
	}
	g.running = true
	for len(g.pending) > 0 {
		calls := g.pending
		g.pending = nil
		g.mu.Unlock()
		err := g.db.Update(func(tx *bolt.Tx) error {
			for _, c := range calls {
				if err := c.fn(tx); err != nil {
					return err
				}
			}
			return nil
		})
		for _, c := range calls {
			c.done <- err
		}
		g.mu.Lock()
	}
	g.running = false
	g.mu.Unlock()
	return <-done
}

// BenchmarkSnapshotEncoding compares the stored layout (JSON metadata plus
// raw sources) with one JSON document holding the sources (base64).
func BenchmarkSnapshotEncoding(b *testing.B) {
	snap := Snapshot{RunID: "r1", Namespace: "company.team", FlowID: "etl", Revision: 3, Original: benchSource,
		Migrated: benchSource, State: SnapshotSaved, CreatedAt: t0, UpdatedAt: t0}
	b.Run("raw", func(b *testing.B) {
		var size int
		for b.Loop() {
			meta, err := json.Marshal(snapshotRecord{Revision: snap.Revision, State: snap.State, CreatedAt: snap.CreatedAt, UpdatedAt: snap.UpdatedAt})
			if err != nil {
				b.Fatal(err)
			}
			sources := encodeSources(snap.Original, snap.Migrated)
			var rec snapshotRecord
			if err := json.Unmarshal(meta, &rec); err != nil {
				b.Fatal(err)
			}
			if _, _, err := decodeSources(sources); err != nil {
				b.Fatal(err)
			}
			size = len(meta) + len(sources)
		}
		b.ReportMetric(float64(size), "stored-bytes")
	})
	b.Run("json-base64", func(b *testing.B) {
		type doc struct {
			Snapshot
			Original, Migrated []byte
		}
		var size int
		for b.Loop() {
			val, err := json.Marshal(doc{snap, snap.Original, snap.Migrated})
			if err != nil {
				b.Fatal(err)
			}
			var back doc
			if err := json.Unmarshal(val, &back); err != nil {
				b.Fatal(err)
			}
			size = len(val)
		}
		b.ReportMetric(float64(size), "stored-bytes")
	})
}

// BenchmarkOpenChecked measures Open of a state file holding 10,000
// snapshots of 5 KB (about 100 MB): the check every open makes before use
// reads every page.
func BenchmarkOpenChecked(b *testing.B) {
	path := filepath.Join(b.TempDir(), "state.db")
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.CreateRun(Run{ID: "r1", Command: "apply"}); err != nil {
		b.Fatal(err)
	}
	src := bytes.Repeat([]byte("x"), 5<<10)
	err = s.db.Update(func(tx *bolt.Tx) error { // one commit: SaveSnapshot would wait for a batch each
		for i := range 10_000 {
			save, err := s.saveSnapshotTx(Snapshot{RunID: "r1", Namespace: "company.team", FlowID: fmt.Sprintf("f%05d", i),
				Revision: 1, Original: src, Migrated: src})
			if err == nil {
				err = save(tx)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		s, err := Open(path, Options{ReadOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		_ = s.Close()
	}
}
