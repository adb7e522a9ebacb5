package kestrafake

import (
	"bytes"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

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

func (s *Server) handleList(w http.ResponseWriter, r *http.Request) {
	var b bytes.Buffer
	b.WriteByte('[')
	s.mu.Lock()
	s.each(filter{exact: r.PathValue("namespace")}, func(rec *record) {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.Write(rec.current().meta)
	})
	s.mu.Unlock()
	b.WriteByte(']')
	writeJSON(w, http.StatusOK, b.Bytes())
}
