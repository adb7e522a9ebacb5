package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// scriptedServer answers each attempt as told: an error (no answer), or a status.
type scriptedServer struct {
	mu       sync.Mutex
	down     bool
	status   int
	attempts int
}

func (s *scriptedServer) RoundTrip(*http.Request) (*http.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts++
	if s.down {
		return nil, errors.New("connection refused")
	}
	return &http.Response{StatusCode: s.status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`["a"]`))}, nil
}

func (s *scriptedServer) set(down bool, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down, s.status = down, status
}

func (s *scriptedServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

func scriptedClient(t *testing.T, srv *scriptedServer) *Client {
	t.Helper()
	c, err := New(Config{Server: "http://kestra.test", Tenant: "main", Retries: -1, BreakerThreshold: 3, BreakerCooldown: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	c.hc.HTTPClient.Transport.(*transport).next = srv
	return c
}

// TestBreakerProbesAfterItsCooldown: open, requests fail without being
// sent; after the cooldown one request probes, and an answer closes it.
func TestBreakerProbesAfterItsCooldown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := &scriptedServer{down: true}
		c := scriptedClient(t, srv)
		ctx := context.Background()
		for range 3 {
			_, _ = c.Namespaces(ctx)
		}
		if _, err := c.Namespaces(ctx); !errors.Is(err, ErrUnreachable) || srv.count() != 3 {
			t.Fatalf("after 3 failures: %v, %d attempts; want ErrUnreachable and no 4th attempt", err, srv.count())
		}
		srv.set(false, 200)
		time.Sleep(59 * time.Second)
		if _, err := c.Namespaces(ctx); !errors.Is(err, ErrUnreachable) {
			t.Fatalf("within the cooldown: %v", err)
		}
		time.Sleep(2 * time.Second)
		if ns, err := c.Namespaces(ctx); err != nil || len(ns) != 1 {
			t.Fatalf("the probe after the cooldown: %v, %v", ns, err)
		}
		if _, err := c.Namespaces(ctx); err != nil {
			t.Fatalf("closed again: %v", err)
		}
	})
}

// TestBreakerCountsOnlyAttemptsInARow: an answer in between resets the
// count; a gateway's 502 counts as no answer, a 503 (Kestra's or a proxy's
// "busy") does not.
func TestBreakerCountsOnlyAttemptsInARow(t *testing.T) {
	srv := &scriptedServer{}
	c := scriptedClient(t, srv)
	ctx := context.Background()
	for _, step := range []struct {
		down   bool
		status int
	}{{true, 0}, {true, 0}, {false, 200}, {true, 0}, {true, 0}, {false, 503}, {false, 503}, {false, 503}, {true, 0}} {
		srv.set(step.down, step.status)
		if _, err := c.Namespaces(ctx); errors.Is(err, ErrUnreachable) {
			t.Fatalf("opened by failures that were not in a row: %v", err)
		}
	}
	srv.set(false, 502)
	_, _ = c.Namespaces(ctx) // the second in a row
	_, _ = c.Namespaces(ctx) // the third
	if _, err := c.Namespaces(ctx); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("after no answer, 502, 502: %v, want ErrUnreachable", err)
	}
}

// TestCallerCancellationDoesNotCount: a caller giving up says nothing
// about the server.
func TestCallerCancellationDoesNotCount(t *testing.T) {
	srv := &scriptedServer{down: true}
	c := scriptedClient(t, srv)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 10 {
		if _, err := c.Namespaces(ctx); errors.Is(err, ErrUnreachable) {
			t.Fatalf("cancelled calls opened the breaker: %v", err)
		}
	}
}
