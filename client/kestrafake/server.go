package kestrafake

import (
	"crypto/x509"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
)

// Mode is the server era the fake imitates.
type Mode int

const (
	// ModeTenant is OSS >= 0.23: /api/v1/main/flows; the old /api/v1/flows is
	// rewritten to it.
	ModeTenant Mode = iota
	// ModeLegacy is OSS <= 0.22: only /api/v1/flows; tenant paths 404.
	ModeLegacy
	// ModeEnterprise serves only /api/v1/{Tenant}/flows; tenant-less paths 404.
	ModeEnterprise
)

func (m Mode) String() string {
	switch m {
	case ModeTenant:
		return "tenant"
	case ModeLegacy:
		return "legacy"
	case ModeEnterprise:
		return "enterprise"
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// ParseMode reads "tenant", "legacy" or "enterprise".
func ParseMode(s string) (Mode, error) {
	for _, m := range []Mode{ModeTenant, ModeLegacy, ModeEnterprise} {
		if s == m.String() {
			return m, nil
		}
	}
	return 0, fmt.Errorf("unknown mode %q (want tenant, legacy or enterprise)", s)
}

// Naming is how export entries are named.
type Naming int

const (
	NamingAuto Naming = iota // "{ns}.{id}.yml" before 1.0, "{ns}-{id}.yml" from 1.0
	NamingDash               // "{ns}-{id}.yml" (1.x)
	NamingDot                // "{ns}.{id}.yml" (0.2x)
)

// Options configure a Server. The zero value is an open OSS 1.3 server.
type Options struct {
	Mode      Mode
	Tenant    string // ModeEnterprise: the tenant served; default "main"
	Version   string // answered by /api/v1/configs; default "1.3.0", "0.22.0" in ModeLegacy
	NoConfigs bool   // /api/v1/configs answers 404, like a server without it
	Instance  string // answered as "uuid" by /api/v1/configs; default: random, one per Server

	// Authentication is required when any is set: basic with Username and
	// Password, bearer with Token (either is accepted when both are set).
	Username, Password, Token string

	ExportNaming Naming
	TLS          bool         // serve HTTPS with httptest's self-signed certificate
	Logger       *slog.Logger // one record per request; nil = none
}

// Server is a fake Kestra. Create it with New or NewHandler (tests: kestratest.Start).
type Server struct {
	opts    Options
	tenant  string // written as tenantId; "" in ModeLegacy
	version version
	ts      *httptest.Server
	mux     *http.ServeMux

	done      chan struct{} // closed by Close: releases hanging requests
	closeOnce sync.Once

	mu        sync.Mutex // guards the store, the validator and the edit log
	flows     map[string]*record
	sorted    []*record // by namespace then id, rebuilt when dirty
	dirty     bool
	validator func(ns, id string, source []byte) string
	edits     []Edit

	fmu     sync.Mutex // guards faults and the editor; taken after mu, never before
	faults  Faults
	rng     *rand.Rand
	nFault  int // requests seen by the fault filter since SetFaults
	editor  Editor
	erng    *rand.Rand
	nEdited int

	cmu    sync.Mutex
	counts map[string]int
}

// NewHandler builds a Server without a listener, to be served by the caller
// (see cmd/kestra-fake); URL is then empty.
func NewHandler(opts Options) *Server {
	if opts.Tenant == "" {
		opts.Tenant = "main"
	}
	if opts.Instance == "" {
		opts.Instance = fmt.Sprintf("%08x-kestratest-%016x", rand.Uint32(), rand.Uint64())
	}
	if opts.Version == "" {
		opts.Version = "1.3.0"
		if opts.Mode == ModeLegacy {
			opts.Version = "0.22.0"
		}
	}
	s := &Server{
		opts:    opts,
		version: parseVersion(opts.Version),
		done:    make(chan struct{}),
		flows:   make(map[string]*record),
		counts:  make(map[string]int),
	}
	switch opts.Mode {
	case ModeTenant:
		s.tenant = "main"
	case ModeEnterprise:
		s.tenant = opts.Tenant
	}
	s.mux = s.routes()
	s.SetFaults(Faults{})
	s.SetEditor(Editor{})
	return s
}

// New starts a Server on a loopback port. Call Close when done.
func New(opts Options) *Server {
	s := NewHandler(opts)
	if opts.TLS {
		s.ts = httptest.NewTLSServer(s)
	} else {
		s.ts = httptest.NewServer(s)
	}
	return s
}

// URL is the base URL, e.g. http://127.0.0.1:41234.
func (s *Server) URL() string {
	if s.ts == nil {
		return ""
	}
	return s.ts.URL
}

// Certificate is the TLS certificate of a server started with Options.TLS.
func (s *Server) Certificate() *x509.Certificate {
	if s.ts == nil || s.ts.TLS == nil {
		return nil
	}
	return s.ts.Certificate()
}

// Close releases hanging requests and stops the listener.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.done) })
	if s.ts != nil {
		s.ts.CloseClientConnections()
		s.ts.Close()
	}
}

// Options returns the options in force (defaults applied).
func (s *Server) Options() Options { return s.opts }

// version is a parsed "major.minor.patch".
type version [3]int

func parseVersion(v string) version {
	var out version
	parts := strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3)
	for i, p := range parts {
		n, _ := strconv.Atoi(strings.TrimFunc(p, func(r rune) bool { return r < '0' || r > '9' }))
		out[i] = n
	}
	return out
}

func (v version) atLeast(major, minor int) bool {
	return v[0] > major || v[0] == major && v[1] >= minor
}

// before reports whether v is older than major.minor.patch.
func (v version) before(major, minor, patch int) bool {
	for i, n := range [3]int{major, minor, patch} {
		if v[i] != n {
			return v[i] < n
		}
	}
	return false
}
