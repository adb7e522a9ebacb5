package migrator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kestra-migrator/kestra-migrator/migrator/report"
	"github.com/kestra-migrator/kestra-migrator/migrator/rewrite"
)

// FixOptions configure a fix run over local flow files (flows kept in git).
type FixOptions struct {
	Paths []string
	Write bool // rewrite files in place (atomically); else report only
	Diff  bool // attach each file's unified diff to its items
	Now   func() time.Time
	// Workers is how many files are handled at once; 0 means twice the cores.
	Workers int
}

// FixResult is a fix run's report and what it did to files.
type FixResult struct {
	Report  *report.Report
	Files   int // flow files read
	Written int // files rewritten
	Skipped int // paths that are not regular files (FIFOs, devices...), named in the report's warnings
}

// fixWorkers handles this many files at once: the rewrite is CPU work, and
// each written file waits for its own fsync (the file system commits
// concurrent syncs together), so twice the cores keeps them busy; more only
// contend for the directories' locks.
func fixWorkers() int { return 2 * runtime.GOMAXPROCS(0) }

// interleaveDirs orders files so that consecutive ones are in different
// directories where possible: concurrent creates and renames in one
// directory wait for its lock.
func interleaveDirs(files []string) []string {
	byDir := map[string][]string{}
	var dirs []string
	for _, f := range files {
		d := filepath.Dir(f)
		if _, ok := byDir[d]; !ok {
			dirs = append(dirs, d)
		}
		byDir[d] = append(byDir[d], f)
	}
	if len(dirs) < 2 {
		return files
	}
	out := make([]string, 0, len(files))
	for len(out) < len(files) {
		for _, d := range dirs {
			if q := byDir[d]; len(q) > 0 {
				out = append(out, q[0])
				byDir[d] = q[1:]
			}
		}
	}
	return out
}

// Fix rewrites flow files and directories (recursively, *.yml and *.yaml; a
// file may hold several flows separated by ---), several files at once. A
// file that cannot be read or parsed is reported failed with its path and
// the parser's line, and the run goes on. The error is for what stops the
// whole run: a path that matches no flow file (ErrNoMatch), or the context
// ending (ErrInterrupted; every file is then either as it was or complete).
func Fix(ctx context.Context, rw *rewrite.Rewriter, opts FixOptions) (*FixResult, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	files, skipped, err := flowFiles(opts.Paths)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: no *.yml or *.yaml flow file in %s", ErrNoMatch, strings.Join(opts.Paths, ", "))
	}
	rec := newFixRecorder(rw, now())
	res := &FixResult{Files: len(files), Skipped: len(skipped)}
	for _, s := range skipped {
		rec.Warn(s)
	}
	// a fix run's garbage is short-lived parse trees: collecting it half as
	// often or less halves the CPU spent beside the rewrite (the soft memory
	// limit, when set, still bounds the heap)
	defer debug.SetGCPercent(debug.SetGCPercent(fixGCPercent))
	workers := opts.Workers
	if workers <= 0 {
		workers = fixWorkers()
	}
	jobs := make(chan string)
	done := make(chan fileOutcome, workers)
	var wg sync.WaitGroup
	for i := 0; i < min(workers, len(files)); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for path := range jobs {
				done <- fixFile(ctx, rw, rec, path, opts)
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, f := range interleaveDirs(files) {
			select {
			case jobs <- f:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(done)
	}()
	w := newFixWriter()
	var batch []fileOutcome
	commit := func() error {
		err := w.commit(ctx, batch)
		for _, f := range batch {
			if f.staged != nil && f.staged.err != nil {
				rec.Add(failedItem(f.path, "", "", f.staged.err.Error()))
				continue
			}
			if f.staged != nil {
				res.Written++
			}
			f.record(rec)
		}
		batch = batch[:0]
		return err
	}
	var commitErr error
	for f := range done {
		if f.staged == nil {
			f.record(rec)
			continue
		}
		batch = append(batch, f)
		if len(batch) >= fixBatch && commitErr == nil {
			commitErr = commit()
		}
	}
	if commitErr == nil {
		commitErr = commit()
	} else {
		w.discard(batch)
	}
	if err := errors.Join(commitErr, w.syncDirs()); err != nil && ctx.Err() == nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %d of %d files written before the stop, each complete; the others are as they were (%v)", ErrInterrupted, res.Written, len(files), err)
	}
	res.Report = rec.Finish(now())
	return res, nil
}

// fixGCPercent is the garbage collector's target during a fix run.
const fixGCPercent = 400

// fixBatch is how many files are written (to temporary files, closed)
// between two durability steps: one file-system sync makes the whole batch
// durable before its renames, instead of one fsync per file. A sync costs
// about the same for 10 files or 4,000 (it may also flush other programs'
// data), so batches are large.
const fixBatch = 4096

// fileOutcome is one file's rewrite: its flows, and the new text staged in
// a temporary file when it is to be written.
type fileOutcome struct {
	path   string
	items  []report.Item
	write  bool // the run writes (the pending flows become migrated once renamed)
	staged *stagedFile
}

// record adds the file's flows to the report.
func (f fileOutcome) record(rec *report.Recorder) {
	for _, it := range f.items {
		if f.staged != nil && it.Status == report.StatusPending {
			it.Status = report.StatusMigrated
		}
		rec.Add(it)
	}
}

// fixFile reads and rewrites one file, and stages its new text when it is to
// be written; failures are recorded at once.
func fixFile(ctx context.Context, rw *rewrite.Rewriter, rec *report.Recorder, path string, opts FixOptions) fileOutcome {
	f := fileOutcome{path: path, write: opts.Write}
	src, info, err := readRegular(path)
	if err != nil {
		rec.Add(failedItem(path, "", "", err.Error()))
		return f
	}
	out, items, ok := fixSource(ctx, rw, rec, path, src)
	if !ok {
		return f
	}
	changed := !bytes.Equal(out, src)
	if changed && opts.Diff && len(items) > 0 {
		items[0].Diff = report.UnifiedDiff(path, src, out) // one diff per file, on its first flow
	}
	if changed && opts.Write && ctx.Err() == nil {
		staged, err := stage(path, info, out)
		if err != nil {
			rec.Add(failedItem(path, "", "", err.Error()))
			return f
		}
		if staged.warn != "" && len(items) > 0 {
			items[0].Warnings = append(items[0].Warnings, report.Warning{Message: staged.warn})
		}
		f.staged = staged
	}
	f.items = items
	return f
}

// fixSource rewrites every flow of one file's text. ok is false when the
// file was reported failed (it is then left as it is, whole).
func fixSource(ctx context.Context, rw *rewrite.Rewriter, rec *report.Recorder, path string, src []byte) ([]byte, []report.Item, bool) {
	docs := rewrite.SplitDocuments(src)
	out := make([]byte, 0, len(src)+len(src)/8)
	items := make([]report.Item, 0, len(docs))
	lineBase := 0
	for _, doc := range docs {
		if ctx.Err() != nil {
			return nil, nil, false
		}
		d, ns, id, ok, err := flowOf(doc)
		if err == nil && ok {
			var res rewrite.Result
			res, err = rw.RewriteDocument(ctx, d)
			if err == nil {
				out = append(out, res.Source...)
				items = append(items, resultItem(report.Item{Namespace: ns, ID: id, File: path}, res))
			}
		} else if err == nil {
			out = append(out, doc...)
			if ns != "-" { // a document of comments only is kept as it is, silently
				reason := fmt.Sprintf("line %d: not a Kestra flow: the document has no top-level id and namespace", lineBase+1)
				rec.Add(failedItem(path, ns, id, reason))
				return nil, nil, false
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil, false
			}
			var pe *rewrite.ParseError
			if errors.As(err, &pe) && pe.Line > 0 {
				err = fmt.Errorf("line %d: %s", lineBase+pe.Line, pe.Msg)
			}
			rec.Add(failedItem(path, ns, id, err.Error()))
			return nil, nil, false // leave the whole file as it is
		}
		lineBase += bytes.Count(doc, []byte{'\n'})
	}
	return out, items, true
}

// flowOf parses one document (the fast path of the rewrite does not, and a
// file that is not valid YAML or not a flow must not pass for up-to-date):
// its identity, or ok false for a document that is not a flow (ns "-" for
// one with no content at all).
func flowOf(doc []byte) (d *rewrite.Document, ns, id string, ok bool, err error) {
	d, err = rewrite.ParseDocument(doc)
	if err != nil {
		return nil, "", "", false, err
	}
	if d.Empty() {
		return d, "-", "", false, nil
	}
	ns, id, ok = d.FlowIdentity()
	return d, ns, id, ok, nil
}

// FixStream rewrites the flows read from r (a file's text, "fix -") and
// writes the result to w: the migrated text, or the input unchanged when
// nothing was migrated. Nothing is written when the input does not parse.
func FixStream(ctx context.Context, rw *rewrite.Rewriter, r io.Reader, w io.Writer, now func() time.Time) (*FixResult, error) {
	if now == nil {
		now = time.Now
	}
	src, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("fix: read standard input: %w", err)
	}
	rec := newFixRecorder(rw, now())
	out, items, ok := fixSource(ctx, rw, rec, "-", src)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInterrupted, err)
	}
	if ok {
		for _, it := range items {
			rec.Add(it)
		}
		if _, err := w.Write(out); err != nil {
			return nil, fmt.Errorf("fix: write standard output: %w", err)
		}
	}
	return &FixResult{Report: rec.Finish(now()), Files: 1}, nil
}

// resultItem fills an item from a rewrite result.
func resultItem(it report.Item, res rewrite.Result) report.Item {
	it.Status, it.Changes, it.Warnings = report.Status(res.Status), res.Changes, res.Warnings
	if res.Status == rewrite.StatusUnsupported && len(res.Unsupported) > 1 {
		// the reason names the first task; list them all (partial mode warns itself)
		for _, u := range res.Unsupported {
			it.Warnings = append(it.Warnings, report.Warning{Rule: u.Rule, Path: u.Path,
				Message: fmt.Sprintf("%s: %s", u.Describe(), u.Unsupported)})
		}
	}
	if res.Reason != "" {
		reason := res.Reason
		it.Reason = &reason
	}
	return it
}

func failedItem(path, ns, id, reason string) report.Item {
	return report.Item{Namespace: ns, ID: id, File: path, Status: report.StatusFailed, Reason: &reason}
}

// flowFiles expands paths: files as given, directories walked for *.yml and
// *.yaml. Paths that are not regular files (a FIFO would block the read
// forever) are skipped with a reason. A path that does not exist matches
// no flow file: ErrNoMatch.
func flowFiles(paths []string) (files, skipped []string, err error) {
	seen := map[string]bool{}
	add := func(path string, mode fs.FileMode) {
		switch {
		case seen[path]:
		case !mode.IsRegular():
			skipped = append(skipped, fmt.Sprintf("%s skipped: not a regular file (%s)", path, fileKind(mode)))
		default:
			files = append(files, path)
		}
		seen[path] = true
	}
	for _, p := range paths {
		info, err := os.Stat(p) // follows a symlink: its target is the file
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, nil, fmt.Errorf("%w: %s does not exist", ErrNoMatch, p)
			}
			return nil, nil, fmt.Errorf("fix: %w", err)
		}
		if !info.IsDir() {
			add(p, info.Mode())
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != p {
				return filepath.SkipDir // .git and friends
			}
			if d.IsDir() || !(strings.HasSuffix(path, ".yml") || strings.HasSuffix(path, ".yaml")) {
				return nil
			}
			mode := d.Type()
			if mode&fs.ModeSymlink != 0 {
				info, err := os.Stat(path)
				if err != nil {
					skipped = append(skipped, fmt.Sprintf("%s skipped: %v", path, err))
					return nil
				}
				mode = info.Mode()
			}
			add(path, mode)
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("fix: walk %s: %w", p, err)
		}
	}
	sort.Strings(skipped)
	return files, skipped, nil
}

func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return m.Type().String()
}

// newFixRecorder lists every file and names the target and rules.
func newFixRecorder(rw *rewrite.Rewriter, now time.Time) *report.Recorder {
	rec := report.NewRecorder("fix", "", now)
	rec.KeepUpToDate = true // every file is listed
	rec.SetRules(string(rw.Target()), rewrite.RuleNames(rw.Rules()))
	return rec
}
