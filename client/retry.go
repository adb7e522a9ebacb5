package client

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// permanentError stops the retries: retrying cannot fix it.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// checkRetry retries network errors (including a body cut short), 429 and
// 5xx except 501; never other 4xx, never after the caller's context ended.
//
// Retrying writes is safe on Kestra: a PUT or POST carrying a source identical
// to the stored one adds no revision, so a repeated update is a no-op, and a
// repeated create answers 422 "already exists" (which the caller can check).
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	var perm *permanentError
	if errors.As(err, &perm) {
		return false, perm.err
	}
	if errors.Is(err, http.ErrSchemeMismatch) { // https:// to a plain HTTP server: no retry fixes it
		return false, err
	}
	if errors.Is(err, ErrUnreachable) {
		return false, err // the breaker is open: retrying cannot help before it closes
	}
	return retryablehttp.ErrorPropagatedRetryPolicy(ctx, resp, err)
}

// backoff waits exponentially longer (min·2^attempt, capped at max) with
// jitter in [d/2, d]; a Retry-After header wins, capped at maxRetryAfter.
func backoff(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if d, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return min(max(d, minWait), maxRetryAfter)
		}
	}
	d := maxWait
	if attempt < 32 && minWait<<attempt > 0 && minWait<<attempt < maxWait {
		d = minWait << attempt
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// retryAfter parses a Retry-After value: delay-seconds or an HTTP-date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0, false
		}
		return time.Duration(min(s, int(maxRetryAfter/time.Second))) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// retriedStatus reports whether checkRetry retries this status.
func retriedStatus(code int) bool {
	return code == http.StatusTooManyRequests || (code >= 500 && code != http.StatusNotImplemented)
}

// giveUpError is what the last attempt left when retries ran out on a status.
type giveUpError struct {
	status   int
	body     []byte
	header   http.Header
	attempts int
}

func (e *giveUpError) Error() string { return "giving up on status " + strconv.Itoa(e.status) }

// attemptsError is a network-level failure after the given number of attempts.
type attemptsError struct {
	attempts int
	err      error
}

func (e *attemptsError) Error() string { return e.err.Error() }
func (e *attemptsError) Unwrap() error { return e.err }

// giveUp is retryablehttp's ErrorHandler: it keeps what the caller needs to
// build a clear error (the last status and message, or the last network
// error, and the number of attempts).
func giveUp(resp *http.Response, err error, attempts int) (*http.Response, error) {
	if resp != nil {
		defer resp.Body.Close()
	}
	if resp != nil && retriedStatus(resp.StatusCode) {
		body, _ := readLimited(resp.Body, maxErrorBody)
		return nil, &giveUpError{status: resp.StatusCode, body: body, header: resp.Header, attempts: attempts}
	}
	return nil, &attemptsError{attempts: attempts, err: err}
}
