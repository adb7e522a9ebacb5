package kestrafake

import (
	"crypto/subtle"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
)

// routes registers every endpoint of docs/kestra-api.md under each flows
// base path the server's era answers. The bases are literal (no {tenant}
// wildcard): the tenant-less "/api/v1/flows/{namespace}/{id}" would conflict
// with "/api/v1/{tenant}/flows/{namespace}".
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	handle := func(pattern, endpoint string, h http.HandlerFunc) {
		mux.Handle(pattern, route{s: s, endpoint: endpoint, handler: h})
	}
	if !s.opts.NoConfigs {
		mux.Handle("GET /api/v1/configs", route{s: s, endpoint: EndpointConfigs, handler: s.handleConfigs, open: true})
	}
	for _, base := range s.flowsBases() {
		handle("POST "+base, EndpointCreate, s.handleCreate)
		handle("GET "+base+"/search", EndpointSearch, s.handleSearch)
		handle("GET "+base+"/distinct-namespaces", EndpointNamespaces, s.handleNamespaces)
		handle("POST "+base+"/validate", EndpointValidate, s.handleValidate)
		handle("GET "+base+"/export/by-query", EndpointExport, s.handleExport)
		handle("POST "+base+"/bulk", EndpointBulk, refuse)
		handle("POST "+base+"/{namespace}", EndpointNamespaceReplace, refuse)
		handle("GET "+base+"/{namespace}", EndpointList, s.handleList)
		handle("GET "+base+"/{namespace}/{id}", EndpointGet, s.handleGet) // or EndpointRevision, see route
		handle("PUT "+base+"/{namespace}/{id}", EndpointUpdate, s.handleUpdate)
		handle("DELETE "+base+"/{namespace}/{id}", EndpointDelete, s.handleDelete)
		handle("GET "+base+"/{namespace}/{id}/revisions", EndpointRevisions, s.handleRevisions)
	}
	// Everything else, instead of ServeMux's plain-text 404 and 405.
	handle("/", EndpointUnknown, s.handleUnknown)
	return mux
}

// flowsBases are the flows base paths of the server's era.
func (s *Server) flowsBases() []string {
	switch s.opts.Mode {
	case ModeLegacy:
		return []string{"/api/v1/flows"}
	case ModeTenant:
		return []string{"/api/v1/main/flows", "/api/v1/flows"} // the old path is rewritten "for now"
	case ModeEnterprise:
		return []string{"/api/v1/" + url.PathEscape(s.tenant) + "/flows"}
	}
	return nil
}

// ServeHTTP dispatches the request to its endpoint. A path that is not clean
// ("//", "/./", "/../") is answered 404, as an unknown path, where ServeMux
// would redirect: Kestra's API never redirects, and the client must not be
// taught to expect it. One trailing slash is ignored, as Micronaut does
// (micronaut-core#274) and the fake always has.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.EscapedPath()
	if p == "" || p[0] != '/' || p != cleanPath(p) {
		route{s: s, endpoint: EndpointUnknown, handler: notFound}.ServeHTTP(w, r)
		return
	}
	if len(p) > 1 && strings.HasSuffix(p, "/") {
		u := *r.URL
		u.Path, u.RawPath = strings.TrimSuffix(u.Path, "/"), strings.TrimSuffix(u.RawPath, "/")
		r = r.WithContext(r.Context()) // a shallow copy, to change its URL only
		r.URL = &u
	}
	s.mux.ServeHTTP(w, r)
}

// cleanPath is path.Clean keeping a trailing slash, as ServeMux cleans.
func cleanPath(p string) string {
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}

// route is an endpoint's handler with what every request goes through first.
type route struct {
	s        *Server
	endpoint string
	handler  http.HandlerFunc
	open     bool // served without authentication
}

// ServeHTTP counts the request, applies faults and authentication, runs the
// handler and logs the call.
func (rt route) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s, start := rt.s, time.Now()
	endpoint := rt.endpoint
	if endpoint == EndpointGet && r.URL.Query().Has("revision") {
		endpoint = EndpointRevision // same path, counted apart (the client's label too)
	}
	s.count(endpoint)
	lw := &logWriter{ResponseWriter: w}
	s.serve(lw, r, endpoint, rt)
	if s.opts.Logger != nil {
		// Never the Authorization header: only what identifies the call.
		s.opts.Logger.Info("request", slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.String("query", r.URL.RawQuery), slog.String("endpoint", endpoint),
			slog.Int("status", lw.status()), slog.Duration("duration", time.Since(start)))
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, endpoint string, rt route) {
	plan := s.planFaults(endpoint)
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
	if plan.drop || plan.truncate {
		serveBroken(w, r, rt.handler, plan.truncate)
		return
	}
	rt.handler(w, r)
}

// handleUnknown answers a method and path no endpoint serves: 405 with Allow
// when the path is served with other methods, 404 otherwise; both with
// Kestra's JSON error body.
func (s *Server) handleUnknown(w http.ResponseWriter, r *http.Request) {
	if allowed := s.allowedMethods(r); len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeJSONError(w, &apiError{status: http.StatusMethodNotAllowed, message: "Method Not Allowed"})
		return
	}
	notFound(w, r)
}

func notFound(w http.ResponseWriter, _ *http.Request) {
	writeJSONError(w, &apiError{status: http.StatusNotFound, message: "Page Not Found"})
}

// allowedMethods lists the other methods an endpoint serves r's path with.
func (s *Server) allowedMethods(r *http.Request) []string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
		probe := *r
		probe.Method = m
		if _, pattern := s.mux.Handler(&probe); m != r.Method && pattern != "" && pattern != "/" {
			out = append(out, m)
		}
	}
	return out
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
