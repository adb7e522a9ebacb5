package migrator

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommitStoppedRenamesNothing: a batch committed after the context is
// done replaces no file and leaves no temporary file behind.
func TestCommitStoppedRenamesNothing(t *testing.T) {
	dir := t.TempDir()
	var batch []fileOutcome
	for _, name := range []string{"a.yml", "b.yml", "c.yml"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("old\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		info, _ := os.Stat(p)
		st, err := stage(p, info, []byte("new\n"))
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, fileOutcome{path: p, staged: st})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := newFixWriter().commit(ctx, batch); err == nil {
		t.Fatal("commit after cancel: no error")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("%d entries, want the 3 files and no temporary one", len(entries))
	}
	for _, f := range batch {
		if b, _ := os.ReadFile(f.path); string(b) != "old\n" || f.staged.err == nil {
			t.Errorf("%s: %q, err %v", f.path, b, f.staged.err)
		}
	}
}

// TestStageRefusesReadOnly: a read-only file is a user's "do not touch".
func TestStageRefusesReadOnly(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ro.yml")
	if err := os.WriteFile(p, []byte("x\n"), 0o444); err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(p)
	if _, err := stage(p, info, []byte("y\n")); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("err %v", err)
	}
}

func TestInterleaveDirs(t *testing.T) {
	got := interleaveDirs([]string{"a/1", "a/2", "a/3", "b/1", "c/1", "c/2"})
	want := "a/1 b/1 c/1 a/2 c/2 a/3"
	if strings.Join(got, " ") != want {
		t.Errorf("got %v, want %s", got, want)
	}
}
