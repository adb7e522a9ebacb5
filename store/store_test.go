package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

func TestOpenCreatesPrivateFile(t *testing.T) {
	path := testPath(t)
	s := openTest(t, path, Options{NoSync: true})
	if s.Path() != path {
		t.Errorf("Path() = %q, want %q", s.Path(), path)
	}
	assertMode(t, path, 0o600)
	assertMode(t, filepath.Dir(path), 0o700|fs.ModeDir)
}

func TestOpenTightensExistingFile(t *testing.T) {
	path := testPath(t)
	s := openTest(t, path, Options{NoSync: true})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	openTest(t, path, Options{NoSync: true})
	assertMode(t, path, 0o600)
}

func assertMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode() & (fs.ModePerm | fs.ModeDir); got != want {
		t.Errorf("mode of %s = %v, want %v", path, got, want)
	}
}

func TestOpenLocking(t *testing.T) {
	const timeout = 150 * time.Millisecond
	tests := []struct {
		name       string
		first      Options
		second     Options
		wantLocked bool
	}{
		{"writer blocks writer", Options{}, Options{}, true},
		{"writer blocks reader", Options{}, Options{ReadOnly: true}, true},
		{"reader blocks writer", Options{ReadOnly: true}, Options{}, true},
		{"readers share", Options{ReadOnly: true}, Options{ReadOnly: true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := testPath(t)
			if err := openTest(t, path, Options{NoSync: true}).Close(); err != nil { // create it
				t.Fatal(err)
			}
			tt.first.Timeout, tt.second.Timeout = timeout, timeout
			openTest(t, path, tt.first)
			start := time.Now()
			s, err := Open(path, tt.second)
			waited := time.Since(start)
			if !tt.wantLocked {
				if err != nil {
					t.Fatalf("second Open: %v", err)
				}
				_ = s.Close()
				return
			}
			if !errors.Is(err, ErrLocked) {
				t.Fatalf("second Open: err = %v, want ErrLocked", err)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name %s", err, path)
			}
			// only a lower bound: a loaded machine makes it later, never sooner
			if waited < timeout-60*time.Millisecond {
				t.Errorf("gave up after %s, want at least about %s", waited, timeout)
			}
		})
	}
}

func TestOpenLockedNamesProcessLockHolder(t *testing.T) {
	path := testPath(t)
	release, err := Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	openTest(t, path, Options{NoSync: true})
	_, err = Open(path, Options{Timeout: 100 * time.Millisecond})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("err = %v, want ErrLocked naming pid %d", err, os.Getpid())
	}
}

func TestOpenReadOnlyMissingFile(t *testing.T) {
	path := testPath(t)
	_, err := Open(path, Options{ReadOnly: true})
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v, want fs.ErrNotExist naming %s", err, path)
	}
	if _, statErr := os.Stat(filepath.Dir(path)); !errors.Is(statErr, fs.ErrNotExist) {
		t.Errorf("read-only open created %s", filepath.Dir(path))
	}
}

func TestReadOnlyRefusesWrites(t *testing.T) {
	path := testPath(t)
	if err := openTest(t, path, Options{NoSync: true}).Close(); err != nil {
		t.Fatal(err)
	}
	s := openTest(t, path, Options{ReadOnly: true})
	if err := s.CreateRun(Run{ID: "r1"}); !errors.Is(err, berrors.ErrDatabaseReadOnly) {
		t.Errorf("CreateRun on read-only store: err = %v", err)
	}
	if err := s.PutProgress(NamespaceProgress{Namespace: "a"}); !errors.Is(err, berrors.ErrDatabaseReadOnly) {
		t.Errorf("PutProgress on read-only store: err = %v", err)
	}
}

// writeSchema sets a file's schema version (or removes it when v < 0) behind the store's back.
func writeSchema(t *testing.T, path string, v int, extraBuckets ...string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range extraBuckets {
			if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
				return err
			}
		}
		if v < 0 {
			if tx.Bucket(bucketMeta) == nil {
				return nil
			}
			return tx.DeleteBucket(bucketMeta)
		}
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		return meta.Put(keySchema, []byte(strconv.Itoa(v)))
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSchema(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, path string) // nil: a new file
		opts    Options
		wantErr string // "" for success
	}{
		{name: "new file", opts: Options{}},
		{name: "absent version, empty bolt file", prepare: func(t *testing.T, p string) { writeSchema(t, p, -1) }},
		{name: "version 0", prepare: func(t *testing.T, p string) { writeSchema(t, p, 0) }},
		{name: "version 0 read-only", prepare: func(t *testing.T, p string) { writeSchema(t, p, 0) }, opts: Options{ReadOnly: true}},
		{name: "newer version", prepare: func(t *testing.T, p string) { writeSchema(t, p, SchemaVersion+1) },
			wantErr: fmt.Sprintf("schema version %d, newer than version %d", SchemaVersion+1, SchemaVersion)},
		{name: "newer version read-only", prepare: func(t *testing.T, p string) { writeSchema(t, p, SchemaVersion+1) },
			opts: Options{ReadOnly: true}, wantErr: "upgrade kestra-migrator"},
		{name: "foreign bolt file", prepare: func(t *testing.T, p string) { writeSchema(t, p, -1, "widgets") },
			wantErr: `bucket "widgets" is not kestra-migrator's`},
		{name: "not a bolt file", prepare: func(t *testing.T, p string) {
			if err := os.WriteFile(p, []byte(strings.Repeat("not bolt\n", 1000)), 0o600); err != nil {
				t.Fatal(err)
			}
		}, wantErr: "state file is corrupt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := testPath(t)
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				t.Fatal(err)
			}
			if tt.prepare != nil {
				tt.prepare(t, path)
			}
			tt.opts.Timeout = 200 * time.Millisecond
			s, err := Open(path, tt.opts)
			if tt.wantErr != "" {
				if err == nil {
					s.Close()
					t.Fatal("Open succeeded, want an error")
				}
				if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), path) {
					t.Fatalf("err = %v, want it to contain %q and the path", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if !tt.opts.ReadOnly {
				assertSchema(t, s, SchemaVersion)
				mustCreateRun(t, s, "r1") // the buckets exist
				return
			}
			// A read-only handle reads an old layout as it is.
			if runs, err := s.Runs(0); err != nil || len(runs) != 0 {
				t.Errorf("Runs on old read-only file = %v, %v", runs, err)
			}
			if _, err := s.Run("r1"); !errors.Is(err, ErrNotFound) {
				t.Errorf("Run on old read-only file: err = %v, want ErrNotFound", err)
			}
		})
	}
}

func assertSchema(t *testing.T, s *Store, want int) {
	t.Helper()
	err := s.db.View(func(tx *bolt.Tx) error {
		got, err := readSchema(tx)
		if err == nil && got != want {
			t.Errorf("schema version = %d, want %d", got, want)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
