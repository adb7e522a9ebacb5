package kestratest

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeValue(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeJSONError(w, &apiError{status: http.StatusInternalServerError, message: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, b)
}

// writeJSONError writes Kestra's error body (ErrorController).
func writeJSONError(w http.ResponseWriter, e *apiError) {
	body := map[string]any{
		"message": e.message,
		"_links":  map[string]any{"self": map[string]any{"href": "", "templated": false}},
	}
	if e.path != "" {
		body["_embedded"] = map[string]any{"errors": []map[string]string{{"message": e.message, "path": e.path}}}
	}
	b, _ := json.Marshal(body)
	writeJSON(w, e.status, b)
}

func (s *Server) handleConfigs(w http.ResponseWriter, _ *http.Request) {
	writeValue(w, map[string]any{"version": s.opts.Version, "isBasicAuthEnabled": s.opts.Username != ""})
}

func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, err1 := intParam(q, "page", 1)
	size, err2 := intParam(q, "size", 10)
	if e := firstError(err1, err2, checkSort(q["sort"])); e != nil {
		writeJSONError(w, e)
		return
	}
	f, e := searchFilter(q)
	if e != nil {
		writeJSONError(w, e)
		return
	}
	s.mu.Lock()
	body := s.searchJSON(f, page, size)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

func intParam(q url.Values, name string, def int) (int, *apiError) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, &apiError{status: http.StatusBadRequest, message: "Failed to convert argument [" + name + "]"}
	}
	if n < 1 || n > 1<<30 {
		return 0, errInvalid(name+": must be greater than or equal to 1", name)
	}
	return n, nil
}

func checkSort(sorts []string) *apiError {
	for _, s := range sorts {
		if col, dir, ok := strings.Cut(s, ":"); !ok || col == "" || strings.Contains(dir, ":") {
			return errInvalid("Invalid sort parameter", "sort")
		}
	}
	return nil
}

func firstError(errs ...*apiError) *apiError {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

var filterParam = regexp.MustCompile(`^filters\[([a-zA-Z]+)\]\[([A-Z_]+)\]$`)

// searchFilter reads filters[field][OP]=value (1.x) or, when none is sent, the
// legacy namespace and q parameters.
func searchFilter(q url.Values) (filter, *apiError) {
	var f filter
	found := false
	for k, v := range q {
		m := filterParam.FindStringSubmatch(k)
		if m == nil {
			continue
		}
		found = true
		switch field, op := m[1], m[2]; {
		case field == "namespace" && (op == "PREFIX" || op == "STARTS_WITH"):
			f.prefix = v[0]
		case field == "namespace" && op == "EQUALS":
			f.exact = v[0]
		case field == "q" && op == "EQUALS":
			f.q = v[0]
		default:
			return f, &apiError{status: http.StatusBadRequest, message: "Invalid filter: " + k}
		}
	}
	if !found {
		f.prefix, f.q = q.Get("namespace"), q.Get("q")
	}
	return f, nil
}

func (s *Server) handleNamespaces(w http.ResponseWriter, r *http.Request) {
	q := strings.ToLower(r.URL.Query().Get("q"))
	out := []string{}
	s.mu.Lock()
	s.each(filter{}, func(rec *record) {
		if (len(out) == 0 || out[len(out)-1] != rec.ns) && strings.Contains(rec.ns, q) {
			out = append(out, rec.ns)
		}
	})
	s.mu.Unlock()
	writeValue(w, out)
}

func (s *Server) handleList(ns string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		var b bytes.Buffer
		b.WriteByte('[')
		s.mu.Lock()
		s.each(filter{exact: ns}, func(rec *record) {
			if b.Len() > 1 {
				b.WriteByte(',')
			}
			b.Write(rec.current().meta)
		})
		s.mu.Unlock()
		b.WriteByte(']')
		writeJSON(w, http.StatusOK, b.Bytes())
	}
}

// handleGet answers one flow, current or a given revision. A read of the
// current revision with its source may be followed by an editor edit, made
// before the (already built) answer is sent.
func (s *Server) handleGet(ns, id string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		withSrc := q.Get("source") == "true"
		s.mu.Lock()
		body, e := s.getJSON(ns, id, q.Get("revision"), withSrc, q.Get("allowDeleted") == "true")
		s.mu.Unlock()
		if e != nil {
			writeJSONError(w, e)
			return
		}
		writeJSON(w, http.StatusOK, body)
	}
}

// getJSON renders a flow read. Caller holds mu.
func (s *Server) getJSON(ns, id, revParam string, withSrc, allowDeleted bool) ([]byte, *apiError) {
	rec, ok := s.flows[key(ns, id)]
	if !ok || (!allowDeleted && !rec.live() && revParam == "") {
		return nil, errNotFound(ns, id)
	}
	rev := rec.current()
	if revParam != "" {
		n, err := strconv.Atoi(revParam)
		rev = nil
		for _, cand := range rec.revs {
			if err == nil && cand.num == n && (!cand.deleted || allowDeleted) {
				rev = cand
			}
		}
		if rev == nil {
			return nil, errNotFound(ns, id)
		}
	}
	if !withSrc {
		return rev.meta, nil
	}
	body := withSource(rev.meta, rev.source)
	if revParam == "" {
		s.maybeEdit(rec, false)
	}
	return body, nil
}

func (s *Server) handleRevisions(ns, id string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		var b bytes.Buffer
		b.WriteByte('[')
		s.mu.Lock()
		if rec, ok := s.flows[key(ns, id)]; ok {
			for _, rev := range rec.revs {
				if rev.deleted {
					continue
				}
				if b.Len() > 1 {
					b.WriteByte(',')
				}
				b.Write(withSource(rev.meta, rev.source))
			}
		}
		s.mu.Unlock()
		b.WriteByte(']')
		writeJSON(w, http.StatusOK, b.Bytes())
	}
}

// readYAML reads a flow body; Kestra routes only application/x-yaml to the
// YAML endpoints.
func readYAML(w http.ResponseWriter, r *http.Request) (string, bool) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-yaml" && mt != "application/yaml" {
		writeJSONError(w, &apiError{status: http.StatusUnsupportedMediaType,
			message: "Content Type [" + r.Header.Get("Content-Type") + "] not allowed. Allowed types: [application/x-yaml]"})
		return "", false
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		writeJSONError(w, &apiError{status: http.StatusBadRequest, message: "read body: " + err.Error()})
		return "", false
	}
	return string(b), true
}

func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request) {
	src, ok := readYAML(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	rec, e := s.create(src)
	var body []byte
	if e == nil {
		cur := rec.current()
		body = withSource(cur.meta, cur.source)
	}
	s.mu.Unlock()
	s.answerWrite(w, body, e)
}

func (s *Server) handleUpdate(ns, id string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		src, ok := readYAML(w, r)
		if !ok {
			return
		}
		s.mu.Lock()
		rec, e := s.update(ns, id, src)
		var body []byte
		if e == nil {
			cur := rec.current()
			body = withSource(cur.meta, cur.source)
		}
		s.mu.Unlock()
		s.answerWrite(w, body, e)
	}
}

func (s *Server) answerWrite(w http.ResponseWriter, body []byte, e *apiError) {
	if e != nil {
		writeJSONError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, body) // 200, not 201, as Kestra
}

func (s *Server) handleDelete(ns, id string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		s.mu.Lock()
		e := s.remove(ns, id)
		s.mu.Unlock()
		if e != nil {
			writeJSONError(w, e)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Server) handleExport(w http.ResponseWriter, r *http.Request) {
	f, e := searchFilter(r.URL.Query())
	if e != nil {
		writeJSONError(w, e)
		return
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	s.mu.Lock()
	var err error
	s.each(f, func(rec *record) {
		if err == nil {
			err = s.zipEntry(zw, rec)
			s.maybeEdit(rec, true)
		}
	})
	s.mu.Unlock()
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		writeJSONError(w, &apiError{status: http.StatusInternalServerError, message: err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="flows.zip"`)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) zipEntry(zw *zip.Writer, rec *record) error {
	sep := "-"
	if s.opts.ExportNaming == NamingDot || s.opts.ExportNaming == NamingAuto && !s.version.atLeast(1, 0) {
		sep = "."
	}
	fw, err := zw.Create(rec.ns + sep + rec.id + ".yml")
	if err != nil {
		return err
	}
	_, err = io.WriteString(fw, rec.current().source)
	return err
}

// splitRegexp is Kestra's document split for the validate endpoint.
var splitRegexp = regexp.MustCompile(`\n+---\n*?`)

// splitLikeJava splits as Java's String.split: trailing empty strings dropped.
func splitLikeJava(body string) []string {
	parts := splitRegexp.Split(body, -1)
	for len(parts) > 1 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

func (s *Server) handleValidate(w http.ResponseWriter, r *http.Request) {
	body, ok := readYAML(w, r)
	if !ok {
		return
	}
	docs := splitLikeJava(strings.TrimSpace(body))
	out := make([]map[string]any, 0, len(docs))
	s.mu.Lock()
	for i, doc := range docs {
		out = append(out, s.validateOne(i, doc))
	}
	s.mu.Unlock()
	writeValue(w, out)
}

// validateOne is one ValidateConstraintViolation. Caller holds mu.
func (s *Server) validateOne(i int, doc string) map[string]any {
	c := s.check(doc)
	v := map[string]any{"index": i, "outdated": false}
	if c.constraints != "" {
		v["constraints"] = c.constraints
	}
	if !c.parsed {
		return v
	}
	v["flow"], v["namespace"] = c.id, c.namespace
	v["deprecationPaths"] = nonNil(c.deprecations)
	v["warnings"] = []string{}
	if s.version.atLeast(0, 20) {
		v["infos"] = []string{}
	}
	if c.revision != 0 {
		next := 1
		if rec, ok := s.flows[key(c.namespace, c.id)]; ok {
			next = rec.current().num + 1
		}
		v["outdated"] = c.revision != next
	}
	return v
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
