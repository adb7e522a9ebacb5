package client

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// callInfo travels in the request context through retryablehttp's attempts,
// so the transport can label and number each one.
type callInfo struct {
	endpoint string
	attempts atomic.Int32
}

type callKey struct{}

func withCall(ctx context.Context, endpoint string) (context.Context, *callInfo) {
	info := &callInfo{endpoint: endpoint}
	return context.WithValue(ctx, callKey{}, info), info
}

// transport adds credentials, the rate limit, the per-attempt timeout, and
// observes every attempt. Credentials are set on a private clone of the
// request, so no caller, hook or dump ever sees them.
type transport struct {
	next      http.RoundTripper
	host      string // credentials go to this host only
	auth      string // Authorization header value; never logged
	userAgent string
	limiter   *rate.Limiter // nil = unlimited
	timeout   time.Duration
	log       *slog.Logger
	observer  Observer
	breaker   *breaker // nil: never stop trying
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	info, _ := req.Context().Value(callKey{}).(*callInfo)
	if info == nil {
		info = &callInfo{endpoint: "other"}
	}
	var report func(context.Context, *http.Response, error)
	if t.breaker != nil {
		var err error
		if report, err = t.breaker.allow(); err != nil {
			return nil, err // nothing sent: no attempt to count or observe
		}
	}
	attempt := int(info.attempts.Add(1))
	if t.limiter != nil {
		// Waiting here, before the attempt's timer starts, keeps a long queue
		// from eating the per-attempt timeout.
		if err := t.limiter.Wait(req.Context()); err != nil {
			if report != nil {
				report(req.Context(), nil, errExcluded) // never sent
			}
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(req.Context(), t.timeout)
	out := req.Clone(ctx)
	if t.auth != "" && out.URL.Host == t.host {
		out.Header.Set("Authorization", t.auth)
	}
	out.Header.Set("User-Agent", t.userAgent)
	a := &attemptBody{t: t, req: req, endpoint: info.endpoint, attempt: attempt,
		start: time.Now(), ctx: ctx, parent: req.Context(), cancel: cancel}
	resp, err := t.next.RoundTrip(out)
	if report != nil {
		report(req.Context(), resp, err)
	}
	if err != nil {
		err = a.timeoutCause(err)
		a.finish(0, err)
		return nil, err
	}
	a.ReadCloser, a.code = resp.Body, resp.StatusCode
	resp.Body = a
	return resp, nil
}

// attemptBody ends the attempt (timer, observation, log) when the body is
// read to the end, fails, or is closed.
type attemptBody struct {
	io.ReadCloser
	t        *transport
	req      *http.Request
	endpoint string
	attempt  int
	code     int
	start    time.Time
	ctx      context.Context
	parent   context.Context
	cancel   context.CancelFunc
	once     sync.Once
}

func (b *attemptBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	switch {
	case err == io.EOF:
		b.finish(b.code, nil)
	case err != nil:
		err = b.timeoutCause(err)
		b.finish(0, err)
	}
	return n, err
}

func (b *attemptBody) Close() error {
	err := b.ReadCloser.Close()
	b.finish(b.code, nil)
	return err
}

// timeoutCause replaces the error of an attempt stopped by its own timer
// (not by the caller's context) with a clear one.
func (b *attemptBody) timeoutCause(err error) error {
	if b.ctx.Err() != nil && b.parent.Err() == nil {
		return &TimeoutError{After: b.t.timeout}
	}
	return err
}

func (b *attemptBody) finish(code int, err error) {
	b.once.Do(func() {
		if b.cancel != nil {
			defer b.cancel()
		}
		d := time.Since(b.start)
		if b.t.observer != nil {
			b.t.observer.ObserveRequest(b.endpoint, b.req.Method, code, b.attempt, d)
		}
		attrs := []slog.Attr{
			slog.String("endpoint", b.endpoint),
			slog.String("method", b.req.Method),
			slog.String("url", b.req.URL.Redacted()),
			slog.Int("status", code),
			slog.Int("attempt", b.attempt),
			slog.Duration("duration", d),
		}
		if err != nil {
			attrs = append(attrs, slog.String("error", err.Error()))
		}
		b.t.log.LogAttrs(b.parent, slog.LevelDebug, "kestra request", attrs...)
	})
}

// TimeoutError is an attempt that got no complete answer within Config.Timeout.
type TimeoutError struct{ After time.Duration }

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("no complete answer within %s (timeout per attempt)", e.After)
}

// Timeout reports true, as net.Error does for timeouts.
func (e *TimeoutError) Timeout() bool { return true }

// Temporary reports true: a later attempt may succeed.
func (e *TimeoutError) Temporary() bool { return true }

// Is makes errors.Is(err, context.DeadlineExceeded) hold, as for net/http timeouts.
func (e *TimeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

var _ interface{ Timeout() bool } = (*TimeoutError)(nil)

func basicAuth(username, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(username+":"+password))
}
