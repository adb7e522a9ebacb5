package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
)

func TestRetrySucceedsAfter503s(t *testing.T) {
	rec := &recorder{}
	s, c := startPair(t, kestratest.Options{}, func(cfg *client.Config) { cfg.Tenant = "main"; cfg.Observer = rec })
	kestratest.MustAdd(t, s, flowSrc("company", "etl"))
	s.SetFaults(kestratest.Faults{Initial503: 3})
	f, err := c.Flow(context.Background(), "company", "etl")
	if err != nil || f.ID != "etl" {
		t.Fatalf("Flow = %+v, %v", f, err)
	}
	want := []observation{
		{"get", "GET", 503, 1}, {"get", "GET", 503, 2}, {"get", "GET", 503, 3}, {"get", "GET", 200, 4},
	}
	if diff := cmp.Diff(want, rec.all()); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
}

func TestRetryHonoursRetryAfterOn429(t *testing.T) {
	s, c := startPair(t, kestratest.Options{}, func(cfg *client.Config) { cfg.Tenant = "main" })
	kestratest.MustAdd(t, s, flowSrc("company", "etl"))
	s.SetFaults(kestratest.Faults{Every429: 2, RetryAfter: time.Second})
	ctx := context.Background()
	if _, err := c.Flow(ctx, "company", "etl"); err != nil { // request 1: answered
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := c.Flow(ctx, "company", "etl"); err != nil { // request 2: 429, then 3: answered
		t.Fatal(err)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("retried after %s, want >= Retry-After (1s)", d)
	}
	if n := s.RequestCount(kestratest.EndpointGet); n != 3 {
		t.Errorf("get requests = %d, want 3", n)
	}
}

func TestRetryGivesUpWithAClearError(t *testing.T) {
	for _, tt := range []struct {
		name   string
		faults kestratest.Faults
		status int
	}{
		{"503", kestratest.Faults{Rate503: 1}, 503},
		{"429", kestratest.Faults{Every429: 1}, 429},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, c := startPair(t, kestratest.Options{}, func(cfg *client.Config) { cfg.Tenant = "main"; cfg.Retries = 2 })
			s.SetFaults(tt.faults)
			_, err := c.Flow(context.Background(), "company", "etl")
			var ae *client.APIError
			if !errors.As(err, &ae) || ae.Status != tt.status || ae.Attempts != 3 {
				t.Fatalf("err = %#v", err)
			}
			msg := err.Error()
			for _, part := range []string{"get company/etl", fmt.Sprint(tt.status), "after 3 attempts", "kestrafake fault"} {
				if !strings.Contains(msg, part) {
					t.Errorf("error %q lacks %q", msg, part)
				}
			}
			if n := s.RequestCount(kestratest.EndpointGet); n != 3 {
				t.Errorf("requests = %d, want 3", n)
			}
		})
	}
}

func TestNoRetryOnClientErrors(t *testing.T) {
	s, c := startPair(t, kestratest.Options{}, func(cfg *client.Config) { cfg.Tenant = "main" })
	kestratest.MustAdd(t, s, flowSrc("company", "etl"))
	ctx := context.Background()
	_, err := c.UpdateFlow(ctx, "company", "etl", []byte(flowSrc("company", "renamed")))
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.Status != 422 || ae.Message != "Illegal flow id update" || len(ae.Violations) != 1 {
		t.Fatalf("err = %#v", err)
	}
	if want := "update company/etl: 422 Unprocessable Entity: Illegal flow id update"; err.Error() != want {
		t.Errorf("message %q, want %q", err.Error(), want)
	}
	if _, err := c.Flow(ctx, "company", "missing"); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("missing flow: %v", err)
	}
	if got := s.Requests(); got[kestratest.EndpointUpdate] != 1 || got[kestratest.EndpointGet] != 1 {
		t.Errorf("requests = %v, want one each", got)
	}
}

func TestUnauthorizedIsClear(t *testing.T) {
	s, c := startPair(t, kestratest.Options{Username: "admin@kestra.io", Password: "right"}, func(cfg *client.Config) {
		cfg.Tenant = "main"
		cfg.Username, cfg.Password = "admin@kestra.io", "wrong"
	})
	_, err := c.Namespaces(context.Background())
	if !errors.Is(err, client.ErrUnauthorized) || !strings.Contains(err.Error(), "namespaces: 401 Unauthorized: authentication refused") {
		t.Errorf("err = %v", err)
	}
	if n := s.RequestCount(kestratest.EndpointNamespaces); n != 1 {
		t.Errorf("401 retried: %d requests", n)
	}
}

func TestHangingServerTimesOut(t *testing.T) {
	s, c := startPair(t, kestratest.Options{}, func(cfg *client.Config) {
		cfg.Tenant = "main"
		cfg.Timeout = 100 * time.Millisecond
		cfg.Retries = 1
	})
	s.SetFaults(kestratest.Faults{Hang: true})
	_, err := c.Namespaces(context.Background())
	var te *client.TimeoutError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "giving up after 2 attempts") ||
		!strings.Contains(err.Error(), "timeout per attempt") || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v", err) // returning at all proves the attempts ended: no wall-clock bound
	}
}

func TestCallerContextStopsAHangingCall(t *testing.T) {
	s, c := startPair(t, kestratest.Options{}, func(cfg *client.Config) { cfg.Tenant = "main"; cfg.Timeout = time.Minute })
	s.SetFaults(kestratest.Faults{Hang: true})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.Flow(ctx, "company", "etl") // its timeout is a minute: returning proves the context stopped it
	if !errors.Is(err, context.DeadlineExceeded) || !strings.HasPrefix(err.Error(), "get company/etl: ") {
		t.Errorf("err = %v", err)
	}
	if n := s.RequestCount(kestratest.EndpointGet); n != 1 {
		t.Errorf("retried after the caller gave up: %d requests", n)
	}
}

// TestTruncatedAnswerIsAnErrorNamingTheCall: JSON cut short (with a matching
// Content-Length) is retried like a dropped connection, then reported.
func TestTruncatedAnswerIsAnErrorNamingTheCall(t *testing.T) {
	s, c := startPair(t, kestratest.Options{}, func(cfg *client.Config) { cfg.Tenant = "main" })
	kestratest.MustAdd(t, s, flowSrc("company", "etl"))
	s.SetFaults(kestratest.Faults{TruncateRate: 1})
	ctx := context.Background()
	if _, err := c.Flow(ctx, "company", "etl"); err == nil || !strings.Contains(err.Error(), "get company/etl: giving up after") ||
		!strings.Contains(err.Error(), "JSON cut short") {
		t.Errorf("Flow: %v", err)
	}
	if n := s.RequestCount(kestratest.EndpointGet); n < 2 {
		t.Errorf("a truncated answer was not retried (%d requests)", n)
	}
	for _, err := range c.SearchFlows(ctx, client.SearchQuery{}) {
		if err == nil || !strings.Contains(err.Error(), `search namespace "" page 1: giving up after`) {
			t.Errorf("SearchFlows: %v", err)
		}
	}
	err := c.ExportNamespace(ctx, "company", func(client.ExportedFlow) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "export namespace company: giving up after") || !strings.Contains(err.Error(), "read ZIP") {
		t.Errorf("ExportNamespace: %v", err)
	}
}

func TestDroppedConnectionsAreRetried(t *testing.T) {
	s, c := startPair(t, kestratest.Options{}, func(cfg *client.Config) { cfg.Tenant = "main"; cfg.Retries = 10 })
	for i := range 20 {
		kestratest.MustAdd(t, s, flowSrc("company", fmt.Sprintf("f%02d", i)))
	}
	s.SetFaults(kestratest.Faults{DropRate: 0.5, Seed: 3})
	ctx := context.Background()
	for i := range 20 {
		id := fmt.Sprintf("f%02d", i)
		f, err := c.UpdateFlow(ctx, "company", id, []byte(flowSrc("company", id)+"# v2\n"))
		if err != nil || f.Revision != 2 {
			t.Fatalf("UpdateFlow %s = %+v, %v", id, f, err)
		}
	}
	if n := s.RequestCount(kestratest.EndpointUpdate); n <= 20 {
		t.Fatalf("no update was dropped (%d requests): the test proves nothing", n)
	}
	// A dropped PUT was applied before its answer was lost; the retry sent the
	// same source, which Kestra stores without a new revision.
	for _, f := range s.Flows() {
		if f.Revision != 2 {
			t.Errorf("%s at revision %d, want 2", f.ID, f.Revision)
		}
	}
}

func TestDroppedConnectionsGiveUp(t *testing.T) {
	s, c := startPair(t, kestratest.Options{}, func(cfg *client.Config) { cfg.Tenant = "main"; cfg.Retries = 2 })
	kestratest.MustAdd(t, s, flowSrc("company", "etl"))
	s.SetFaults(kestratest.Faults{DropRate: 1})
	_, err := c.Flow(context.Background(), "company", "etl")
	if err == nil || !strings.Contains(err.Error(), "get company/etl: giving up after 3 attempts") ||
		!strings.Contains(err.Error(), "unexpected EOF") {
		t.Errorf("err = %v", err)
	}
}

func TestNonJSONAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html><body>Login</body></html>"))
	}))
	defer srv.Close()
	c := newClient(t, client.Config{Server: srv.URL, Tenant: "main"})
	_, err := c.Namespaces(context.Background())
	if err == nil || !strings.Contains(err.Error(), "namespaces: decode answer of 31 bytes (HTML, not JSON") {
		t.Errorf("err = %v", err)
	}
}

func TestRateLimit(t *testing.T) {
	_, c := startPair(t, kestratest.Options{}, func(cfg *client.Config) { cfg.Tenant = "main"; cfg.RateLimit = 20 })
	start := time.Now()
	for range 6 {
		if _, err := c.Namespaces(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	// The limiter spaces requests evenly (burst 1): at least 5 intervals of 50ms.
	if d := time.Since(start); d < 240*time.Millisecond {
		t.Errorf("6 requests at 20/s took %s", d)
	}
}
