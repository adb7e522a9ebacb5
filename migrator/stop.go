package migrator

import (
	"context"
	"errors"
	"iter"

	"github.com/kestra-migrator/kestra-migrator/client"
)

// stopOnUnreachable is the run's view of the server: the first error that
// says the server is unreachable (the client's circuit breaker is open)
// cancels the run with that cause, so that the run stops at once instead of
// failing every flow left in turn. Flows not reached stay as they were: the
// run is recorded interrupted, and a re-run resumes it.
type stopOnUnreachable struct {
	FlowSource
	stop context.CancelCauseFunc
}

// check stops the run when err says the server is unreachable.
func (s stopOnUnreachable) check(err error) error {
	if errors.Is(err, client.ErrUnreachable) {
		s.stop(err)
	}
	return err
}

func (s stopOnUnreachable) ResolveTenant(ctx context.Context) (string, error) {
	t, err := s.FlowSource.ResolveTenant(ctx)
	return t, s.check(err)
}

func (s stopOnUnreachable) ServerVersion(ctx context.Context) (string, error) {
	v, err := s.FlowSource.ServerVersion(ctx)
	return v, s.check(err)
}

func (s stopOnUnreachable) ServerInstance(ctx context.Context) (string, error) {
	v, err := s.FlowSource.ServerInstance(ctx)
	return v, s.check(err)
}

func (s stopOnUnreachable) Namespaces(ctx context.Context) ([]string, error) {
	ns, err := s.FlowSource.Namespaces(ctx)
	return ns, s.check(err)
}

func (s stopOnUnreachable) SearchFlows(ctx context.Context, q client.SearchQuery) iter.Seq2[client.Flow, error] {
	return func(yield func(client.Flow, error) bool) {
		for f, err := range s.FlowSource.SearchFlows(ctx, q) {
			if !yield(f, s.check(err)) {
				return
			}
		}
	}
}

func (s stopOnUnreachable) ExportNamespace(ctx context.Context, ns string, fn func(client.ExportedFlow) error) error {
	return s.check(s.FlowSource.ExportNamespace(ctx, ns, fn))
}

func (s stopOnUnreachable) Flow(ctx context.Context, ns, id string) (*client.Flow, error) {
	f, err := s.FlowSource.Flow(ctx, ns, id)
	return f, s.check(err)
}

func (s stopOnUnreachable) FlowRevision(ctx context.Context, ns, id string, rev int) (*client.Flow, error) {
	f, err := s.FlowSource.FlowRevision(ctx, ns, id, rev)
	return f, s.check(err)
}

func (s stopOnUnreachable) Revisions(ctx context.Context, ns, id string) ([]client.Flow, error) {
	fs, err := s.FlowSource.Revisions(ctx, ns, id)
	return fs, s.check(err)
}

func (s stopOnUnreachable) Validate(ctx context.Context, sources [][]byte) ([]client.Validation, error) {
	v, err := s.FlowSource.Validate(ctx, sources)
	return v, s.check(err)
}

func (s stopOnUnreachable) UpdateFlow(ctx context.Context, ns, id string, source []byte) (*client.Flow, error) {
	f, err := s.FlowSource.UpdateFlow(ctx, ns, id, source)
	return f, s.check(err)
}

// stoppedError is the error of a run stopped because the server became
// unreachable: it matches client.ErrUnreachable.
func stoppedError(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); errors.Is(cause, client.ErrUnreachable) && !errors.Is(err, client.ErrUnreachable) {
		return cause
	}
	return err
}
