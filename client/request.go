package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/hashicorp/go-retryablehttp"
)

const maxErrorBody = 64 << 10 // error answers are short

// request is one API call.
type request struct {
	call        string // what is being done, for errors: "update company.team/etl"
	endpoint    string // fixed Observer label
	method      string
	path        string // below the server URL, e.g. /api/v1/main/flows/search
	query       url.Values
	body        []byte
	contentType string
}

// do sends r. A 2xx answer's body is handed to read inside the retry loop, so
// a body cut short is retried like any network error; read must start afresh
// on each call. Other answers become an *APIError.
func (c *Client) do(ctx context.Context, r request, read func(io.Reader) error) error {
	u := *c.base
	u.Path = c.base.Path + r.path
	u.RawQuery = r.query.Encode()
	ctx, info := withCall(ctx, r.endpoint)
	var body any
	if r.body != nil {
		body = r.body
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, r.method, u.String(), body)
	if err != nil {
		return fmt.Errorf("%s: %w", r.call, err)
	}
	req.Header.Set("Accept", "application/json")
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	var apiErr *APIError
	req.SetResponseHandler(func(resp *http.Response) error {
		defer resp.Body.Close()
		apiErr = nil
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return read(sizedBody{resp.Body, resp.ContentLength})
		}
		b, err := readLimited(resp.Body, maxErrorBody)
		if err != nil {
			return err
		}
		apiErr = newAPIError(r.call, resp.StatusCode, b, resp.Header)
		return nil
	})
	resp, err := c.hc.Do(req)
	if err != nil {
		return c.callError(ctx, r.call, err)
	}
	resp.Body.Close()
	if apiErr != nil {
		apiErr.Attempts = int(info.attempts.Load())
		return apiErr
	}
	return nil
}

// callError turns what retryablehttp returned into an error naming the call.
func (c *Client) callError(ctx context.Context, call string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", call, context.Cause(ctx))
	}
	var gu *giveUpError
	if errors.As(err, &gu) {
		e := newAPIError(call, gu.status, gu.body, gu.header)
		e.Attempts = gu.attempts
		return e
	}
	var ae *attemptsError
	if errors.As(err, &ae) && ae.attempts > 1 {
		return fmt.Errorf("%s: giving up after %d attempts: %w", call, ae.attempts, ae.err)
	}
	return fmt.Errorf("%s: %w", call, err)
}

// getJSON sends r and decodes a JSON answer into out. The answer is checked
// inside the retry loop: JSON cut short (a proxy that closed early but sent a
// matching Content-Length) is retried like a dropped connection; an answer
// that is not JSON at all (HTML from a proxy, a wrong URL) is not.
func (c *Client) getJSON(ctx context.Context, r request, out any) error {
	return c.do(ctx, r, func(body io.Reader) error {
		buf, release, err := c.limits.read(ctx, body)
		if err != nil {
			return err
		}
		defer release()
		if err := checkJSON(buf); err != nil {
			return err
		}
		if err := json.Unmarshal(buf, out); err != nil {
			return &permanentError{fmt.Errorf("decode answer of %d bytes: %w", len(buf), err)}
		}
		return nil
	})
}

// checkJSON tells JSON cut short (retried) from an answer that is not JSON
// or cannot be decoded (not retried).
func checkJSON(buf []byte) error {
	var raw json.RawMessage
	err := json.Unmarshal(buf, &raw)
	if err == nil {
		return nil
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) && syn.Offset == int64(len(buf)) && len(bytes.TrimSpace(buf)) > 0 {
		return fmt.Errorf("decode answer of %d bytes: JSON cut short: %w", len(buf), err)
	}
	hint := ""
	if t := strings.TrimSpace(string(buf[:min(len(buf), 64)])); strings.HasPrefix(t, "<") {
		hint = " (HTML, not JSON: does server point at Kestra's API?)"
	}
	return &permanentError{fmt.Errorf("decode answer of %d bytes%s: %w", len(buf), hint, err)}
}

// readLimited reads r to the end; more than limit bytes is a permanent error.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, &permanentError{fmt.Errorf("answer larger than %d bytes", limit)}
	}
	return b, nil
}
