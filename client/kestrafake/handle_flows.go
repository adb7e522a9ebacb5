package kestrafake

import (
	"bytes"
	"net/http"
	"strconv"
)

func (s *Server) handleConfigs(w http.ResponseWriter, _ *http.Request) {
	writeValue(w, map[string]any{"uuid": s.opts.Instance, "version": s.opts.Version, "isBasicAuthEnabled": s.opts.Username != ""})
}

// handleGet answers one flow, current or a given revision. A read of the
// current revision with its source may be followed by an editor edit, made
// before the (already built) answer is sent.
func (s *Server) handleGet(w http.ResponseWriter, r *http.Request) {
	ns, id := r.PathValue("namespace"), r.PathValue("id")
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

func (s *Server) handleRevisions(w http.ResponseWriter, r *http.Request) {
	var b bytes.Buffer
	b.WriteByte('[')
	s.mu.Lock()
	if rec, ok := s.flows[key(r.PathValue("namespace"), r.PathValue("id"))]; ok {
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

func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request) {
	s.handleWrite(w, r, s.create)
}

func (s *Server) handleUpdate(w http.ResponseWriter, r *http.Request) {
	ns, id := r.PathValue("namespace"), r.PathValue("id")
	s.handleWrite(w, r, func(src string) (*record, *apiError) { return s.update(ns, id, src) })
}

// handleWrite stores the YAML body with store (under mu) and answers with
// the stored flow and its source.
func (s *Server) handleWrite(w http.ResponseWriter, r *http.Request, store func(string) (*record, *apiError)) {
	src, ok := readYAML(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	rec, e := store(src)
	var body []byte
	if e == nil {
		cur := rec.current()
		body = withSource(cur.meta, cur.source)
	}
	s.mu.Unlock()
	s.answerWrite(w, body, e)
}

func (s *Server) answerWrite(w http.ResponseWriter, body []byte, e *apiError) {
	if e != nil {
		writeJSONError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, body) // 200, not 201, as Kestra
}

func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	e := s.remove(r.PathValue("namespace"), r.PathValue("id"))
	s.mu.Unlock()
	if e != nil {
		writeJSONError(w, e)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
