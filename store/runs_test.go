package store

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"
)

func TestNewRunID(t *testing.T) {
	id := NewRunID(time.Date(2026, 11, 27, 11, 15, 0, 0, time.FixedZone("CET", 3600)))
	if !regexp.MustCompile(`^20261127T101500Z-[0-9a-f]{6}$`).MatchString(id) {
		t.Errorf("NewRunID = %q", id)
	}
	if a, b := NewRunID(t0), NewRunID(t0); a == b {
		t.Error("two ids of the same second are equal")
	}
	if a, b := NewRunID(t0), NewRunID(t0.Add(time.Second)); a >= b {
		t.Errorf("%q does not sort before %q", a, b)
	}
}

func TestRunRoundTrip(t *testing.T) {
	s := newTestStore(t)
	started := time.Date(2026, 11, 27, 11, 15, 0, 123, time.FixedZone("CET", 3600))
	in := Run{ID: "20261127T101500Z-abcdef", Command: "apply", Selection: []string{"--namespace", "company.team"},
		Server: "https://admin:hunter2@kestra.example.com/?token=t0k3n", Tenant: "main", StartedAt: started}
	if err := s.CreateRun(in); err != nil {
		t.Fatal(err)
	}
	want := in
	want.Server = "https://kestra.example.com"
	want.Status = RunRunning
	got, err := s.Run(in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Run after CreateRun (-want +got):\n%s", diff)
	}
	assertFileLacks(t, s, "hunter2", "t0k3n", "admin")

	counters := map[string]int{"migrated": 3, "failed": 1}
	if err := s.FinishRun(in.ID, started.Add(time.Minute), RunFailed, counters, `put "https://admin:hunter2@kestra/x": 500`); err != nil {
		t.Fatal(err)
	}
	want.FinishedAt, want.Status, want.Counters = started.Add(time.Minute), RunFailed, counters
	want.Error = `put "https://kestra/x": 500`
	if got, err = s.Run(in.ID); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Run after FinishRun (-want +got):\n%s", diff)
	}
	assertFileLacks(t, s, "hunter2")
}

// assertFileLacks reads the whole state file and fails if any secret is in it.
func assertFileLacks(t *testing.T, s *Store, secrets ...string) {
	t.Helper()
	var buf strings.Builder
	if err := s.db.View(func(tx *bolt.Tx) error { _, err := tx.WriteTo(&buf); return err }); err != nil {
		t.Fatal(err)
	}
	for _, secret := range secrets {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("state file contains %q", secret)
		}
	}
}

func TestRunErrors(t *testing.T) {
	s := newTestStore(t)
	mustCreateRun(t, s, "r1")
	tests := []struct {
		name string
		err  error
		want error // nil: any error
	}{
		{"create twice", s.CreateRun(Run{ID: "r1"}), ErrRunExists},
		{"create without id", s.CreateRun(Run{}), nil},
		{"create with bad status", s.CreateRun(Run{ID: "r2", Status: "sleeping"}), nil},
		{"finish unknown", s.FinishRun("nope", t0, RunDone, nil, ""), ErrNotFound},
		{"finish with bad status", s.FinishRun("r1", t0, "finished", nil, ""), nil},
		{"get unknown", func() error { _, err := s.Run("nope"); return err }(), ErrNotFound},
	}
	for _, tt := range tests {
		if tt.err == nil || (tt.want != nil && !errors.Is(tt.err, tt.want)) {
			t.Errorf("%s: err = %v, want %v", tt.name, tt.err, tt.want)
		}
	}
}

func TestRunsNewestFirst(t *testing.T) {
	s := newTestStore(t)
	// Three runs within one second (random suffixes), then one later.
	var want []string
	for i := range 3 {
		id := NewRunID(t0)
		if err := s.CreateRun(Run{ID: id, Command: "plan", StartedAt: t0.Add(time.Duration(i) * time.Millisecond)}); err != nil {
			t.Fatal(err)
		}
		want = append([]string{id}, want...)
	}
	later := NewRunID(t0.Add(time.Hour))
	if err := s.CreateRun(Run{ID: later, Command: "plan", StartedAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	want = append([]string{later}, want...)

	for _, limit := range []int{0, 1, 2, 3, 4, 10} {
		runs, err := s.Runs(limit)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range runs {
			got = append(got, r.ID)
		}
		w := want
		if limit > 0 && limit < len(w) {
			w = w[:limit]
		}
		if diff := cmp.Diff(w, got); diff != "" {
			t.Errorf("Runs(%d) (-want +got):\n%s", limit, diff)
		}
	}
}
