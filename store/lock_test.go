package store

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestLockIsExclusiveAndReleases(t *testing.T) {
	path := testPath(t) // its directory does not exist yet: Lock creates it
	release, err := Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	assertMode(t, path+".lock", 0o600)
	pid, _ := os.ReadFile(path + ".lock")
	if strings.TrimSpace(string(pid)) != strconv.Itoa(os.Getpid()) {
		t.Errorf("lock file holds %q, want this pid %d", pid, os.Getpid())
	}

	_, err = Lock(path)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Lock: err = %v, want ErrLocked", err)
	}
	for _, want := range []string{path, "process " + strconv.Itoa(os.Getpid())} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("second Lock error %q does not contain %q", err, want)
		}
	}

	if err := release(); err != nil {
		t.Fatal(err)
	}
	if err := release(); err != nil {
		t.Errorf("second release: %v", err)
	}
	if pid, _ := os.ReadFile(path + ".lock"); len(pid) != 0 {
		t.Errorf("released lock file still names pid %q", pid)
	}
	again, err := Lock(path)
	if err != nil {
		t.Fatalf("Lock after release: %v", err)
	}
	if err := again(); err != nil {
		t.Fatal(err)
	}
}

// The process lock is separate from the database: a daemon holds it for its
// lifetime while status opens the database between passes.
func TestLockLeavesDatabaseReadable(t *testing.T) {
	path := testPath(t)
	release, err := Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	w := openTest(t, path, Options{NoSync: true})
	mustCreateRun(t, w, "r1")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r := openTest(t, path, Options{ReadOnly: true})
	if _, err := r.Run("r1"); err != nil {
		t.Fatal(err)
	}
}

func TestLockHolderPIDIgnoresDeadProcess(t *testing.T) {
	path := testPath(t)
	release, err := Lock(path) // creates the directory
	if err != nil {
		t.Fatal(err)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	if got := lockHolderPID(path); got != 0 {
		t.Errorf("lockHolderPID after release = %d, want 0", got)
	}
	// A crashed holder leaves its pid behind.
	if err := os.WriteFile(path+".lock", []byte("2147483646\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := lockHolderPID(path); got != 0 {
		t.Errorf("lockHolderPID of a dead pid = %d, want 0", got)
	}
}
