package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/pflag"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/store"
)

// selectionFlags are the flow selectors of plan, apply and daemon.
type selectionFlags struct {
	Namespaces, Flows, Exclude []string
	All                        bool
}

func (s *selectionFlags) addFlags(f *pflag.FlagSet) {
	f.StringArrayVar(&s.Namespaces, "namespace", nil, "a namespace and its children (repeatable)")
	f.StringArrayVar(&s.Flows, "flow", nil, "one flow, NAMESPACE/ID (repeatable)")
	f.StringArrayVar(&s.Exclude, "exclude-namespace", nil, "leave a namespace and its children out (repeatable)")
	f.BoolVar(&s.All, "all", false, "every namespace")
}

// selection validates the flags; required refuses an empty selection
// (apply, daemon), else an empty one means --all (plan).
func (s selectionFlags) selection(required bool) (migrator.Selection, error) {
	sel := migrator.Selection{All: s.All, Namespaces: s.Namespaces, Flows: s.Flows, Exclude: s.Exclude}
	if err := sel.Validate(); err != nil {
		return sel, &usageError{err}
	}
	if sel.Empty() {
		if required {
			return sel, usagef("select flows with --namespace, --flow or --all")
		}
		sel.All = true
	}
	return sel, nil
}

// newClient connects the REST client with the settings.
func (a *app) newClient() (*client.Client, error) {
	v, _ := buildVersion()
	cli, err := client.New(a.cfg.clientConfig(a.log, "kestra-migrator/"+v))
	if err != nil {
		return nil, &usageError{err}
	}
	return cli, nil
}

// engineOptions are what a command changes in the engine.
type engineOptions struct {
	validate, diff, allItems bool
}

// engine builds the migration engine over a client and (optionally) a store.
func (a *app) engine(cli *client.Client, st *store.Store, o engineOptions) *migrator.Engine {
	e := &migrator.Engine{Source: cli, Rewriter: a.cfg.rewriter(), Log: a.log, Concurrency: a.cfg.Concurrency,
		Validate: o.validate, Diff: o.diff, ListUpToDate: o.allItems, ProcessType: a.cfg.ProcessType, DockerType: a.cfg.DockerType}
	if st != nil {
		e.Store = st
	}
	if bar := newProgress(a.stderr); bar != nil {
		e.Observer = bar
	}
	return e
}

// connect opens the client and, read-write and locked, the state file:
// what apply and rollback need. mustExist (rollback) refuses a missing state
// file and creates nothing. The returned func closes the state file.
func (a *app) connect(mustExist bool) (*client.Client, *store.Store, func(), error) {
	cli, err := a.newClient()
	if err != nil {
		return nil, nil, nil, err
	}
	st, closeStore, err := a.openStore(mustExist)
	if err != nil {
		return nil, nil, nil, err
	}
	return cli, st, closeStore, nil
}

// finishReport prints a run's report (even a partial one) and keeps the
// first error.
func (a *app) finishReport(rep *migrator.Report, o outputOptions, err error) error {
	if rep != nil && (rep.RunID != "" || err == nil) {
		if perr := a.printReport(rep, o); perr != nil && err == nil {
			err = perr
		}
	}
	return err
}

// openStore takes the state file's process lock (one writer process per
// file) and opens it read-write. The returned func releases both.
func (a *app) openStore(mustExist bool) (*store.Store, func(), error) {
	path, err := a.cfg.dbPath()
	if err != nil {
		return nil, nil, err
	}
	if mustExist {
		if err := store.CheckExists(path); err != nil { // before the lock file is made
			return nil, nil, err
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, nil, fmt.Errorf("state file: %w", err)
	}
	release, err := store.Lock(path)
	if err != nil {
		return nil, nil, err
	}
	st, err := store.Open(path, store.Options{PublishLive: true})
	if err != nil {
		_ = release()
		return nil, nil, err
	}
	return st, func() { _ = st.Close(); _ = release() }, nil
}

// openStoreReadOnly opens the state file for reading while a daemon may
// hold it: bbolt's writer lock covers a pass, so it waits for one to end
// (up to wait).
func (a *app) openStoreReadOnly(ctx context.Context, wait time.Duration) (*store.Store, error) {
	path, err := a.cfg.dbPath()
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(wait)
	for {
		st, err := store.Open(path, store.Options{ReadOnly: true, Timeout: time.Second})
		if err == nil || !errors.Is(err, store.ErrLocked) || time.Now().After(deadline) {
			return st, err
		}
		a.log.Info("the state file is busy (a run or a daemon pass): waiting", "path", path)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// incomplete maps a finished apply or rollback to exit 4 when some flows
// did not make it.
func incomplete(rep *migrator.Report) error {
	s := rep.Summary
	if n := s.Invalid + s.Conflict + s.Unsupported + s.Failed; n > 0 {
		return &statusError{code: exitIncomplete, msg: fmt.Sprintf("%d flows did not migrate: %d invalid, %d conflict, %d unsupported, %d failed",
			n, s.Invalid, s.Conflict, s.Unsupported, s.Failed)}
	}
	return nil
}

// progress draws a bar on stderr when it is a terminal, never in CI or pipes.
type progress struct {
	mu  sync.Mutex
	bar *progressbar.ProgressBar
	w   io.Writer
}

func newProgress(w io.Writer) *progress {
	f, ok := w.(*os.File)
	if !ok || !isatty.IsTerminal(f.Fd()) || os.Getenv("CI") != "" {
		return nil
	}
	return &progress{w: w}
}

func (p *progress) NamespacesFound(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bar = progressbar.NewOptions(n, progressbar.OptionSetWriter(p.w), progressbar.OptionSetDescription("namespaces"),
		progressbar.OptionShowCount(), progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100*time.Millisecond))
}

func (p *progress) FlowDone(string, migrator.Status) {}

func (p *progress) NamespaceDone(ns string, _ migrator.Counts) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Describe(ns)
		_ = p.bar.Add(1)
	}
}
