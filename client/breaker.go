package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"
)

// ErrUnreachable is matched (errors.Is) by the error of every request made
// while the circuit breaker is open: the server gave no answer to
// Config.BreakerThreshold attempts in a row, so the client stops trying for
// Config.BreakerCooldown instead of retrying each call in turn. A caller
// that sees it should stop its run: every later request fails the same way
// until the cooldown ends.
var ErrUnreachable = errors.New("server unreachable")

// errNoAnswer marks an attempt that counts against the breaker; errExcluded
// one that does not count at all (the caller gave up).
var (
	errNoAnswer = errors.New("no answer")
	errExcluded = errors.New("excluded")
)

// breaker stops requests to a server that stopped answering. It counts
// attempts, over all calls, that got no HTTP answer: a refused or reset
// connection, no headers within the timeout, or a gateway's 502 or 504
// (the proxy in front of Kestra could not reach it). Any other answer,
// errors included, proves the server is there and resets the count.
type breaker struct {
	cb        *gobreaker.TwoStepCircuitBreaker[struct{}]
	server    string
	threshold int
	cooldown  time.Duration
	log       *slog.Logger

	mu   sync.Mutex
	last error // the last attempt that got no answer
}

func newBreaker(server string, threshold int, cooldown time.Duration, log *slog.Logger) *breaker {
	b := &breaker{server: server, threshold: threshold, cooldown: cooldown, log: log}
	b.cb = gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:          server,
		MaxRequests:   1, // half-open: one request probes the server
		Timeout:       cooldown,
		ReadyToTrip:   func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= uint32(threshold) },
		IsExcluded:    func(err error) bool { return errors.Is(err, errExcluded) },
		OnStateChange: b.changed,
	})
	return b
}

// allow admits an attempt and returns the func that reports how it went,
// or an error wrapping ErrUnreachable when the breaker is open.
func (b *breaker) allow() (func(ctx context.Context, resp *http.Response, err error), error) {
	done, err := b.cb.Allow()
	if err != nil {
		return nil, b.unreachable()
	}
	return func(ctx context.Context, resp *http.Response, err error) {
		switch {
		case errors.Is(err, errExcluded) || (err != nil && ctx.Err() != nil):
			done(errExcluded) // never sent, or the caller gave up: says nothing about the server
		case err != nil:
			b.mu.Lock()
			b.last = err
			b.mu.Unlock()
			done(errNoAnswer)
		case resp.StatusCode == http.StatusBadGateway || resp.StatusCode == http.StatusGatewayTimeout:
			b.mu.Lock()
			b.last = fmt.Errorf("%d %s from a gateway", resp.StatusCode, http.StatusText(resp.StatusCode))
			b.mu.Unlock()
			done(errNoAnswer)
		default:
			done(nil)
		}
	}, nil
}

// unreachable says why requests fail at once, and until when.
func (b *breaker) unreachable() error {
	b.mu.Lock()
	last := b.last
	b.mu.Unlock()
	return fmt.Errorf("%w: %s gave no answer to %d attempts in a row (last: %v); requests fail at once for %s, then one tries again",
		ErrUnreachable, b.server, b.threshold, last, b.cooldown)
}

// changed logs the breaker's moves: once when it opens, quietly after.
func (b *breaker) changed(_ string, from, to gobreaker.State) {
	switch {
	case from == gobreaker.StateClosed && to == gobreaker.StateOpen:
		b.mu.Lock()
		last := b.last
		b.mu.Unlock()
		b.log.Error("the Kestra server is unreachable: failing every request at once", "server", b.server,
			"attempts", b.threshold, "last", fmt.Sprint(last), "retryIn", b.cooldown)
	case to == gobreaker.StateClosed:
		b.log.Info("the Kestra server answers again", "server", b.server)
	default:
		b.log.Debug("circuit breaker", "server", b.server, "from", from.String(), "to", to.String())
	}
}
