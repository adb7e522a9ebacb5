package migrator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/migrator/report"
	"github.com/kestra-migrator/kestra-migrator/store"
)

// run is one plan or apply over a selection.
type run struct {
	e     *Engine
	opts  RunOptions
	id    string
	rec   *report.Recorder
	slots chan struct{} // flows in flight

	newRun     store.Run // the run to record
	recordOnce sync.Once
	recordErr  error
	recorded   bool
}

// Run executes a plan or apply run and returns its report. The error is
// for what stopped the run (server unreachable, state file, cancellation);
// per-flow problems are statuses in the report.
func (e *Engine) Run(ctx context.Context, opts RunOptions) (*report.Report, error) {
	if opts.Mode == ModeApply && e.Store == nil {
		return nil, errors.New("apply needs a state file")
	}
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	ec := *e
	ec.Source = stopOnUnreachable{FlowSource: e.Source, stop: stop}
	e = &ec
	r := &run{e: e, opts: opts, slots: make(chan struct{}, e.concurrency())}
	tenant, err := e.Source.ResolveTenant(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", e.Source.Server(), err)
	}
	version, err := e.Source.ServerVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the server version: %w", err)
	}
	if err := e.bindStore(ctx, tenant); err != nil {
		return nil, err
	}
	if err := r.start(version, tenant); err != nil {
		return nil, err
	}
	err = stoppedError(ctx, r.execute(ctx))
	return r.finish(err), err
}

// bindStore scopes the state file to the server: another server's records
// are never used, marked or written (store.ErrOtherServer).
func (e *Engine) bindStore(ctx context.Context, tenant string) error {
	if e.Store == nil {
		return nil
	}
	instance, err := e.Source.ServerInstance(ctx)
	if err != nil {
		return fmt.Errorf("read the server's instance id: %w", err)
	}
	return e.Store.BindServer(store.ServerID{URL: e.Source.Server(), Tenant: tenant, Instance: instance})
}

// concurrency is the number of flows in flight, at least 1.
func (e *Engine) concurrency() int { return max(e.Concurrency, 1) }

// start checks the server, opens (or resumes) the run and records it.
func (r *run) start(version, tenant string) error {
	e := r.e
	now := e.now()
	warns, refuse := e.Rewriter.CheckServer(version)
	if r.opts.Mode == ModeApply && refuse {
		return fmt.Errorf("%w: %s", ErrOldServer, strings.Join(warns, "; "))
	}
	r.id = store.NewRunID(now)
	if r.opts.Mode == ModeApply && r.opts.Resume {
		if prev, ok := r.resumable(); ok {
			r.id = prev.ID
		}
	}
	r.rec = report.NewRecorder(string(r.opts.Mode), r.id, now)
	r.rec.KeepUpToDate = e.ListUpToDate
	r.rec.SetServer(e.Source.Server(), tenant, version)
	for _, w := range warns {
		r.rec.Warn(w)
	}
	if e.Store == nil || r.opts.Mode != ModeApply {
		return nil
	}
	if _, err := e.Store.Run(r.id); err == nil {
		r.rec.Warn(fmt.Sprintf("resuming interrupted run %s", r.id))
		r.recorded = true
		return nil
	}
	r.newRun = store.Run{ID: r.id, Command: string(r.opts.Mode), Selection: r.opts.Selection.Strings(),
		Server: e.Source.Server(), Tenant: tenant, StartedAt: now, Status: store.RunRunning}
	if r.opts.QuietRuns {
		return nil // recorded with the first snapshot, if any
	}
	return r.record()
}

// record creates the run in the state file, once.
func (r *run) record() error {
	r.recordOnce.Do(func() {
		if r.recorded {
			return // resumed: the run exists
		}
		r.recordErr = r.e.Store.CreateRun(r.newRun)
		r.recorded = r.recordErr == nil
	})
	return r.recordErr
}

// resumable finds the newest apply run of the same selection and server that
// did not finish (interrupted, or still "running" after a crash: the caller
// holds the state file's lock, so no live process owns it).
func (r *run) resumable() (store.Run, bool) {
	runs, err := r.e.Store.Runs(20)
	if err != nil {
		return store.Run{}, false
	}
	sel := r.opts.Selection.Strings()
	for _, prev := range runs {
		if prev.Command != string(ModeApply) || !slices.Equal(prev.Selection, sel) { // Runs lists this server's only
			continue
		}
		if prev.Status == store.RunRunning || prev.Status == store.RunInterrupted {
			return prev, true
		}
		return store.Run{}, false // the newest matching run finished: start afresh
	}
	return store.Run{}, false
}

// finish closes the run in the state file and returns its report.
func (r *run) finish(runErr error) *report.Report {
	e := r.e
	rep := r.rec.Finish(e.now())
	if e.Store == nil || r.opts.Mode != ModeApply || !r.recorded {
		return rep
	}
	status, msg := store.RunDone, ""
	switch {
	case errors.Is(runErr, client.ErrUnreachable): // resumable, like an interrupt
		status, msg = store.RunInterrupted, runErr.Error()
	case errors.Is(runErr, context.Canceled):
		status, msg = store.RunInterrupted, "interrupted"
	case runErr != nil:
		status, msg = store.RunFailed, runErr.Error()
	}
	if err := e.Store.FinishRun(r.id, e.now(), status, rep.Summary.Counts.Map(), msg); err != nil {
		e.log().Error("record the end of the run", "run", r.id, "err", err)
	}
	return rep
}

// execute scans every selected namespace, up to Concurrency at a time.
func (r *run) execute(ctx context.Context) error {
	e := r.e
	all, err := e.Source.Namespaces(ctx)
	if err != nil {
		return fmt.Errorf("list namespaces: %w", err)
	}
	sc := r.opts.Selection.resolve(all)
	if e.Observer != nil {
		e.Observer.NamespacesFound(len(sc.namespaces))
	}
	if r.opts.Mode == ModeApply {
		if err := r.reconcile(ctx, sc); err != nil {
			return err
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(sc.namespaces))
	nsSlots := make(chan struct{}, e.concurrency())
	for _, ns := range sc.namespaces {
		if ctx.Err() != nil {
			break
		}
		nsSlots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-nsSlots; wg.Done() }()
			if err := r.namespace(ctx, ns, sc.only[ns]); err != nil {
				errs <- fmt.Errorf("namespace %s: %w", ns, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	var first error
	for err := range errs {
		if first == nil || errors.Is(first, context.Canceled) {
			first = err
		}
	}
	if first == nil {
		first = ctx.Err()
	}
	return first
}
