package migrator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/migrator/report"
	"github.com/kestra-migrator/kestra-migrator/migrator/rewrite"
	"github.com/kestra-migrator/kestra-migrator/store"
)

// run is one plan or apply over a selection, along one path.
type run struct {
	e     *Engine
	opts  RunOptions
	path  path
	src   FlowSource // the server, through the run's reach
	rw    *rewrite.Rewriter
	id    string
	rec   *report.Recorder
	slots *semaphore.Weighted    // writes in flight, run-wide
	prior map[string]report.Item // the previous pass's items by "ns/id" (daemon)

	resumed    bool      // continues an interrupted run of the same id
	newRun     store.Run // the run to record
	recordOnce sync.Once
	recordErr  error
	recorded   bool
}

// Run executes a plan or apply run and returns its report. The error is
// for what stopped the run: the server unreachable, the state file, an
// interrupt (ErrInterrupted), a selector that matches nothing (ErrNoMatch,
// nothing recorded); per-flow problems are statuses in the report. A run
// that stopped early returns its report too: the flows it did not reach
// are not-attempted.
func (e *Engine) Run(parent context.Context, opts RunOptions) (*report.Report, error) {
	if opts.Mode == ModeApply && e.Store == nil {
		return nil, errors.New("apply needs a state file")
	}
	ctx, stop := context.WithCancelCause(parent)
	defer stop(nil)
	r := &run{e: e, opts: opts, path: e.pathFor(opts), slots: semaphore.NewWeighted(int64(e.concurrency())),
		prior: itemsByFlow(opts.Previous)}
	r.src = newReach(ctx, stop, e.Source, e.MaxConnFailures, e.log())
	tenant, err := r.src.ResolveTenant(ctx)
	if err != nil {
		return nil, stopCause(parent, ctx, fmt.Errorf("connect to %s: %w", e.Source.Server(), err))
	}
	version, err := r.src.ServerVersion(ctx)
	if err != nil {
		return nil, stopCause(parent, ctx, fmt.Errorf("read the server version: %w", err))
	}
	sc, err := r.resolve(ctx)
	if err != nil {
		return nil, stopCause(parent, ctx, err)
	}
	if err := e.bindStore(ctx, tenant); err != nil {
		return nil, err
	}
	if err := r.start(version, tenant); err != nil {
		return nil, err
	}
	err = stopCause(parent, ctx, r.execute(ctx, sc))
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

// itemsByFlow indexes a report's items by "namespace/id".
func itemsByFlow(rep *report.Report) map[string]report.Item {
	if rep == nil {
		return nil
	}
	out := map[string]report.Item{}
	for _, ns := range rep.Namespaces {
		for _, it := range ns.Items {
			out[it.Namespace+"/"+it.ID] = it
		}
	}
	return out
}

// resolve lists the server's namespaces and resolves the selection on them.
// A --namespace or --flow that names nothing on the server is an error
// wrapping ErrNoMatch: a typo is never a silent success.
func (r *run) resolve(ctx context.Context) (scope, error) {
	sel := r.opts.Selection
	all, err := r.src.Namespaces(ctx)
	if err != nil {
		return scope{}, fmt.Errorf("list namespaces: %w", err)
	}
	var missing []string
	for _, p := range sel.Namespaces {
		if !slices.ContainsFunc(all, func(ns string) bool { return under(ns, p) }) {
			missing = append(missing, "--namespace "+p)
		}
	}
	for ns, ids := range sel.flowsByNamespace() {
		listed := map[string]bool{}
		if slices.Contains(all, ns) {
			for f, err := range r.src.SearchFlows(ctx, client.SearchQuery{Namespace: ns}) {
				if err != nil {
					return scope{}, fmt.Errorf("search flows of %s: %w", ns, err)
				}
				listed[f.Namespace+"/"+f.ID] = true
			}
		}
		for id := range ids {
			if !listed[ns+"/"+id] {
				missing = append(missing, "--flow "+ns+"/"+id)
			}
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return scope{}, fmt.Errorf("%s: %w on %s", strings.Join(missing, ", "), ErrNoMatch, r.e.Source.Server())
	}
	return sel.resolve(all), nil
}

// start checks the server, opens (or resumes) the run and records it.
func (r *run) start(version, tenant string) error {
	e := r.e
	now := e.now()
	rw, err := e.rewriterFor(version)
	if err != nil {
		return err
	}
	r.rw = rw
	warns, refuse := rw.CheckServer(version)
	if r.path.writes && refuse {
		return fmt.Errorf("%w: %s", ErrOldServer, strings.Join(warns, "; "))
	}
	r.id = store.NewRunID(now)
	if r.path.writes && r.opts.Resume {
		if prev, ok := r.resumable(); ok {
			r.id, r.resumed = prev.ID, true
		}
	}
	r.rec = report.NewRecorder(string(r.path.mode), r.id, now)
	r.rec.KeepUpToDate = e.ListUpToDate
	r.rec.SetServer(e.Source.Server(), tenant, version)
	r.rec.SetRules(string(rw.Target()), rewrite.RuleNames(rw.Rules()))
	for _, w := range warns {
		r.rec.Warn(w)
	}
	if !r.path.writes {
		return nil
	}
	if r.resumed {
		r.rec.Warn(fmt.Sprintf("resuming interrupted run %s", r.id))
		r.recorded = true
		return nil
	}
	r.newRun = store.Run{ID: r.id, Command: string(r.path.mode), Selection: r.opts.Selection.Strings(),
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

// finish closes the run in the state file and returns its report. A run
// stopped by an interrupt or an unreachable server is recorded interrupted:
// a re-run resumes it.
func (r *run) finish(runErr error) *report.Report {
	e := r.e
	var unreachable *unreachableError
	stopped := errors.Is(runErr, ErrInterrupted) || errors.As(runErr, &unreachable)
	if stopped {
		r.rec.Warn(fmt.Sprintf("the run stopped before its end (%v): flows not reached are not attempted; run it again to resume", runErr))
	}
	rep := r.rec.Finish(e.now())
	if !r.path.writes || !r.recorded {
		return rep
	}
	status, msg := store.RunDone, ""
	switch {
	case stopped:
		status, msg = store.RunInterrupted, runErr.Error()
	case runErr != nil:
		status, msg = store.RunFailed, runErr.Error()
	}
	if err := e.Store.FinishRun(r.id, e.now(), status, rep.Summary.Counts.Map(), msg); err != nil {
		e.log().Error("record the end of the run", "run", r.id, "err", err)
	}
	return rep
}

// execute scans every selected namespace, up to Concurrency at a time.
func (r *run) execute(ctx context.Context, sc scope) error {
	e := r.e
	if e.Observer != nil {
		e.Observer.NamespacesFound(len(sc.namespaces))
	}
	if r.path.prepare != nil {
		if err := r.path.prepare(r, ctx, sc); err != nil {
			return err
		}
	}
	var (
		g          errgroup.Group
		mu         sync.Mutex
		notReached []string
	)
	g.SetLimit(e.concurrency())
	for _, ns := range sc.namespaces {
		g.Go(func() error {
			if ctx.Err() != nil {
				mu.Lock()
				notReached = append(notReached, ns)
				mu.Unlock()
				return nil
			}
			if err := r.namespace(ctx, ns, sc); err != nil {
				return fmt.Errorf("namespace %s: %w", ns, err)
			}
			return nil
		})
	}
	err := g.Wait()
	if len(notReached) > 0 {
		slices.Sort(notReached)
		r.rec.Warn(fmt.Sprintf("%d namespaces not reached before the run stopped: %s", len(notReached), strings.Join(notReached, ", ")))
	}
	if err == nil {
		err = ctx.Err()
	}
	return err
}
