package client_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/client/kestrafake"
	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
)

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDeadServerFailsFast: once the server stopped answering, a short run
// of failed attempts opens the breaker; every later call fails at once with
// ErrUnreachable instead of retrying in turn, and it is logged once.
func TestDeadServerFailsFast(t *testing.T) {
	s := kestrafake.New(kestrafake.Options{})
	url := s.URL()
	s.Close() // connections are refused from now on
	var logs syncBuffer
	rec := &recorder{}
	cfg := fastConfig(url)
	cfg.Tenant, cfg.Retries, cfg.Observer = "main", 8, rec
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	c := newClient(t, cfg)
	for i := range 20 {
		_, err := c.Flow(context.Background(), "company", "etl")
		if !errors.Is(err, client.ErrUnreachable) {
			t.Fatalf("call %d: %v, want ErrUnreachable", i, err)
		}
		if i == 0 && (!strings.Contains(err.Error(), "get company/etl") || !strings.Contains(err.Error(), "5 attempts in a row")) {
			t.Errorf("the error does not name the call and the failures: %v", err)
		}
	}
	if n := len(rec.all()); n != client.DefaultBreakerThreshold {
		t.Errorf("%d attempts over 20 calls, want %d: later calls must not be sent", n, client.DefaultBreakerThreshold)
	}
	if n := strings.Count(logs.String(), "unreachable"); n != 1 {
		t.Errorf("logged %d times that the server is unreachable, want once:\n%s", n, logs.String())
	}
}

// TestBreakerCanBeTurnedOff: a negative threshold retries every call in full.
func TestBreakerCanBeTurnedOff(t *testing.T) {
	s := kestrafake.New(kestrafake.Options{})
	url := s.URL()
	s.Close()
	rec := &recorder{}
	cfg := fastConfig(url)
	cfg.Tenant, cfg.Retries, cfg.Observer, cfg.BreakerThreshold = "main", 2, rec, -1
	c := newClient(t, cfg)
	for range 3 {
		if _, err := c.Flow(context.Background(), "company", "etl"); err == nil || errors.Is(err, client.ErrUnreachable) {
			t.Fatalf("err = %v, want the connection error itself", err)
		}
	}
	if n := len(rec.all()); n != 9 {
		t.Errorf("%d attempts, want 9 (3 calls of 3 attempts)", n)
	}
}

// TestErrorAnswersDoNotOpenTheBreaker: a server that answers, even with
// errors that are retried (503), is there: only missing answers count.
func TestErrorAnswersDoNotOpenTheBreaker(t *testing.T) {
	s, c := startPair(t, kestratest.Options{}, func(cfg *client.Config) { cfg.Tenant = "main"; cfg.Retries = 3 })
	s.SetFaults(kestratest.Faults{Rate503: 1})
	for range 5 {
		if _, err := c.Namespaces(context.Background()); err == nil || errors.Is(err, client.ErrUnreachable) {
			t.Fatalf("err = %v, want the 503", err)
		}
	}
	s.SetFaults(kestratest.Faults{})
	if _, err := c.Namespaces(context.Background()); err != nil {
		t.Fatalf("after the 503s: %v", err)
	}
}
