package client

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultTimeout           = 30 * time.Second
	DefaultRetries           = 5
	DefaultRetryWaitMin      = 200 * time.Millisecond
	DefaultRetryWaitMax      = 10 * time.Second
	DefaultValidateBatchSize = 50
	DefaultPageSize          = 500
	DefaultExportEntryLimit  = 64 << 20
	DefaultMaxAnswerSize     = 64 << 20 // a 20 MB flow answers about 45 MB: its source, and its tasks parsed
	DefaultAnswerBudget      = DefaultMaxAnswerSize
	DefaultExportLimit       = 2 << 30
	DefaultBreakerThreshold  = 5
	DefaultBreakerCooldown   = 30 * time.Second
	DefaultUserAgent         = "kestra-migrator"

	// maxRetryAfter caps a server's Retry-After so a bad header cannot stall a run.
	maxRetryAfter = 60 * time.Second
)

// Config configures a Client. Only Server is required.
type Config struct {
	// Server is the base URL, e.g. http://localhost:8080; a path prefix is kept.
	// Userinfo in it is used as basic credentials when Username is empty and is
	// never shown.
	Server string
	// Tenant: "" or "auto" detects once (/api/v1/main/flows, else /api/v1/flows)
	// and sticks; "none" uses the tenant-less paths of Kestra <= 0.22; any other
	// value uses /api/v1/{Tenant}/flows.
	Tenant string

	Username, Password, PasswordFile string // basic auth
	Token, TokenFile                 string // bearer token (Enterprise)

	CAFile                string // extra CA certificates (PEM) trusted on top of the system pool
	InsecureSkipTLSVerify bool   // TLS verification is on unless this is set

	Timeout                    time.Duration // per attempt, body included; default 30s
	Retries                    int           // retries after the first attempt; 0 = default 5, negative = none
	RetryWaitMin, RetryWaitMax time.Duration // backoff bounds; defaults 200ms and 10s
	RateLimit                  float64       // requests per second over all calls; 0 = unlimited

	// BreakerThreshold: after this many attempts in a row, over all calls,
	// got no answer (connection refused or reset, nothing within Timeout, a
	// gateway's 502 or 504), every request fails at once with an error
	// matching ErrUnreachable, logged once, for BreakerCooldown; then one
	// request probes the server. 0 = default 5; negative = never.
	BreakerThreshold int
	BreakerCooldown  time.Duration // default 30s

	ValidateBatchSize int    // sources per validate request; default 50
	ExportEntryLimit  int64  // largest accepted ZIP entry in bytes; default 64 MiB
	ExportLimit       int64  // largest accepted export (spooled to TempDir) in bytes; default 2 GiB
	TempDir           string // where exports are spooled; default os.TempDir()
	// IdentifyFlow reads a flow source's top-level namespace and id without
	// a parse when it can (ok false: not sure); the export then parses only
	// the sources it cannot read. The migrator passes rewrite.FlowIdentity.
	IdentifyFlow func(src []byte) (namespace, id string, ok bool)

	// MaxAnswerSize refuses a JSON answer larger than this many bytes, with
	// an error naming the call (default 64 MiB); AnswerBudget bounds the
	// bytes of the answers being read and decoded at once, over all calls
	// (default 64 MiB, never less than MaxAnswerSize): memory stays bounded
	// whatever the server sends and however many calls are in flight.
	MaxAnswerSize, AnswerBudget int64

	Logger    *slog.Logger // nil discards; one debug record per attempt
	Observer  Observer     // optional metrics hook
	UserAgent string
}

// Observer receives one observation per HTTP attempt.
type Observer interface {
	// ObserveRequest is called when an attempt ends. endpoint is a fixed label:
	// "configs", "search", "namespaces", "get", "revision", "revisions",
	// "export", "validate", "update", "create" or "delete". code is the HTTP
	// status, 0 for a network error (including a body cut short); attempt > 1
	// means a retry.
	ObserveRequest(endpoint, method string, code int, attempt int, d time.Duration)
}

// String shows the configuration with every secret masked, so that a Config
// printed with %v or logged is safe.
func (c Config) String() string {
	return fmt.Sprintf("server=%s tenant=%q username=%q password=%s token=%s timeout=%s retries=%d",
		redactURLString(c.Server), c.Tenant, c.Username, mask(c.Password), mask(c.Token), c.Timeout, c.Retries)
}

// LogValue implements slog.LogValuer with secrets masked.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

func mask(secret string) string {
	if secret == "" {
		return `""`
	}
	return "[redacted]"
}

func (c *Config) applyDefaults() {
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	switch {
	case c.Retries == 0:
		c.Retries = DefaultRetries
	case c.Retries < 0:
		c.Retries = 0
	}
	if c.RetryWaitMin <= 0 {
		c.RetryWaitMin = DefaultRetryWaitMin
	}
	if c.RetryWaitMax <= 0 {
		c.RetryWaitMax = DefaultRetryWaitMax
	}
	if c.RetryWaitMax < c.RetryWaitMin {
		c.RetryWaitMax = c.RetryWaitMin
	}
	if c.BreakerThreshold == 0 {
		c.BreakerThreshold = DefaultBreakerThreshold
	}
	if c.BreakerCooldown <= 0 {
		c.BreakerCooldown = DefaultBreakerCooldown
	}
	if c.ValidateBatchSize <= 0 {
		c.ValidateBatchSize = DefaultValidateBatchSize
	}
	if c.ExportEntryLimit <= 0 {
		c.ExportEntryLimit = DefaultExportEntryLimit
	}
	if c.ExportLimit <= 0 {
		c.ExportLimit = DefaultExportLimit
	}
	if c.MaxAnswerSize <= 0 {
		c.MaxAnswerSize = DefaultMaxAnswerSize
	}
	if c.AnswerBudget <= 0 {
		c.AnswerBudget = max(DefaultAnswerBudget, c.MaxAnswerSize)
	}
	if c.UserAgent == "" {
		c.UserAgent = DefaultUserAgent
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// parseServer validates the base URL and splits off its userinfo.
func parseServer(raw string) (*url.URL, *url.Userinfo, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, nil, errors.New("server URL is empty")
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, nil, fmt.Errorf("invalid server URL: %w", urlParseReason(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, nil, fmt.Errorf("invalid server URL %s: scheme must be http or https", redactURLString(u.String()))
	}
	if u.Host == "" {
		return nil, nil, errors.New("invalid server URL: no host")
	}
	user := u.User
	u.User = nil
	u.RawQuery, u.Fragment = "", ""
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, user, nil
}

// authHeader builds the Authorization header value from the configuration,
// reading secret files; "" means no authentication.
func authHeader(cfg Config, userinfo *url.Userinfo) (string, error) {
	password, err := secret(cfg.Password, cfg.PasswordFile, "password")
	if err != nil {
		return "", err
	}
	token, err := secret(cfg.Token, cfg.TokenFile, "token")
	if err != nil {
		return "", err
	}
	username := cfg.Username
	if username == "" && userinfo != nil {
		username = userinfo.Username()
		if p, ok := userinfo.Password(); ok && password == "" {
			password = p
		}
	}
	switch {
	case token != "" && (username != "" || password != ""):
		return "", errors.New("auth: set either username/password (basic) or token (bearer), not both")
	case token != "":
		return "Bearer " + token, nil
	case username == "" && password == "":
		return "", nil
	case username == "" || password == "":
		return "", errors.New("auth: basic authentication needs both a username and a password")
	}
	return basicAuth(username, password), nil
}

// secret returns value, or the trimmed content of file when value is empty.
func secret(value, file, what string) (string, error) {
	if value != "" && file != "" {
		return "", fmt.Errorf("auth: set %s or %s-file, not both", what, what)
	}
	if file == "" {
		return value, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("auth: read %s file: %w", what, err)
	}
	s := strings.TrimRight(string(b), "\r\n")
	if s == "" {
		return "", fmt.Errorf("auth: %s file %s is empty", what, file)
	}
	return s, nil
}

// tlsConfig builds the client TLS settings; verification stays on unless
// explicitly skipped.
func tlsConfig(cfg Config) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls: read CA file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls: CA file %s holds no PEM certificate", cfg.CAFile)
		}
		tc.RootCAs = pool
	}
	tc.InsecureSkipVerify = cfg.InsecureSkipTLSVerify //nolint:gosec // explicit opt-in
	return tc, nil
}
