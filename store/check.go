package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime/debug"

	bolt "go.etcd.io/bbolt"
)

// ErrNoStateFile is wrapped, with the path and a hint, when a state file
// that must exist does not (OpenExisting, a read-only Open, CheckExists).
var ErrNoStateFile = errors.New("state file does not exist")

// ErrCorrupt is wrapped, with the path, what is wrong and what to do, when
// the state file cannot be trusted: empty, truncated, not a bbolt file,
// inconsistent pages, or anything that made bbolt panic.
var ErrCorrupt = errors.New("state file is corrupt")

// corruptHint is what a user can do about a corrupt state file.
const corruptHint = "nothing was read from it or written to it, nor to the server: restore the file from a backup, " +
	"or move it aside to start afresh (its rollback snapshots are then lost); an interrupted copy is the usual cause"

// corruptError names the file, the damage and what to do.
func corruptError(path, what string) error {
	return fmt.Errorf("%w: %s: %s; %s", ErrCorrupt, path, what, corruptHint)
}

// CheckExists returns nil when the state file at path exists, else an error
// wrapping ErrNoStateFile that says so: commands that only read or undo what
// was recorded (rollback, status) check it before taking any lock, so that
// they create nothing.
func CheckExists(path string) error {
	_, err := os.Stat(path)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrNotExist):
		return noStateFileError(path)
	}
	return fmt.Errorf("state file %s: %w", path, err)
}

// noStateFileError is a missing state file; it matches both ErrNoStateFile
// and fs.ErrNotExist.
type noStateFileError string

func (e noStateFileError) Error() string {
	return fmt.Sprintf("%v: %s (nothing has been recorded in it: check --db, or run apply first)", ErrNoStateFile, string(e))
}

func (e noStateFileError) Is(target error) bool {
	return target == ErrNoStateFile || target == fs.ErrNotExist
}

// checkSize refuses a file that bbolt would take for a new one (empty) or
// that is too short to hold its two meta pages, before bbolt maps it.
func checkSize(path string) (int64, error) {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil // a new file
	}
	if err != nil {
		return 0, fmt.Errorf("stat state file %s: %w", path, err)
	}
	switch size := info.Size(); {
	case size == 0:
		return 0, corruptError(path, "the file is empty (0 bytes)")
	case size < 2*minPageSize:
		return 0, corruptError(path, fmt.Sprintf("the file holds only %d bytes, less than the header of a state file", size))
	default:
		return size, nil
	}
}

// minPageSize is the smallest page bbolt uses; its two meta pages come first.
const minPageSize = 1024

// verify checks an opened file before anything uses it: every page it
// refers to lies inside the file (a truncated file or an interrupted copy
// would otherwise make reads fault), every bucket and value can be read,
// and bbolt's own consistency check passes.
func (s *Store) verify(size int64) (err error) {
	defer s.shield(&err)()
	return s.db.View(func(tx *bolt.Tx) error {
		if need := tx.Size(); size > 0 && need > size {
			return corruptError(s.path, fmt.Sprintf("the file holds %d bytes but its pages need %d: it was cut short", size, need))
		}
		// Walk everything on this goroutine first, where a fault on a page
		// outside the mapping is a recoverable panic (see shield), so that
		// bbolt's check, which runs on a goroutine of its own, only reads
		// pages known to be there.
		if err := walk(tx); err != nil {
			return corruptError(s.path, err.Error())
		}
		var errs []error
		n := 0
		for err := range tx.Check() { // drained to the end: the check runs until then
			if n++; len(errs) < 3 {
				errs = append(errs, err)
			}
		}
		if n > 0 {
			return corruptError(s.path, fmt.Sprintf("%d inconsistencies, the first: %v", n, errors.Join(errs...)))
		}
		return nil
	})
}

// walk reads every key and value of every bucket.
func walk(tx *bolt.Tx) error {
	var visit func(b *bolt.Bucket) error
	visit = func(b *bolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			if v != nil {
				return nil
			}
			child := b.Bucket(k)
			if child == nil {
				return fmt.Errorf("key %q is neither a value nor a bucket", k)
			}
			return visit(child)
		})
	}
	return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
		if err := visit(b); err != nil {
			return fmt.Errorf("bucket %s: %w", name, err)
		}
		return nil
	})
}

// shield protects one call into bbolt: it makes a fault on the mapped file
// a panic on this goroutine (debug.SetPanicOnFault) and turns any panic
// bbolt raises on a damaged file into an error wrapping ErrCorrupt. Use it
// as `defer s.shield(&err)()` at the top of every exported method.
func (s *Store) shield(err *error) func() {
	old := debug.SetPanicOnFault(true)
	return func() {
		debug.SetPanicOnFault(old)
		p := recover()
		if p == nil {
			return
		}
		if cp, ok := p.(callerPanic); ok {
			panic(cp.v) // not ours: the caller's function panicked
		}
		*err = corruptError(s.path, fmt.Sprintf("reading it failed (%v)", p))
	}
}

// callerPanic carries a panic of a caller's function through shield.
type callerPanic struct{ v any }

// callFn calls a caller's function inside a transaction, marking its panic
// as the caller's.
func callFn[T any](fn func(T) error, v T) error {
	defer func() {
		if p := recover(); p != nil {
			panic(callerPanic{p})
		}
	}()
	return fn(v)
}
