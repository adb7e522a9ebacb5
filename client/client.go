package client

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/time/rate"
)

// Client calls one Kestra server. It is safe for concurrent use.
type Client struct {
	cfg  Config
	base *url.URL // no userinfo, no trailing slash
	hc   *retryablehttp.Client

	tenantMu    sync.Mutex
	tenantKnown bool
	tenant      string

	versionMu sync.Mutex
	serverCfg *serverConfigs // /api/v1/configs, once read

	noSort atomic.Bool // the server refused search's sort parameter

	limits *answerLimits
}

var tenantPattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_-]*$`)

// New checks cfg, reads the password and token files, and builds a Client.
// It makes no request.
func New(cfg Config) (*Client, error) {
	cfg.applyDefaults()
	base, userinfo, err := parseServer(cfg.Server)
	if err != nil {
		return nil, err
	}
	auth, err := authHeader(cfg, userinfo)
	if err != nil {
		return nil, err
	}
	switch cfg.Tenant {
	case "", "auto", "none":
	default:
		if !tenantPattern.MatchString(cfg.Tenant) {
			return nil, fmt.Errorf("invalid tenant %q", cfg.Tenant)
		}
	}
	tc, err := tlsConfig(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.InsecureSkipTLSVerify {
		cfg.Logger.Warn("TLS certificate verification is disabled", "server", base.Redacted())
	}
	ht := http.DefaultTransport.(*http.Transport).Clone()
	ht.TLSClientConfig = tc
	ht.MaxIdleConnsPerHost = 32
	tr := &transport{next: ht, host: base.Host, auth: auth, userAgent: cfg.UserAgent,
		timeout: cfg.Timeout, log: cfg.Logger, observer: cfg.Observer}
	if cfg.BreakerThreshold > 0 {
		tr.breaker = newBreaker(base.Redacted(), cfg.BreakerThreshold, cfg.BreakerCooldown, cfg.Logger)
	}
	if cfg.RateLimit > 0 {
		// Burst 1: requests are spaced evenly rather than sent in bursts.
		tr.limiter = rate.NewLimiter(rate.Limit(cfg.RateLimit), 1)
	}
	hc := &http.Client{
		Transport: tr,
		// Kestra's API does not redirect; following one would be a
		// misconfiguration at best, so the 3xx is reported instead.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &Client{cfg: cfg, base: base, limits: newAnswerLimits(cfg.MaxAnswerSize, cfg.AnswerBudget), hc: &retryablehttp.Client{
		HTTPClient:   hc,
		RetryWaitMin: cfg.RetryWaitMin,
		RetryWaitMax: cfg.RetryWaitMax,
		RetryMax:     cfg.Retries,
		CheckRetry:   checkRetry,
		Backoff:      backoff,
		ErrorHandler: giveUp,
	}}, nil
}

// Server is the server URL without credentials, safe to show.
func (c *Client) Server() string { return c.base.String() }
