package store

import (
	"path/filepath"
	"testing"
	"time"
)

// t0 is the clock of every test store.
var t0 = time.Date(2026, 11, 27, 10, 15, 0, 0, time.UTC)

// testPath is a state file path in a fresh directory, one level down so
// that Open has a parent to create.
func testPath(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "state", "state.db")
}

// openTest opens a store at path with a short lock timeout and a fixed clock.
func openTest(t testing.TB, path string, opts Options) *Store {
	t.Helper()
	if opts.Timeout == 0 {
		opts.Timeout = 200 * time.Millisecond
	}
	s, err := Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	s.now = func() time.Time { return t0 }
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// newTestStore is a fresh read-write store that does not fsync.
func newTestStore(t testing.TB) *Store {
	t.Helper()
	return openTest(t, testPath(t), Options{NoSync: true})
}

// mustCreateRun records a run with id.
func mustCreateRun(t testing.TB, s *Store, id string) {
	t.Helper()
	if err := s.CreateRun(Run{ID: id, Command: "apply", StartedAt: t0}); err != nil {
		t.Fatal(err)
	}
}

// testServer is the server test stores are bound to.
var testServer = ServerID{URL: "http://kestra.test:8080", Tenant: "main", Instance: "7e1b5a3c-test"}

// bound binds s to testServer.
func bound(t testing.TB, s *Store) *Store {
	t.Helper()
	if err := s.BindServer(testServer); err != nil {
		t.Fatal(err)
	}
	return s
}
