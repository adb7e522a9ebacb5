package store

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func snap(run, ns, id string) Snapshot {
	return Snapshot{RunID: run, Namespace: ns, FlowID: id, Revision: 3,
		Original: []byte("id: " + id + "\nnamespace: " + ns + "\ntasks:\n  - runner: DOCKER\r\n"),
		Migrated: []byte("id: " + id + "\nnamespace: " + ns + "\ntasks:\n  - taskRunner: {}\r\n")}
}

func TestSnapshotRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   Snapshot
	}{
		{"typical", snap("r1", "company.team", "etl")},
		{"empty sources", Snapshot{RunID: "r1", Namespace: "a", FlowID: "b", Revision: 1}},
		{"binary and large", Snapshot{RunID: "r1", Namespace: "a", FlowID: "big", Revision: 9,
			Original: append([]byte{0, 1, 2, 0xff}, make([]byte, 70000)...), Migrated: []byte{0}}},
		{"explicit state and times", Snapshot{RunID: "r1", Namespace: "a", FlowID: "w", Revision: 2, NewRevision: 3,
			Original: []byte("o"), Migrated: []byte("m"), State: SnapshotWritten, CreatedAt: t0.Add(-time.Hour)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStore(t)
			mustCreateRun(t, s, "r1")
			if err := s.SaveSnapshot(tt.in); err != nil {
				t.Fatal(err)
			}
			want := tt.in
			if want.State == "" {
				want.State = SnapshotSaved
			}
			if want.CreatedAt.IsZero() {
				want.CreatedAt = t0
			}
			want.UpdatedAt = t0
			for name, get := range map[string]func() (Snapshot, error){
				"Snapshot":       func() (Snapshot, error) { return s.Snapshot("r1", tt.in.Namespace, tt.in.FlowID) },
				"LatestSnapshot": func() (Snapshot, error) { return s.LatestSnapshot(tt.in.Namespace, tt.in.FlowID) },
			} {
				got, err := get()
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("%s (-want +got):\n%s", name, diff)
				}
			}
		})
	}
}

// Appending to one returned source must not clobber the other: they share a buffer.
func TestSnapshotSourcesDoNotAlias(t *testing.T) {
	s := newTestStore(t)
	mustCreateRun(t, s, "r1")
	in := snap("r1", "a", "b")
	if err := s.SaveSnapshot(in); err != nil {
		t.Fatal(err)
	}
	got, err := s.Snapshot("r1", "a", "b")
	if err != nil {
		t.Fatal(err)
	}
	_ = append(got.Original, "XXXXXXXXXXXXXXXX"...)
	if string(got.Migrated) != string(in.Migrated) {
		t.Errorf("Migrated changed to %q", got.Migrated)
	}
}

// SaveSnapshot returns once the snapshot is on disk: a new handle (as after
// a crash and restart) sees it, with fsync on.
func TestSnapshotDurableBeforeReturn(t *testing.T) {
	path := testPath(t)
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustCreateRun(t, s, "r1")
	in := snap("r1", "company.team", "etl")
	if err := s.SaveSnapshot(in); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Close(); err != nil { // no further commit
		t.Fatal(err)
	}
	r := openTest(t, path, Options{ReadOnly: true})
	got, err := r.Snapshot("r1", "company.team", "etl")
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Original) != string(in.Original) || got.State != SnapshotSaved {
		t.Errorf("after reopen: %+v", got)
	}
}

func TestSaveSnapshotConcurrent(t *testing.T) {
	s := openTest(t, testPath(t), Options{}) // fsync on: the real path
	mustCreateRun(t, s, "r1")
	const workers, each = 32, 8
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id := fmt.Sprintf("flow-%02d-%d", w, i)
				if err := s.SaveSnapshot(snap("r1", "ns", id)); err != nil {
					errs <- err
					continue
				}
				if err := s.MarkSnapshot("r1", "ns", id, SnapshotWritten, 4, ""); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	all, err := s.Snapshots(SnapshotFilter{RunID: "r1", State: SnapshotWritten})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != workers*each {
		t.Fatalf("%d written snapshots, want %d", len(all), workers*each)
	}
	for _, got := range all {
		if want := snap("r1", "ns", got.FlowID); string(got.Original) != string(want.Original) || got.NewRevision != 4 {
			t.Errorf("snapshot %s: %+v", got.FlowID, got)
		}
	}
}

func TestSaveSnapshotReplace(t *testing.T) {
	other := snap("r1", "a", "b")
	other.Original = []byte("a different original")
	tests := []struct {
		name    string
		state   SnapshotState // state of the first save, after marking
		second  Snapshot
		wantErr error
	}{
		{"retry of a saved one", SnapshotSaved, snap("r1", "a", "b"), nil},
		{"different original over saved", SnapshotSaved, other, ErrSnapshotExists},
		{"over written", SnapshotWritten, snap("r1", "a", "b"), ErrSnapshotExists},
		{"over rolled back", SnapshotRolledBack, snap("r1", "a", "b"), ErrSnapshotExists},
		{"over abandoned", SnapshotAbandoned, other, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStore(t)
			mustCreateRun(t, s, "r1")
			if err := s.SaveSnapshot(snap("r1", "a", "b")); err != nil {
				t.Fatal(err)
			}
			if err := s.MarkSnapshot("r1", "a", "b", tt.state, 0, ""); err != nil {
				t.Fatal(err)
			}
			err := s.SaveSnapshot(tt.second)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("second save: err = %v, want %v", err, tt.wantErr)
			}
			got, err := s.Snapshot("r1", "a", "b")
			if err != nil {
				t.Fatal(err)
			}
			want := snap("r1", "a", "b").Original
			if tt.wantErr == nil {
				want = tt.second.Original
			}
			if string(got.Original) != string(want) {
				t.Errorf("original = %q, want %q", got.Original, want)
			}
		})
	}
}

func TestSaveSnapshotInvalid(t *testing.T) {
	s := newTestStore(t)
	mustCreateRun(t, s, "r1")
	bad := snap("r1", "a", "b")
	bad.State = "lost"
	tests := []struct {
		name    string
		in      Snapshot
		wantErr error // nil: any error
	}{
		{"unknown run", snap("r9", "a", "b"), ErrNotFound},
		{"no run id", snap("", "a", "b"), errBadKey},
		{"no namespace", snap("r1", "", "b"), errBadKey},
		{"no flow id", snap("r1", "a", ""), errBadKey},
		{"NUL in flow id", snap("r1", "a", "b\x00c"), errBadKey},
		{"unknown state", bad, nil},
	}
	for _, tt := range tests {
		err := s.SaveSnapshot(tt.in)
		if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.wantErr)
		}
	}
}

func TestMarkSnapshot(t *testing.T) {
	tests := []struct {
		name    string
		path    []SnapshotState
		wantErr error
	}{
		{"write", []SnapshotState{SnapshotWritten}, nil},
		{"write then roll back", []SnapshotState{SnapshotWritten, SnapshotRolledBack}, nil},
		{"abandon", []SnapshotState{SnapshotAbandoned}, nil},
		{"roll back an unconfirmed write", []SnapshotState{SnapshotRolledBack}, nil},
		{"repeat", []SnapshotState{SnapshotWritten, SnapshotWritten}, nil},
		{"abandoned cannot be written", []SnapshotState{SnapshotAbandoned, SnapshotWritten}, ErrTransition},
		{"written cannot be abandoned", []SnapshotState{SnapshotWritten, SnapshotAbandoned}, ErrTransition},
		{"rolled back cannot be written", []SnapshotState{SnapshotRolledBack, SnapshotWritten}, ErrTransition},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStore(t)
			mustCreateRun(t, s, "r1")
			if err := s.SaveSnapshot(snap("r1", "a", "b")); err != nil {
				t.Fatal(err)
			}
			later := t0.Add(time.Minute)
			s.now = func() time.Time { return later }
			var err error
			for _, state := range tt.path {
				by := ""
				if state == SnapshotRolledBack {
					by = "r2"
				}
				if err = s.MarkSnapshot("r1", "a", "b", state, 4, by); err != nil {
					break
				}
			}
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			got, err := s.Snapshot("r1", "a", "b")
			if err != nil {
				t.Fatal(err)
			}
			last := tt.path[len(tt.path)-1]
			wantBy := ""
			if last == SnapshotRolledBack {
				wantBy = "r2"
			}
			if got.State != last || got.NewRevision != 4 || got.RolledBackBy != wantBy || !got.UpdatedAt.Equal(later) || !got.CreatedAt.Equal(t0) {
				t.Errorf("after marks: %+v", got)
			}
		})
	}
}

func TestMarkSnapshotKeepsNewRevision(t *testing.T) {
	s := newTestStore(t)
	mustCreateRun(t, s, "r1")
	if err := s.SaveSnapshot(snap("r1", "a", "b")); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSnapshot("r1", "a", "b", SnapshotWritten, 7, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSnapshot("r1", "a", "b", SnapshotRolledBack, 0, "r2"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Snapshot("r1", "a", "b"); err != nil || got.NewRevision != 7 {
		t.Errorf("NewRevision = %d, %v; want 7 kept", got.NewRevision, err)
	}
	if err := s.MarkSnapshot("r1", "a", "zz", SnapshotWritten, 1, ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("mark unknown: err = %v, want ErrNotFound", err)
	}
}

func TestSnapshotsFilter(t *testing.T) {
	s := newTestStore(t)
	flows := []struct{ run, ns, id string }{
		{"r1", "a", "x"}, {"r1", "a.b", "x"}, {"r1", "a-b", "x"}, {"r1", "ab", "x"}, {"r1", "a.b.c", "y"},
		{"r2", "a", "x"}, {"r2", "b", "x"}, {"r2", "b", "y"},
		{"r10", "a", "x"},
	}
	for _, run := range []string{"r1", "r2", "r10"} {
		mustCreateRun(t, s, run)
	}
	for _, f := range flows {
		if err := s.SaveSnapshot(snap(f.run, f.ns, f.id)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.MarkSnapshot("r2", "b", "y", SnapshotWritten, 4, ""); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    SnapshotFilter
		want []string // run/ns/id in order
	}{
		{"all, by run then ns then id", SnapshotFilter{}, []string{
			"r1/a/x", "r1/a-b/x", "r1/a.b/x", "r1/a.b.c/y", "r1/ab/x", "r10/a/x", "r2/a/x", "r2/b/x", "r2/b/y"}},
		{"run", SnapshotFilter{RunID: "r2"}, []string{"r2/a/x", "r2/b/x", "r2/b/y"}},
		{"run that is a prefix of another", SnapshotFilter{RunID: "r1"}, []string{"r1/a/x", "r1/a-b/x", "r1/a.b/x", "r1/a.b.c/y", "r1/ab/x"}},
		{"namespace and children", SnapshotFilter{Namespace: "a"}, []string{"r1/a/x", "r1/a.b/x", "r1/a.b.c/y", "r10/a/x", "r2/a/x"}},
		{"child namespace", SnapshotFilter{Namespace: "a.b"}, []string{"r1/a.b/x", "r1/a.b.c/y"}},
		{"run and namespace", SnapshotFilter{RunID: "r1", Namespace: "a.b"}, []string{"r1/a.b/x", "r1/a.b.c/y"}},
		{"flow", SnapshotFilter{Namespace: "b", FlowID: "y"}, []string{"r2/b/y"}},
		{"flow: namespace is exact", SnapshotFilter{Namespace: "a", FlowID: "x"}, []string{"r1/a/x", "r10/a/x", "r2/a/x"}},
		{"flow id in any namespace", SnapshotFilter{FlowID: "y"}, []string{"r1/a.b.c/y", "r2/b/y"}},
		{"state", SnapshotFilter{State: SnapshotWritten}, []string{"r2/b/y"}},
		{"nothing", SnapshotFilter{RunID: "r3"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, skip := range []bool{false, true} {
				tt.f.SkipSources = skip
				got, err := s.Snapshots(tt.f)
				if err != nil {
					t.Fatal(err)
				}
				var keys []string
				for _, sn := range got {
					keys = append(keys, sn.RunID+"/"+sn.Namespace+"/"+sn.FlowID)
					if hasSources := sn.Original != nil; hasSources == skip {
						t.Errorf("SkipSources=%v: %s has sources %v", skip, keys[len(keys)-1], hasSources)
					}
				}
				if diff := cmp.Diff(tt.want, keys); diff != "" {
					t.Errorf("SkipSources=%v (-want +got):\n%s", skip, diff)
				}
			}
		})
	}
}

func TestForEachSnapshotStops(t *testing.T) {
	s := newTestStore(t)
	mustCreateRun(t, s, "r1")
	for _, id := range []string{"a", "b", "c"} {
		if err := s.SaveSnapshot(snap("r1", "ns", id)); err != nil {
			t.Fatal(err)
		}
	}
	stop := errors.New("stop")
	var seen int
	err := s.ForEachSnapshot(SnapshotFilter{}, func(Snapshot) error {
		seen++
		if seen == 2 {
			return stop
		}
		return nil
	})
	if err != stop || seen != 2 {
		t.Errorf("err = %v after %d calls, want stop after 2", err, seen)
	}
}

func TestLatestSnapshot(t *testing.T) {
	s := newTestStore(t)
	// The latest is the last saved, whatever the run ids' order.
	for _, run := range []string{"r2", "r1"} {
		mustCreateRun(t, s, run)
		if err := s.SaveSnapshot(snap(run, "a", "x")); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.LatestSnapshot("a", "x")
	if err != nil || got.RunID != "r1" {
		t.Errorf("LatestSnapshot = run %q, %v; want r1", got.RunID, err)
	}
	if _, err := s.LatestSnapshot("a", "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown flow: err = %v, want ErrNotFound", err)
	}
	if _, err := s.Snapshot("r1", "a", "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown snapshot: err = %v, want ErrNotFound", err)
	}
}

// A failing call in a shared commit must not take the others down: bbolt
// Batch reruns the rest, and our transaction bodies survive being rerun.
func TestMarkSnapshotBatchIsolatesFailures(t *testing.T) {
	s := openTest(t, testPath(t), Options{BatchDelay: 20 * time.Millisecond}) // wide batches
	mustCreateRun(t, s, "r1")
	const n = 16
	for i := range n {
		if err := s.SaveSnapshot(snap("r1", "ns", fmt.Sprint("f", i))); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, 2*n)
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			errs[i] = s.MarkSnapshot("r1", "ns", fmt.Sprint("f", i), SnapshotWritten, 2, "")
		}()
		go func() {
			defer wg.Done()
			errs[n+i] = s.MarkSnapshot("r1", "ns", fmt.Sprint("missing", i), SnapshotWritten, 2, "")
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if i < n && err != nil {
			t.Errorf("mark f%d: %v", i, err)
		}
		if i >= n && !errors.Is(err, ErrNotFound) {
			t.Errorf("mark missing%d: err = %v, want ErrNotFound", i-n, err)
		}
	}
	written, err := s.Snapshots(SnapshotFilter{State: SnapshotWritten, SkipSources: true})
	if err != nil || len(written) != n {
		t.Errorf("%d written snapshots (%v), want %d", len(written), err, n)
	}
}
