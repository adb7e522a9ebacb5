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

// AddRaw stores a flow under ns/id without validating its source: a flow
// that Kestra's own (lenient) parser accepted but a strict YAML parser
// refuses, such as one with a duplicate key, where Jackson keeps the last.
func (s *Server) AddRaw(ns, id, source string) (Flow, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec, ok := s.flows[key(ns, id)]; ok && rec.live() {
		return Flow{}, fmt.Errorf("add raw flow %s/%s: exists", ns, id)
	}
	rec := s.fresh(ns, id, "")
	s.appendRevision(rec, source, checked{id: id, namespace: ns}, false)
	return s.toFlow(rec, rec.current()), nil
}

// fresh returns the record of ns/id emptied of its revisions, creating it
// when missing. Caller holds mu.
func (s *Server) fresh(ns, id, origin string) *record {
	rec, ok := s.flows[key(ns, id)]
	if !ok {
		rec = &record{ns: ns, id: id}
		s.flows[key(ns, id)] = rec
		s.sorted = append(s.sorted, rec)
		s.dirty = true
	}
	rec.revs, rec.origin = nil, origin
	return rec
}

// SeedFlow is one flow stored by seeding, and what Kestra would say of it.
type SeedFlow struct {
	Origin        string // the file under the seeded root, "#n" added for its nth document when it holds several
	Namespace, ID string
	// Invalid is why Kestra would refuse this source today (the validate
	// endpoint's constraints); "" when it validates.
	Invalid string
	// Replaced is the Origin of the flow with the same namespace and id that
	// this one replaced ("an earlier flow" when that one was not seeded);
	// "" when none.
	Replaced string
}

// Problems says, in a sentence each, why this seed flow deserves a warning.
func (f SeedFlow) Problems() []string {
	var out []string
	if f.Invalid != "" {
		out = append(out, fmt.Sprintf("%s/%s (%s) would not validate today: %s", f.Namespace, f.ID, f.Origin, f.Invalid))
	}
	if f.Replaced != "" {
		out = append(out, fmt.Sprintf("%s/%s (%s) replaces the flow with the same id of %s", f.Namespace, f.ID, f.Origin, f.Replaced))
	}
	return out
}

// Seed stores source as a server upgraded from an older release holds it:
// byte for byte as revision 1, whether or not it would validate today (an
// "extend" key, a docker block on 2.0, a duplicate key...). It replaces a
// flow with the same namespace and id: the later seed wins. It fails only
// when the source names no flow id and namespace that Kestra allows.
func (s *Server) Seed(origin, source string) (SeedFlow, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.check(source)
	if !c.parsed { // e.g. a duplicate key: Kestra's Jackson took the last
		c = checked{constraints: c.constraints}
		c.namespace, c.id = scanIdentity(source)
	}
	if !namespacePattern.MatchString(c.namespace) || len(c.namespace) > 150 ||
		!idPattern.MatchString(c.id) || len(c.id) > 100 {
		return SeedFlow{}, fmt.Errorf("seed %s: no valid flow id and namespace (id %q, namespace %q)", origin, c.id, c.namespace)
	}
	out := SeedFlow{Origin: origin, Namespace: c.namespace, ID: c.id, Invalid: c.constraints}
	if rec, ok := s.flows[key(c.namespace, c.id)]; ok && rec.live() {
		out.Replaced = rec.origin
		if out.Replaced == "" {
			out.Replaced = "an earlier flow"
		}
	}
	s.appendRevision(s.fresh(c.namespace, c.id, origin), source, c, false)
	return out, nil
}

// scanIdentity reads the top-level id and namespace of a source the YAML
// parser refuses, the last of each winning as in Jackson.
func scanIdentity(source string) (ns, id string) {
	for line := range strings.Lines(source) {
		k, v, ok := strings.Cut(strings.TrimRight(line, "\r\n"), ":")
		if !ok || k != "id" && k != "namespace" {
			continue
		}
		v = strings.TrimSpace(v)
		if i := strings.Index(v, " #"); i >= 0 {
			v = strings.TrimSpace(v[:i])
		}
		v = strings.Trim(v, `"'`)
		if k == "id" {
			id = v
		} else {
			ns = v
		}
	}
	return ns, id
}

// SeedDir seeds every flow found in the *.yml and *.yaml files under dir
// (recursively, in lexical order). A file may hold several flows separated
// by "---" lines; each flow's source is stored as its text between the
// markers. See Seed for what is stored and SeedFlow for what is returned.
func (s *Server) SeedDir(dir string) ([]SeedFlow, error) {
	return s.SeedFS(os.DirFS(dir), ".")
}

// SeedFS is SeedDir over a file system (an embed.FS, say), from root.
func (s *Server) SeedFS(fsys fs.FS, root string) ([]SeedFlow, error) {
	var out []SeedFlow
	err := fs.WalkDir(fsys, root, func(path string, d fs.DirEntry, err error) error {
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
		docs := SplitDocuments(string(b))
		for i, doc := range docs {
			origin := path
			if len(docs) > 1 {
				origin = fmt.Sprintf("%s#%d", path, i+1)
			}
			f, err := s.Seed(origin, doc)
			if err != nil {
				return err
			}
			out = append(out, f)
		}
		return nil
	})
	return out, err
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
