package migrator

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"net"
	"net/http"
	"sync"

	"github.com/kestra-migrator/kestra-migrator/client"
)

// defaultMaxConnFailures is how many requests in a row may fail to reach the
// server (each after the client's retries) before the run stops.
const defaultMaxConnFailures = 3

// unreachableError is why a run stopped when the server stopped answering.
type unreachableError struct {
	server   string
	failures int
	last     error
}

func (e *unreachableError) Error() string {
	return fmt.Sprintf("%s is unreachable: %d requests in a row failed, the run stopped (last: %v)", e.server, e.failures, e.last)
}

func (e *unreachableError) Unwrap() error { return e.last }

// connectionFailure: the request did not reach a working server (a network
// error, or a proxy's 502/503/504 after the client's retries).
func connectionFailure(err error) bool {
	if errors.Is(err, client.ErrUnreachable) {
		return true // the client's circuit breaker is open
	}
	var apiErr *client.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.Status {
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
		return false
	}
	var netErr net.Error
	return errors.As(err, &netErr)
}

// unreached: the request failed because the run is stopping or the server
// could not be reached: the flow was not attempted (nothing written).
func unreached(ctx context.Context, err error) bool {
	return ctx.Err() != nil || connectionFailure(err)
}

// stopReason is why a flow was not reached: the run's stop, else err.
func stopReason(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return err
}

// reach is the server as one run sees it: it counts the requests in a row
// that failed to reach the server and stops the run (cancels its context
// with an *unreachableError, logged once) when there are too many, so that
// a dead server ends the run instead of failing every flow in turn.
type reach struct {
	FlowSource
	ctx  context.Context // the run's: once it is done, failures are the stop's echo
	stop context.CancelCauseFunc
	max  int
	log  *slog.Logger

	mu    sync.Mutex
	fails int
	once  sync.Once
}

func newReach(ctx context.Context, stop context.CancelCauseFunc, src FlowSource, maxFails int, log *slog.Logger) *reach {
	if maxFails <= 0 {
		maxFails = defaultMaxConnFailures
	}
	return &reach{FlowSource: src, ctx: ctx, stop: stop, max: maxFails, log: log}
}

// observe counts err and stops the run at the limit; it returns err.
func (g *reach) observe(err error) error {
	if g.ctx.Err() != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if err == nil || !connectionFailure(err) {
		g.fails = 0 // the server answered
		return err
	}
	g.fails++
	if g.fails >= g.max || errors.Is(err, client.ErrUnreachable) { // the breaker already counted
		g.once.Do(func() {
			cause := &unreachableError{server: g.Server(), failures: g.fails, last: err}
			g.log.Error("the server is unreachable: stopping the run; flows not reached are not attempted", "err", cause)
			g.stop(cause)
		})
	}
	return err
}

func (g *reach) Namespaces(ctx context.Context) ([]string, error) {
	ns, err := g.FlowSource.Namespaces(ctx)
	return ns, g.observe(err)
}

func (g *reach) SearchFlows(ctx context.Context, q client.SearchQuery) iter.Seq2[client.Flow, error] {
	return func(yield func(client.Flow, error) bool) {
		failed := false
		for f, err := range g.FlowSource.SearchFlows(ctx, q) {
			if err != nil {
				failed = true
				g.observe(err)
			}
			if !yield(f, err) {
				return
			}
		}
		if !failed {
			g.observe(nil)
		}
	}
}

func (g *reach) ExportNamespace(ctx context.Context, ns string, fn func(client.ExportedFlow) error) error {
	return g.observe(g.FlowSource.ExportNamespace(ctx, ns, fn))
}

func (g *reach) Flow(ctx context.Context, ns, id string) (*client.Flow, error) {
	f, err := g.FlowSource.Flow(ctx, ns, id)
	return f, g.observe(err)
}

func (g *reach) FlowRevision(ctx context.Context, ns, id string, rev int) (*client.Flow, error) {
	f, err := g.FlowSource.FlowRevision(ctx, ns, id, rev)
	return f, g.observe(err)
}

func (g *reach) Revisions(ctx context.Context, ns, id string) ([]client.Flow, error) {
	fs, err := g.FlowSource.Revisions(ctx, ns, id)
	return fs, g.observe(err)
}

func (g *reach) Validate(ctx context.Context, sources [][]byte) ([]client.Validation, error) {
	v, err := g.FlowSource.Validate(ctx, sources)
	return v, g.observe(err)
}

func (g *reach) UpdateFlow(ctx context.Context, ns, id string, source []byte) (*client.Flow, error) {
	f, err := g.FlowSource.UpdateFlow(ctx, ns, id, source)
	return f, g.observe(err)
}

// stopCause turns what ended a run into its error: the server unreachable,
// an interrupt (ErrInterrupted, wrapping the context's error), or err.
func stopCause(parent, runCtx context.Context, err error) error {
	var unreachable *unreachableError
	if cause := context.Cause(runCtx); errors.As(cause, &unreachable) {
		return unreachable
	}
	if parent.Err() != nil {
		return fmt.Errorf("%w: %w", ErrInterrupted, context.Cause(parent))
	}
	return err
}
