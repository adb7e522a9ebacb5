package kestrafake

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Flow is one revision of a stored flow.
type Flow struct {
	ID, Namespace string
	Revision      int
	Disabled      bool
	Deleted       bool
	TenantID      string
	Source        string
	Updated       time.Time
}

// record is a flow with all its revisions, ascending; a soft delete is a last
// revision with deleted set.
type record struct {
	ns, id string
	revs   []*revision
	origin string // where a seeded flow came from (see Seed); "" otherwise
}

type revision struct {
	num      int
	source   string
	deleted  bool
	disabled bool
	updated  time.Time
	meta     []byte // the flow's JSON object without "source"
}

func key(ns, id string) string { return ns + "/" + id }

func (r *record) current() *revision { return r.revs[len(r.revs)-1] }
func (r *record) live() bool         { return !r.current().deleted }

// apiError is an error answer of the fake.
type apiError struct {
	status  int
	message string
	path    string
}

func errNotFound(ns, id string) *apiError {
	return &apiError{status: http.StatusNotFound, message: "Unable to find flow " + ns + "." + id, path: "flow"}
}

func errInvalid(message, path string) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, message: message, path: path}
}

// liveRecord returns the record of a flow that exists and is not deleted.
func (s *Server) liveRecord(ns, id string) (*record, bool) {
	rec, ok := s.flows[key(ns, id)]
	if !ok || !rec.live() {
		return nil, false
	}
	return rec, true
}

// create stores a new flow (revision 1, or after the revisions of a deleted
// flow with the same id). Caller holds mu.
func (s *Server) create(source string) (*record, *apiError) {
	c := s.check(source)
	if c.constraints != "" {
		return nil, errInvalid(c.constraints, "flow")
	}
	rec, exists := s.flows[key(c.namespace, c.id)]
	if exists && rec.live() {
		return nil, errInvalid("Flow id already exists: "+c.namespace+"."+c.id, "flow.id")
	}
	if !exists {
		rec = s.fresh(c.namespace, c.id, "")
	}
	s.appendRevision(rec, source, c, false)
	return rec, nil
}

// update stores a new revision unless the source is identical. Caller holds mu.
func (s *Server) update(ns, id, source string) (*record, *apiError) {
	rec, ok := s.liveRecord(ns, id)
	if !ok {
		return nil, errNotFound(ns, id)
	}
	c := s.check(source)
	if c.parsed && c.id != id {
		return nil, errInvalid("Illegal flow id update", "flow.id")
	}
	if c.parsed && c.namespace != ns {
		return nil, errInvalid("Illegal namespace update", "flow.namespace")
	}
	if c.constraints != "" {
		return nil, errInvalid(c.constraints, "flow")
	}
	if rec.current().source == source {
		return rec, nil
	}
	s.appendRevision(rec, source, c, false)
	return rec, nil
}

// remove soft-deletes a flow: a new revision marked deleted. Caller holds mu.
func (s *Server) remove(ns, id string) *apiError {
	rec, ok := s.liveRecord(ns, id)
	if !ok {
		return errNotFound(ns, id)
	}
	cur := rec.current()
	s.appendRevision(rec, cur.source, s.check(cur.source), true)
	return nil
}

func (s *Server) appendRevision(rec *record, source string, c checked, deleted bool) {
	rev := &revision{num: 1, source: source, deleted: deleted, disabled: c.disabled, updated: time.Now().UTC()}
	if n := len(rec.revs); n > 0 {
		rev.num = rec.revs[n-1].num + 1
	}
	rev.meta = s.flowJSON(rec, rev, c.fields)
	rec.revs = append(rec.revs, rev)
}

// flowJSON renders the flow as Kestra's Jackson would: no null fields.
func (s *Server) flowJSON(rec *record, rev *revision, fields map[string]any) []byte {
	m := make(map[string]any, len(fields)+6)
	for k, v := range fields {
		m[k] = v
	}
	m["id"], m["namespace"], m["revision"] = rec.id, rec.ns, rev.num
	m["disabled"], m["deleted"] = rev.disabled, rev.deleted
	if s.tenant != "" {
		m["tenantId"] = s.tenant
	}
	if s.version.atLeast(1, 3) {
		m["updated"] = rev.updated.Format(time.RFC3339Nano)
	}
	b, err := json.Marshal(m)
	if err != nil { // fields come from YAML normalised for JSON: cannot happen
		panic("kestrafake: flow JSON: " + err.Error())
	}
	return b
}

// withSource appends "source" to a flow's JSON object.
func withSource(meta []byte, source string) []byte {
	src, _ := json.Marshal(source)
	out := make([]byte, 0, len(meta)+len(src)+12)
	out = append(out, meta[:len(meta)-1]...)
	out = append(out, `,"source":`...)
	out = append(out, src...)
	return append(out, '}')
}

func (s *Server) toFlow(rec *record, rev *revision) Flow {
	return Flow{ID: rec.id, Namespace: rec.ns, Revision: rev.num, Disabled: rev.disabled,
		Deleted: rev.deleted, TenantID: s.tenant, Source: rev.source, Updated: rev.updated}
}

// ordered returns every record sorted by namespace then id. Caller holds mu.
func (s *Server) ordered() []*record {
	if s.dirty {
		slices.SortFunc(s.sorted, func(a, b *record) int {
			if c := strings.Compare(a.ns, b.ns); c != 0 {
				return c
			}
			return strings.Compare(a.id, b.id)
		})
		s.dirty = false
	}
	return s.sorted
}

// filter selects live flows for search and export.
type filter struct {
	prefix string // namespace and its children; "" = all
	exact  string // exactly this namespace
	q      string // case-insensitive substring of id or namespace
}

func (f filter) match(rec *record) bool {
	if !rec.live() {
		return false
	}
	if f.exact != "" && rec.ns != f.exact {
		return false
	}
	if f.prefix != "" && rec.ns != f.prefix && !strings.HasPrefix(rec.ns, f.prefix+".") {
		return false
	}
	if f.q != "" {
		q := strings.ToLower(f.q)
		return strings.Contains(strings.ToLower(rec.id), q) || strings.Contains(strings.ToLower(rec.ns), q)
	}
	return true
}

// each calls fn for the live flows matching f, in order. Caller holds mu.
func (s *Server) each(f filter, fn func(*record)) {
	all := s.ordered()
	start := 0
	if from := f.prefix + f.exact; from != "" {
		start, _ = slices.BinarySearchFunc(all, from, func(r *record, ns string) int { return strings.Compare(r.ns, ns) })
	}
	for _, rec := range all[start:] {
		if from := f.prefix + f.exact; from != "" && !strings.HasPrefix(rec.ns, from) {
			break
		}
		if f.match(rec) {
			fn(rec)
		}
	}
}

// searchJSON renders one page of a search. Caller holds mu.
func (s *Server) searchJSON(f filter, page, size int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"results":[`)
	total, first := 0, (page-1)*size
	s.each(f, func(rec *record) {
		if total >= first && total < first+size {
			if total > first {
				b.WriteByte(',')
			}
			b.Write(rec.current().meta)
		}
		total++
	})
	b.WriteString(`],"total":`)
	b.WriteString(jsonInt(total))
	b.WriteByte('}')
	return b.Bytes()
}

func jsonInt(n int) string { b, _ := json.Marshal(n); return string(b) }
