package migrator

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// readRegular reads a flow file, refusing anything but a regular file: the
// file is opened without blocking (a FIFO swapped in after the walk would
// block a plain open forever) and checked on the open descriptor. Plain
// system calls: os.File would first try to register the non-blocking
// descriptor with the network poller, twice the calls per file for nothing.
func readRegular(path string) ([]byte, fs.FileInfo, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, nil, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	info := fdInfo{name: filepath.Base(path), st: st}
	if !info.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%s: not a regular file (%s)", path, fileKind(info.Mode()))
	}
	data := make([]byte, 0, info.Size()+1) // +1: the read that sees the end
	for {
		n, err := syscall.Read(fd, data[len(data):cap(data)])
		if err == syscall.EINTR || err == syscall.EAGAIN {
			continue
		}
		if err != nil {
			return nil, nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return data, info, nil
		}
		data = data[:len(data)+n]
		if len(data) == cap(data) { // the file grew since the stat
			data = append(data, 0)[:len(data)]
		}
	}
}

// fdInfo is an fs.FileInfo from fstat(2), as os.Stat builds it.
type fdInfo struct {
	name string
	st   syscall.Stat_t
}

func (i fdInfo) Name() string       { return i.name }
func (i fdInfo) Size() int64        { return i.st.Size }
func (i fdInfo) ModTime() time.Time { return time.Unix(i.st.Mtim.Unix()) }
func (i fdInfo) IsDir() bool        { return i.Mode().IsDir() }
func (i fdInfo) Sys() any           { return &i.st }
func (i fdInfo) Mode() fs.FileMode {
	m := fs.FileMode(i.st.Mode & 0o777)
	switch i.st.Mode & syscall.S_IFMT {
	case syscall.S_IFDIR:
		m |= fs.ModeDir
	case syscall.S_IFLNK:
		m |= fs.ModeSymlink
	case syscall.S_IFIFO:
		m |= fs.ModeNamedPipe
	case syscall.S_IFSOCK:
		m |= fs.ModeSocket
	case syscall.S_IFBLK:
		m |= fs.ModeDevice
	case syscall.S_IFCHR:
		m |= fs.ModeDevice | fs.ModeCharDevice
	}
	if i.st.Mode&syscall.S_ISUID != 0 {
		m |= fs.ModeSetuid
	}
	if i.st.Mode&syscall.S_ISGID != 0 {
		m |= fs.ModeSetgid
	}
	if i.st.Mode&syscall.S_ISVTX != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// stagedFile is a file's new text written to a temporary file beside it
// (beside the target of a symlink, so the link stays a link), with the
// file's mode, owner and group, waiting for the durability step and its rename.
type stagedFile struct {
	path, target, tmp string
	dev               uint64 // the file system, for the durability step
	warn              string // a note for the report (hard links)
	err               error  // set when the rename did not happen
}

// stage writes data into a temporary file for path. A file with several
// hard links is replaced by a new file: the other names keep the old text
// (warn says so). A read-only file is refused.
func stage(path string, info fs.FileInfo, data []byte) (*stagedFile, error) {
	if info.Mode().Perm()&0o222 == 0 {
		return nil, fmt.Errorf("write %s: the file is read-only: make it writable to migrate it", path)
	}
	target, err := symlinkTarget(path)
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	tmp, fd, err := createTemp(target)
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	fail := func(err error) (*stagedFile, error) {
		syscall.Close(fd)
		syscall.Unlink(tmp)
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	for rest := data; len(rest) > 0; {
		n, err := syscall.Write(fd, rest)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return fail(err)
		}
		rest = rest[n:]
	}
	if err := keepOwner(fd, info); err != nil {
		return fail(err)
	}
	// after chown, which clears the setuid and setgid bits
	if err := syscall.Fchmod(fd, unixMode(info.Mode())); err != nil {
		return fail(err)
	}
	if !batchedSync { // no file-system sync: each file is synced here, by the parallel workers
		if err := syscall.Fsync(fd); err != nil {
			return fail(err)
		}
	}
	if err := syscall.Close(fd); err != nil {
		syscall.Unlink(tmp)
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	st := &stagedFile{path: path, target: target, tmp: tmp, dev: deviceOf(info)}
	if n := linkCount(info); n > 1 {
		st.warn = fmt.Sprintf("%s had %d hard links: it is now a file of its own, the other names keep the old text", path, n)
	}
	return st, nil
}

// symlinkTarget is the file a symlink at path points to (written instead
// of the link), or path itself.
func symlinkTarget(path string) (string, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return "", err
	}
	if fi.Mode()&fs.ModeSymlink == 0 {
		return path, nil
	}
	return filepath.EvalSymlinks(path)
}

// fixWriter makes staged files durable and renames them over the real
// ones, remembering the directories it renamed into to sync each once.
type fixWriter struct {
	dirs map[string]bool
}

func newFixWriter() *fixWriter { return &fixWriter{dirs: map[string]bool{}} }

// commit is the durability step of a batch, then its renames: the data of
// every temporary file is on disk before any of them replaces a file, so a
// crash leaves each file old or new, never torn or empty. A done context
// renames nothing more and removes the temporary files.
func (w *fixWriter) commit(ctx context.Context, batch []fileOutcome) error {
	var staged []*stagedFile
	for _, f := range batch {
		if f.staged != nil {
			staged = append(staged, f.staged)
		}
	}
	if len(staged) == 0 {
		return nil
	}
	if err := syncFileSystems(staged); err != nil {
		discardStaged(staged, err)
		return err
	}
	// the renames wait on the disk's journal more than on a core: several at once
	next := make(chan *stagedFile)
	var wg sync.WaitGroup
	for i := 0; i < min(renameWorkers, len(staged)); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for st := range next {
				if err := ctx.Err(); err != nil {
					discardStaged([]*stagedFile{st}, err)
				} else if err := os.Rename(st.tmp, st.target); err != nil {
					discardStaged([]*stagedFile{st}, fmt.Errorf("write %s: %w", st.path, err))
				}
			}
		}()
	}
	for _, st := range staged {
		next <- st
	}
	close(next)
	wg.Wait()
	for _, st := range staged {
		if st.err == nil {
			w.dirs[filepath.Dir(st.target)] = true
		}
	}
	return ctx.Err()
}

// renameWorkers is how many renames of a batch run at once.
const renameWorkers = 8

// discard removes the temporary files of a batch that will not be committed.
func (w *fixWriter) discard(batch []fileOutcome) {
	for _, f := range batch {
		if f.staged != nil {
			discardStaged([]*stagedFile{f.staged}, errors.New("not written: the run stopped"))
		}
	}
}

func discardStaged(staged []*stagedFile, err error) {
	for _, st := range staged {
		syscall.Unlink(st.tmp)
		if st.err == nil {
			st.err = err
		}
	}
}

// syncDirs makes the renames durable: one sync per directory, after all of
// them, instead of one per file; the directories are synced several at once.
func (w *fixWriter) syncDirs() error {
	dirs := make(chan string)
	errs := make(chan error, len(w.dirs))
	var wg sync.WaitGroup
	for i := 0; i < min(renameWorkers, len(w.dirs)); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for dir := range dirs {
				if err := syncDir(dir); err != nil {
					errs <- fmt.Errorf("sync %s: %w", dir, err)
				}
			}
		}()
	}
	for dir := range w.dirs {
		dirs <- dir
	}
	close(dirs)
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return errors.Join(all...)
}

// keepOwner gives the new file the old one's owner and group. It is a
// no-op when they are already ours; when they cannot be kept (not root),
// the file is not replaced rather than silently changing hands.
func keepOwner(fd int, info fs.FileInfo) error {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	var mine syscall.Stat_t
	if err := syscall.Fstat(fd, &mine); err != nil {
		return err
	}
	if mine.Uid == st.Uid && mine.Gid == st.Gid {
		return nil
	}
	if err := syscall.Fchown(fd, int(st.Uid), int(st.Gid)); err != nil {
		return fmt.Errorf("cannot keep the file's owner %d and group %d: %w", st.Uid, st.Gid, err)
	}
	return nil
}

// createTemp creates an empty file beside target, for this process only
// (O_EXCL, mode 0600 until the file's own mode is set), with plain system
// calls: os.File would try to register it with the network poller.
func createTemp(target string) (name string, fd int, err error) {
	dir, base := filepath.Split(target)
	for try := 0; try < 100; try++ {
		name = filepath.Join(dir, "."+base+".tmp-"+strconv.FormatUint(rand.Uint64(), 36))
		fd, err = syscall.Open(name, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, 0o600)
		if err == syscall.EEXIST {
			continue
		}
		if err != nil {
			return "", -1, &fs.PathError{Op: "create", Path: name, Err: err}
		}
		return name, fd, nil
	}
	return "", -1, fmt.Errorf("create a temporary file beside %s: %w", target, err)
}

// unixMode is a file's permission and special bits as chmod(2) takes them.
func unixMode(m fs.FileMode) uint32 {
	mode := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		mode |= syscall.S_ISUID
	}
	if m&fs.ModeSetgid != 0 {
		mode |= syscall.S_ISGID
	}
	if m&fs.ModeSticky != 0 {
		mode |= syscall.S_ISVTX
	}
	return mode
}

func linkCount(info fs.FileInfo) uint64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}

func deviceOf(info fs.FileInfo) uint64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev)
	}
	return 0
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
	st, err := stage(path, info, data)
	if err != nil {
		return err
	}
	w := newFixWriter()
	if err := w.commit(context.Background(), []fileOutcome{{path: path, staged: st}}); err != nil {
		return err
	}
	if st.err != nil {
		return st.err
	}
	return w.syncDirs()
}
