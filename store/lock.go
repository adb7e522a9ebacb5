package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// errWouldBlock is what tryLock returns when another holder has the lock.
var errWouldBlock = errors.New("lock held")

// Lock takes the process lock of the state file at path: a non-blocking
// exclusive flock on path+".lock", which then holds this process's PID.
// A daemon or apply holds it for its lifetime, so that two of them never
// work on the same file, while opening the database itself only when needed.
// When another process holds it the error wraps ErrLocked and names that
// process's PID. release is idempotent.
func Lock(path string) (release func() error, err error) {
	lockPath := path + ".lock"
	if err := os.MkdirAll(filepath.Dir(lockPath), 0o700); err != nil {
		return nil, fmt.Errorf("lock state file %s: create directory: %w", path, err)
	}
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock state file %s: %w", path, err)
	}
	if err := tryLock(f); err != nil {
		pid := readPID(f)
		_ = f.Close()
		if errors.Is(err, errWouldBlock) {
			holder := "another process"
			if pid > 0 {
				holder = fmt.Sprintf("process %d", pid)
			}
			return nil, fmt.Errorf("lock state file %s: %w: %s holds %s (another kestra-migrator daemon or apply?); stop it or use another --db", path, ErrLocked, holder, lockPath)
		}
		return nil, fmt.Errorf("lock state file %s: %w", path, err)
	}
	if err := writePID(f); err != nil {
		_ = unlock(f)
		_ = f.Close()
		return nil, fmt.Errorf("lock state file %s: write pid to %s: %w", path, lockPath, err)
	}
	var once sync.Once
	var releaseErr error
	return func() error {
		once.Do(func() {
			// The file stays: removing it would let a waiter lock a deleted inode.
			truncErr := f.Truncate(0)
			unlockErr := unlock(f)
			closeErr := f.Close()
			if err := errors.Join(truncErr, unlockErr, closeErr); err != nil {
				releaseErr = fmt.Errorf("release lock %s: %w", lockPath, err)
			}
		})
		return releaseErr
	}, nil
}

func writePID(f *os.File) error {
	if err := f.Chmod(0o600); err != nil {
		return err
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return err
}

// readPID returns the PID written in a lock file, or 0.
func readPID(f *os.File) int {
	buf := make([]byte, 32)
	n, err := f.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// lockHolderPID names the process that holds path's process lock, if one
// is recorded and still alive; 0 otherwise. It never takes the lock.
func lockHolderPID(path string) int {
	f, err := os.Open(path + ".lock")
	if err != nil {
		return 0
	}
	defer f.Close()
	pid := readPID(f)
	if pid == 0 || !processAlive(pid) {
		return 0
	}
	return pid
}
