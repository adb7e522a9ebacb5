package migrator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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
}

// Fix rewrites flow files and directories (recursively, *.yml and *.yaml; a
// file may hold several flows separated by ---). A file that cannot be read
// or parsed is reported failed with its path and the parser's line, and the
// run goes on. The error is for what stops the whole run (a missing path).
func Fix(ctx context.Context, rw *rewrite.Rewriter, opts FixOptions) (*report.Report, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	files, err := flowFiles(opts.Paths)
	if err != nil {
		return nil, err
	}
	rec := report.NewRecorder("fix", "", now())
	rec.KeepUpToDate = true // every file is listed
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		fixFile(rw, rec, f, opts)
	}
	return rec.Finish(now()), nil
}

func fixFile(rw *rewrite.Rewriter, rec *report.Recorder, path string, opts FixOptions) {
	src, err := os.ReadFile(path)
	if err != nil {
		rec.Add(failedItem(path, "", "", err.Error()))
		return
	}
	docs := rewrite.SplitDocuments(src)
	var out bytes.Buffer
	items := make([]report.Item, 0, len(docs))
	lineBase := 0
	for _, doc := range docs {
		ns, id, _ := rewrite.FlowIdentity(doc)
		res, err := rw.Rewrite(doc)
		if err != nil {
			var pe *rewrite.ParseError
			if errors.As(err, &pe) && pe.Line > 0 {
				err = fmt.Errorf("line %d: %s", lineBase+pe.Line, pe.Msg)
			}
			rec.Add(failedItem(path, ns, id, err.Error()))
			return // leave the whole file as it is
		}
		lineBase += bytes.Count(doc, []byte{'\n'})
		out.Write(res.Source)
		items = append(items, resultItem(report.Item{Namespace: ns, ID: id, File: path}, res))
	}
	changed := !bytes.Equal(out.Bytes(), src)
	var diff string
	if changed && opts.Diff {
		diff = report.UnifiedDiff(path, src, out.Bytes())
	}
	if changed && opts.Write {
		if err := WriteFileAtomic(path, out.Bytes()); err != nil {
			rec.Add(failedItem(path, "", "", err.Error()))
			return
		}
	}
	for i, it := range items {
		if opts.Write && it.Status == report.StatusPending {
			it.Status = report.StatusMigrated
		}
		if i == 0 {
			it.Diff = diff // one diff per file, on its first flow
		}
		rec.Add(it)
	}
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

// flowFiles expands paths: files as given, directories walked for *.yml and *.yaml.
func flowFiles(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("fix: %w", err)
		}
		if !info.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != p {
				return filepath.SkipDir // .git and friends
			}
			if !d.IsDir() && (strings.HasSuffix(path, ".yml") || strings.HasSuffix(path, ".yaml")) {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("fix: walk %s: %w", p, err)
		}
	}
	return files, nil
}

// WriteFileAtomic replaces path with data through a temporary file in the
// same directory and a rename, keeping the file's mode: a crash leaves
// either the old or the new file, never half of one.
func WriteFileAtomic(path string, data []byte) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(info.Mode().Perm()); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
