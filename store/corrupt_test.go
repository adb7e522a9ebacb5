package store

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// populated writes a state file with enough snapshots to span many pages
// and returns its path and bytes.
func populated(t *testing.T) (string, []byte) {
	t.Helper()
	path := testPath(t)
	s := bound(t, openTest(t, path, Options{NoSync: true}))
	mustCreateRun(t, s, "r1")
	src := bytes.Repeat([]byte("tasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n"), 40)
	for i := range 200 {
		if err := s.SaveSnapshot(Snapshot{RunID: "r1", Namespace: "company.team", FlowID: fmt.Sprintf("f%03d", i),
			Revision: 1, Original: src, Migrated: src}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutFlowStates([]FlowState{{Namespace: "company.team", ID: "f000", Revision: 2, Status: "migrated"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, b
}

// TestCorruptFileIsRefusedWithAClearError: each kind of damage a state file
// meets in practice gives an error wrapping ErrCorrupt that names the file
// and what to do, from every way of opening it; never a panic or a fault,
// and the file is left as it was.
func TestCorruptFileIsRefusedWithAClearError(t *testing.T) {
	const page = 4096
	damages := map[string]func(good []byte) []byte{
		"empty":     func([]byte) []byte { return nil },
		"tiny":      func(good []byte) []byte { return good[:100] },
		"truncated": func(good []byte) []byte { return good[:len(good)/2] },
		// a copy stopped after its first pages: the meta pages are intact
		"interrupted copy": func(good []byte) []byte { return good[:4*page] },
		"garbage": func(good []byte) []byte {
			b := make([]byte, len(good))
			r := rand.New(rand.NewPCG(1, 2))
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			return b
		},
		// a copy taken while pages were being written: a page of garbage past the meta pages
		"torn page": func(good []byte) []byte {
			b := bytes.Clone(good)
			r := rand.New(rand.NewPCG(3, 4))
			for p := 2; p*page < len(b); p++ {
				for i := p * page; i < (p+1)*page; i++ {
					b[i] = byte(r.Uint32())
				}
			}
			return b
		},
		// sparse copy: every page after the meta pages reads as zeros
		"zeroed pages": func(good []byte) []byte {
			b := bytes.Clone(good)
			clear(b[2*page:])
			return b
		},
	}
	opens := map[string]func(path string) (*Store, error){
		"read-write": func(p string) (*Store, error) { return Open(p, Options{NoSync: true, Timeout: 200e6}) },
		"read-only":  func(p string) (*Store, error) { return Open(p, Options{ReadOnly: true, Timeout: 200e6}) },
		"existing":   func(p string) (*Store, error) { return OpenExisting(p, Options{Timeout: 200e6}) },
	}
	_, good := populated(t)
	for name, damage := range damages {
		bad := damage(good)
		sum := sha256.Sum256(bad)
		for how, open := range opens {
			t.Run(name+"/"+how, func(t *testing.T) {
				path := testPath(t)
				if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, bad, 0o600); err != nil {
					t.Fatal(err)
				}
				s, err := open(path)
				if err == nil {
					// a damage bbolt cannot see at open must still not panic on use
					_, err = s.Snapshots(SnapshotFilter{})
					s.Close()
				}
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("err = %v, want ErrCorrupt", err)
				}
				for _, want := range []string{path, "backup", "move it aside"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not say %q", err, want)
					}
				}
				if f, err := os.Open(path); err == nil { // a refused file is not left locked
					if err := tryLock(f); err != nil {
						t.Errorf("the refused file is still locked: %v", err)
					}
					f.Close()
				}
				after, _ := os.ReadFile(path)
				if sha256.Sum256(after) != sum {
					t.Error("the corrupt file was changed")
				}
			})
		}
	}
}

// TestPanicInsideTheStoreBecomesAnError: whatever bbolt panics with while
// reading is an error naming the file, not a crash.
func TestPanicInsideTheStoreBecomesAnError(t *testing.T) {
	s := newTestStore(t)
	err := func() (err error) {
		defer s.shield(&err)()
		var m map[string]int
		m["x"]++ // stands for a bbolt panic on a damaged page
		return nil
	}()
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), s.Path()) {
		t.Fatalf("err = %v, want ErrCorrupt naming the file", err)
	}
}

// TestCallersPanicIsNotCorruption: a panic in the caller's function is the
// caller's, and goes on unchanged.
func TestCallersPanicIsNotCorruption(t *testing.T) {
	s := newTestStore(t)
	mustCreateRun(t, s, "r1")
	if err := s.SaveSnapshot(snap("r1", "a", "f")); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if p := recover(); p != "boom" {
			t.Fatalf("recovered %v, want the caller's own panic", p)
		}
	}()
	_ = s.ForEachSnapshot(SnapshotFilter{}, func(Snapshot) error { panic("boom") })
	t.Fatal("the caller's panic was swallowed")
}

func TestOpenExistingCreatesNothing(t *testing.T) {
	path := testPath(t)
	for _, open := range []func() (*Store, error){
		func() (*Store, error) { return OpenExisting(path, Options{}) },
		func() (*Store, error) { return Open(path, Options{ReadOnly: true}) },
	} {
		_, err := open()
		if !errors.Is(err, ErrNoStateFile) || !strings.Contains(err.Error(), path) {
			t.Fatalf("err = %v, want ErrNoStateFile naming %s", err, path)
		}
	}
	if err := CheckExists(path); !errors.Is(err, ErrNoStateFile) {
		t.Fatalf("CheckExists: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the state file was created: %v", err)
	}
	openTest(t, path, Options{NoSync: true}).Close()
	s, err := OpenExisting(path, Options{})
	if err != nil {
		t.Fatalf("OpenExisting of an existing file: %v", err)
	}
	if s.ReadOnly() {
		t.Error("OpenExisting opened read-only")
	}
	s.Close()
}
