package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/store"
)

// newClient connects the REST client with the settings.
func (a *app) newClient() (*client.Client, error) {
	if err := a.cfg.checkServer(); err != nil {
		return nil, err
	}
	v, _ := buildVersion()
	cli, err := client.New(a.cfg.clientConfig(a.log, "kestra-migrator/"+v))
	if err != nil {
		return nil, asUsage(err)
	}
	return cli, nil
}

// engineOptions are what a command changes in the engine.
type engineOptions struct {
	validate, diff, allItems bool
}

// engine builds the migration engine over a client and (optionally) a store.
func (a *app) engine(cli *client.Client, st *store.Store, o engineOptions) *migrator.Engine {
	e := &migrator.Engine{Source: cli, RewriteOptions: a.cfg.rewriteOptions(""), Log: a.log, Concurrency: a.cfg.Concurrency,
		Validate: o.validate, Diff: o.diff, ListUpToDate: o.allItems}
	if st != nil {
		e.Store = st
	}
	if a.bar == nil {
		a.bar = newProgress(a.stderr)
	}
	if a.bar != nil {
		e.Observer = a.bar
	}
	return e
}

// connect opens the client and, read-write and locked, the state file:
// what apply and rollback need. The returned func closes the state file.
func (a *app) connect() (*client.Client, *store.Store, func(), error) {
	cli, err := a.newClient()
	if err != nil {
		return nil, nil, nil, err
	}
	st, closeStore, err := a.openStore()
	if err != nil {
		return nil, nil, nil, err
	}
	return cli, st, closeStore, nil
}

// openStore takes the state file's process lock (one writer process per
// file) and opens it read-write. The returned func releases both.
func (a *app) openStore() (*store.Store, func(), error) {
	path, err := a.cfg.dbPath()
	if err != nil {
		return nil, nil, err
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
// hold it: bbolt's writer lock covers a pass, so it waits for one to end,
// up to wait, then says who holds the file.
func (a *app) openStoreReadOnly(ctx context.Context, wait time.Duration) (*store.Store, error) {
	path, err := a.cfg.dbPath()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no state file at %s: nothing was applied with it yet (set --db or %s)", path, envName("db"))
	}
	deadline := time.Now().Add(wait)
	for {
		st, err := store.Open(path, store.Options{ReadOnly: true, Timeout: min(time.Second, max(wait, 10*time.Millisecond))})
		if err == nil || !errors.Is(err, store.ErrLocked) {
			return st, err
		}
		if !time.Now().Before(deadline) {
			if live, lerr := store.ReadLive(path); lerr == nil {
				return nil, fmt.Errorf("the state file %s is held by a running process (pid %d) and stayed busy for %s: retry when it ends (`kestra-migrator status` shows its progress meanwhile): %w",
					path, live.PID, wait, err)
			}
			return nil, fmt.Errorf("the state file %s stayed busy for %s: retry when the run or daemon pass holding it ends: %w", path, wait, err)
		}
		a.log.Info("the state file is busy (a run or a daemon pass): waiting", "path", path, "up to", wait)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
