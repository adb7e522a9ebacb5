package kestrafake

import (
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// route is a request matched to an endpoint.
type route struct {
	endpoint string
	handler  http.HandlerFunc // nil: 404 (or 405 when allowed is set)
	allowed  string
	open     bool // served without authentication
}

// ServeHTTP counts the request, applies faults and authentication, and
// dispatches it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rt := s.route(r)
	s.count(rt.endpoint)
	lw := &logWriter{ResponseWriter: w}
	s.serve(lw, r, rt)
	if s.opts.Logger != nil {
		// Never the Authorization header: only what identifies the call.
		s.opts.Logger.Info("request", slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.String("query", r.URL.RawQuery), slog.String("endpoint", rt.endpoint),
			slog.Int("status", lw.status()), slog.Duration("duration", time.Since(start)))
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, rt route) {
	plan := s.planFaults(rt.endpoint)
	if !s.wait(r, plan) {
		return
	}
	if plan.status != 0 {
		writeFaultStatus(w, plan)
		return
	}
	if !rt.open && !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="Kestra"`)
		w.WriteHeader(http.StatusUnauthorized) // empty body, as Kestra
		return
	}
	switch {
	case rt.handler == nil && rt.allowed != "":
		w.Header().Set("Allow", rt.allowed)
		writeJSONError(w, &apiError{status: http.StatusMethodNotAllowed, message: "Method Not Allowed"})
	case rt.handler == nil:
		writeJSONError(w, &apiError{status: http.StatusNotFound, message: "Page Not Found"})
	case plan.drop || plan.truncate:
		serveBroken(w, r, rt.handler, plan.truncate)
	default:
		rt.handler(w, r)
	}
}

func (s *Server) authorized(r *http.Request) bool {
	o := s.opts
	if o.Username == "" && o.Password == "" && o.Token == "" {
		return true
	}
	if u, p, ok := r.BasicAuth(); ok && (o.Username != "" || o.Password != "") {
		return eq(u, o.Username) && eq(p, o.Password)
	}
	if h := r.Header.Get("Authorization"); o.Token != "" && strings.HasPrefix(h, "Bearer ") {
		return eq(strings.TrimPrefix(h, "Bearer "), o.Token)
	}
	return false
}

func eq(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// flowsRest strips the flows base path of the server's era from path.
func (s *Server) flowsRest(path string) (string, bool) {
	var prefixes []string
	switch s.opts.Mode {
	case ModeLegacy:
		prefixes = []string{"/api/v1/flows"}
	case ModeTenant:
		prefixes = []string{"/api/v1/main/flows", "/api/v1/flows"} // the old path is rewritten
	case ModeEnterprise:
		prefixes = []string{"/api/v1/" + s.tenant + "/flows"}
	}
	for _, p := range prefixes {
		if rest, ok := strings.CutPrefix(path, p); ok && (rest == "" || rest[0] == '/') {
			return strings.Trim(rest, "/"), true
		}
	}
	return "", false
}

func (s *Server) route(r *http.Request) route {
	if r.URL.Path == "/api/v1/configs" && !s.opts.NoConfigs {
		return method(r, http.MethodGet, route{endpoint: EndpointConfigs, handler: s.handleConfigs, open: true})
	}
	rest, ok := s.flowsRest(r.URL.Path)
	if !ok {
		return route{endpoint: EndpointUnknown}
	}
	var seg []string
	if rest != "" {
		seg = strings.Split(rest, "/")
	}
	switch {
	case len(seg) == 0:
		return method(r, http.MethodPost, route{endpoint: EndpointCreate, handler: s.handleCreate})
	case len(seg) == 1 && seg[0] == "search":
		return method(r, http.MethodGet, route{endpoint: EndpointSearch, handler: s.handleSearch})
	case len(seg) == 1 && seg[0] == "distinct-namespaces":
		return method(r, http.MethodGet, route{endpoint: EndpointNamespaces, handler: s.handleNamespaces})
	case len(seg) == 1 && seg[0] == "validate":
		return method(r, http.MethodPost, route{endpoint: EndpointValidate, handler: s.handleValidate})
	case len(seg) == 1 && seg[0] == "bulk":
		return route{endpoint: EndpointBulk, handler: refuse}
	case len(seg) == 2 && seg[0] == "export" && seg[1] == "by-query":
		return method(r, http.MethodGet, route{endpoint: EndpointExport, handler: s.handleExport})
	case len(seg) == 1 && r.Method == http.MethodPost:
		return route{endpoint: EndpointNamespaceReplace, handler: refuse}
	case len(seg) == 1:
		return method(r, http.MethodGet, route{endpoint: EndpointList, handler: s.handleList(seg[0])})
	case len(seg) == 2:
		return s.flowRoute(r, seg[0], seg[1])
	case len(seg) == 3 && seg[2] == "revisions":
		return method(r, http.MethodGet, route{endpoint: EndpointRevisions, handler: s.handleRevisions(seg[0], seg[1])})
	}
	return route{endpoint: EndpointUnknown}
}

func (s *Server) flowRoute(r *http.Request, ns, id string) route {
	switch r.Method {
	case http.MethodGet:
		if r.URL.Query().Has("revision") {
			return route{endpoint: EndpointRevision, handler: s.handleGet(ns, id)}
		}
		return route{endpoint: EndpointGet, handler: s.handleGet(ns, id)}
	case http.MethodPut:
		return route{endpoint: EndpointUpdate, handler: s.handleUpdate(ns, id)}
	case http.MethodDelete:
		return route{endpoint: EndpointDelete, handler: s.handleDelete(ns, id)}
	}
	return route{endpoint: EndpointUnknown, allowed: "GET, PUT, DELETE"}
}

// method keeps rt only for the expected method; otherwise 405.
func method(r *http.Request, want string, rt route) route {
	if r.Method == want {
		return rt
	}
	return route{endpoint: rt.endpoint, allowed: want, open: rt.open}
}

// refuse answers the bulk and namespace-replace endpoints, which a migrator
// must never call (their default delete=true removes unlisted flows).
func refuse(w http.ResponseWriter, _ *http.Request) {
	writeJSONError(w, &apiError{status: http.StatusNotImplemented,
		message: "kestrafake: bulk and namespace-replace endpoints are deliberately not implemented"})
}

// logWriter records the status for the request log and keeps Hijack.
type logWriter struct {
	http.ResponseWriter
	code int
}

func (l *logWriter) WriteHeader(code int) {
	if l.code == 0 {
		l.code = code
	}
	l.ResponseWriter.WriteHeader(code)
}

func (l *logWriter) Write(b []byte) (int, error) {
	if l.code == 0 {
		l.code = http.StatusOK
	}
	return l.ResponseWriter.Write(b)
}

func (l *logWriter) status() int { return l.code }

func (l *logWriter) Unwrap() http.ResponseWriter { return l.ResponseWriter }
