package kestrafake

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// AddFlow stores a new flow as if created through the API (revision 1);
// it fails when the source is invalid or the flow exists.
func (s *Server) AddFlow(source string) (Flow, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, aerr := s.create(source)
	if aerr != nil {
		return Flow{}, fmt.Errorf("add flow: %d %s", aerr.status, aerr.message)
	}
	return s.toFlow(rec, rec.current()), nil
}

// SeedDir adds every flow found in the *.yml and *.yaml files under dir
// (recursively). A file may hold several flows separated by "---" lines;
// each flow's source is stored as its text between the markers.
func (s *Server) SeedDir(dir string) error {
	return s.SeedFS(os.DirFS(dir), ".")
}

// SplitDocuments splits a YAML stream at lines that are a bare "---" (a
// trailing comment allowed) and drops documents holding only blanks and
// comments. Each document keeps its bytes, line endings included.
func SplitDocuments(text string) []string {
	var docs []string
	var cur strings.Builder
	flush := func() {
		if hasContent(cur.String()) {
			docs = append(docs, cur.String())
		}
		cur.Reset()
	}
	for line := range strings.Lines(text) {
		if isMarkerLine(line) {
			flush()
			continue
		}
		cur.WriteString(line)
	}
	flush()
	return docs
}

func isMarkerLine(line string) bool {
	t := strings.TrimRight(line, "\r\n")
	if !strings.HasPrefix(t, "---") {
		return false
	}
	rest := strings.TrimSpace(t[3:])
	return rest == "" || strings.HasPrefix(rest, "#")
}

func hasContent(doc string) bool {
	for line := range strings.Lines(doc) {
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
			return true
		}
	}
	return false
}

// AddRaw stores a flow under ns/id without validating its source: a flow
// that Kestra's own (lenient) parser accepted but a strict YAML parser
// refuses, such as one with a duplicate key, where Jackson keeps the last.
func (s *Server) AddRaw(ns, id, source string) (Flow, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec, ok := s.flows[key(ns, id)]; ok && rec.live() {
		return Flow{}, fmt.Errorf("add raw flow %s/%s: exists", ns, id)
	}
	rec := &record{ns: ns, id: id}
	s.flows[key(ns, id)] = rec
	s.sorted = append(s.sorted, rec)
	s.dirty = true
	s.appendRevision(rec, source, checked{id: id, namespace: ns}, false)
	return s.toFlow(rec, rec.current()), nil
}

// SeedFS is SeedDir over a file system (an embed.FS, say), from root.
func (s *Server) SeedFS(fsys fs.FS, root string) error {
	return fs.WalkDir(fsys, root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		ext := strings.ToLower(filepath.Ext(path))
		if d.IsDir() || (ext != ".yml" && ext != ".yaml") {
			return nil
		}
		b, err := fs.ReadFile(fsys, path)
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		for i, doc := range SplitDocuments(string(b)) {
			if _, err := s.AddFlow(doc); err != nil {
				return fmt.Errorf("seed %s document %d: %w", path, i+1, err)
			}
		}
		return nil
	})
}
