package migrator

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// readRegular reads a flow file, refusing anything but a regular file: the
// file is opened without blocking (a FIFO swapped in after the walk would
// block a plain open forever) and checked on the open descriptor.
func readRegular(path string) ([]byte, fs.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%s: not a regular file (%s)", path, fileKind(info.Mode()))
	}
	data, err := io.ReadAll(f)
	return data, info, err
}

// fixWriter replaces files the crash-safe way, and remembers the
// directories it renamed into, to sync each once at the end.
type fixWriter struct {
	mu   sync.Mutex
	dirs map[string]bool
}

// replace writes data over path: into a temporary file beside the real file
// (the target of a symlink, so the link stays a link), with the file's mode,
// owner and group, synced, then renamed over it. A crash leaves the old or
// the new file, never a torn or empty one. The rename is made durable by
// syncDirs. A file with several hard links is replaced by a new file: the
// other names keep the old text (warn says so).
func (w *fixWriter) replace(path string, info fs.FileInfo, data []byte) (warn string, err error) {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	if err := writeReplacing(target, info, data); err != nil {
		return "", err
	}
	w.mu.Lock()
	w.dirs[filepath.Dir(target)] = true
	w.mu.Unlock()
	if n := linkCount(info); n > 1 {
		warn = fmt.Sprintf("%s had %d hard links: it is now a file of its own, the other names keep the old text", path, n)
	}
	return warn, nil
}

// syncDirs makes the renames durable: one sync per directory, after all of
// them, instead of one per file.
func (w *fixWriter) syncDirs() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	var errs []error
	for dir := range w.dirs {
		if err := syncDir(dir); err != nil {
			errs = append(errs, fmt.Errorf("sync %s: %w", dir, err))
		}
	}
	return errors.Join(errs...)
}

// writeReplacing is the temp file + sync + rename of one file.
func writeReplacing(path string, info fs.FileInfo, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	fail := func(err error) error {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fail(err)
	}
	if err := keepOwner(tmp, info); err != nil {
		return fail(err)
	}
	// after chown, which clears the setuid and setgid bits
	if err := tmp.Chmod(info.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// keepOwner gives the new file the old one's owner and group. It is a
// no-op when they are already ours; when they cannot be kept (not root),
// the file is not replaced rather than silently changing hands.
func keepOwner(f *os.File, info fs.FileInfo) error {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	mine, err := f.Stat()
	if err != nil {
		return err
	}
	if m, ok := mine.Sys().(*syscall.Stat_t); ok && m.Uid == st.Uid && m.Gid == st.Gid {
		return nil
	}
	if err := f.Chown(int(st.Uid), int(st.Gid)); err != nil {
		return fmt.Errorf("cannot keep the file's owner %d and group %d: %w", st.Uid, st.Gid, err)
	}
	return nil
}

func linkCount(info fs.FileInfo) uint64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// WriteFileAtomic replaces path with data through a temporary file in the
// same directory and a rename, keeping the file's mode, owner and group: a
// crash leaves either the old or the new file, never half of one.
func WriteFileAtomic(path string, data []byte) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	w := &fixWriter{dirs: map[string]bool{}}
	if _, err := w.replace(path, info, data); err != nil {
		return err
	}
	return w.syncDirs()
}
