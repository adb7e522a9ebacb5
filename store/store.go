package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// ErrLocked is returned, wrapped with the path and a hint, when another
// process holds the state file (or its process lock) past the timeout.
var ErrLocked = errors.New("state file is locked by another process")

// ErrNotFound is returned, wrapped with what was looked up, when a run,
// snapshot, flow state or namespace progress is not in the store.
var ErrNotFound = errors.New("not found")

// DefaultTimeout is how long Open waits for another process to release the file.
const DefaultTimeout = 2 * time.Second

// DefaultBatchDelay is how long a write on the hot path waits for others to
// share its commit (bbolt's MaxBatchDelay). Measured in bench_test.go.
const DefaultBatchDelay = time.Millisecond

// Options tune Open.
type Options struct {
	// ReadOnly opens with a shared lock: any number of readers, no writer.
	ReadOnly bool
	// Timeout bounds the wait for the file lock; 0 or less means DefaultTimeout.
	Timeout time.Duration
	// NoSync skips fsync on commit. Tests and benchmarks only: a crash can
	// then lose a snapshot that was reported saved.
	NoSync bool
	// BatchDelay overrides DefaultBatchDelay (0 keeps the default).
	BatchDelay time.Duration
	// PublishLive keeps a copy of the progress and the last runs beside the
	// file (LivePath), for readers while this process holds it; removed on Close.
	PublishLive bool
}

// Store is an open state file. It is safe for concurrent use.
type Store struct {
	db       *bolt.DB
	path     string
	readOnly bool
	now      func() time.Time
	live     *livePublisher // nil unless Options.PublishLive
	bound    atomic.Pointer[ServerID]
}

// Open opens the state file at path, creating it (and its parent
// directories, mode 0700) unless opts.ReadOnly. The file is kept at mode
// 0600. A read-write open brings an older schema up to date; a file written
// by a newer binary is refused. When another process holds the file past
// opts.Timeout the error wraps ErrLocked. An existing file is checked before
// use: one that is empty, cut short or damaged is refused with an error
// wrapping ErrCorrupt, and a read-only open of a missing file with one
// wrapping ErrNoStateFile.
func Open(path string, opts Options) (*Store, error) {
	return open(path, opts, opts.ReadOnly)
}

// OpenExisting is Open for commands that only read or undo what was
// recorded (rollback, status): a missing file is an error wrapping
// ErrNoStateFile, and nothing is created.
func OpenExisting(path string, opts Options) (*Store, error) {
	return open(path, opts, true)
}

func open(path string, opts Options, mustExist bool) (_ *Store, err error) {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if mustExist {
		if err := CheckExists(path); err != nil {
			return nil, err
		}
	}
	if err := prepareFile(path, opts.ReadOnly); err != nil {
		return nil, err
	}
	size, err := checkSize(path)
	if err != nil {
		return nil, err
	}
	s := &Store{path: path, readOnly: opts.ReadOnly, now: time.Now}
	var file *os.File // bbolt's handle, which holds the file lock
	defer func() {
		switch {
		case err == nil:
		case s.db != nil:
			_ = s.db.Close()
		case file != nil: // bbolt panicked inside Open, holding the lock
			// The file stays mapped (bbolt keeps the address), which keeps
			// the lock alive past Close: release it explicitly.
			_ = unlock(file)
			_ = file.Close()
		}
	}()
	defer s.shield(&err)() // bbolt reads the meta pages and the freelist in Open
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:  timeout,
		ReadOnly: opts.ReadOnly,
		NoSync:   opts.NoSync,
		// read here, where a fault is recoverable, rather than on first use
		PreLoadFreelist: true,
		OpenFile: func(name string, flag int, perm os.FileMode) (*os.File, error) {
			f, err := os.OpenFile(name, flag, perm)
			file = f
			return f, err
		},
	})
	if err != nil {
		switch {
		case errors.Is(err, bolterrors.ErrTimeout):
			return nil, lockedError(path, opts.ReadOnly, timeout)
		case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrChecksum), errors.Is(err, bolterrors.ErrVersionMismatch):
			return nil, corruptError(path, fmt.Sprintf("not a readable state file (%v)", err))
		}
		return nil, fmt.Errorf("open state file %s: %w", path, err)
	}
	s.db = db
	if err := s.verify(size); err != nil {
		return nil, err
	}
	db.MaxBatchDelay = DefaultBatchDelay
	if opts.BatchDelay > 0 {
		db.MaxBatchDelay = opts.BatchDelay
	}
	if opts.PublishLive && !opts.ReadOnly {
		s.live = &livePublisher{}
	}
	if err := s.checkSchema(); err != nil {
		return nil, fmt.Errorf("open state file %s: %w", path, err)
	}
	return s, nil
}

// prepareFile creates the parent directory and tightens the mode of an
// existing file for a read-write open; a read-only open only checks that the
// file exists, and changes nothing.
func prepareFile(path string, readOnly bool) error {
	if readOnly {
		return CheckExists(path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create directory for state file %s: %w", path, err)
	}
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("stat state file %s: %w", path, err)
	}
	if info.Mode().Perm() != 0o600 {
		if err := os.Chmod(path, 0o600); err != nil {
			return fmt.Errorf("restrict state file %s to mode 0600: %w", path, err)
		}
	}
	return nil
}

// lockedError explains who may hold the file and what to do.
func lockedError(path string, readOnly bool, timeout time.Duration) error {
	holder := "another kestra-migrator process (a daemon pass or an apply)"
	if pid := lockHolderPID(path); pid > 0 {
		holder = fmt.Sprintf("%s, probably pid %d (named in %s.lock)", holder, pid, path)
	}
	hint := "wait for it to finish and retry, stop it, or point --db at another file"
	if !readOnly {
		hint = "only one process may write the state file; " + hint
	}
	return fmt.Errorf("open state file %s: %w: still held after %s by %s; %s", path, ErrLocked, timeout, holder, hint)
}

// Close releases the file and its lock.
func (s *Store) Close() (err error) {
	defer s.shield(&err)()
	s.stopLive()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close state file %s: %w", s.path, err)
	}
	return nil
}

// Path is the file the store was opened from.
func (s *Store) Path() string { return s.path }

// ReadOnly reports whether the store was opened read-only.
func (s *Store) ReadOnly() bool { return s.readOnly }
