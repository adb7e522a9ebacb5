package daemon

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/migrator/report"
	"github.com/kestra-migrator/kestra-migrator/store"
)

// storeTimeout bounds the wait for readers (status) to release the state
// file at the start of a pass.
const storeTimeout = 10 * time.Second

// passFunc runs one pass in a mode; tests replace the engine with a fake.
type passFunc func(ctx context.Context, cfg Config, mode migrator.Mode) (*report.Report, error)

// enginePass opens the state file for the length of the pass and runs an
// incremental engine over the selection. Flows unchanged since the last
// successful pass are reported as it reported them (changes, warnings and
// diff included) without being read again.
func (d *Daemon) enginePass(ctx context.Context, cfg Config, mode migrator.Mode) (rep *report.Report, err error) {
	st, err := store.Open(cfg.StatePath, store.Options{Timeout: storeTimeout, PublishLive: true})
	if err != nil {
		return nil, fmt.Errorf("open the state file: %w", err)
	}
	defer func() {
		if cerr := st.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close the state file: %w", cerr)
		}
	}()
	e := *cfg.Engine
	e.Store, e.Incremental, e.Diff = st, true, true // /report shows each flow's diff, as plan does
	return e.Run(ctx, migrator.RunOptions{Mode: mode, Selection: cfg.Selection, QuietRuns: true,
		Previous: d.state.snapshot().Report})
}

// runPass runs one pass, in plan mode when apply is outside the window,
// and records its outcome in the state and the metrics.
func (d *Daemon) runPass(ctx context.Context, cfg Config) error {
	log := cfg.log()
	started := time.Now()
	mode, open := cfg.Mode, cfg.Window.Allows(started)
	if mode == migrator.ModeApply && !open {
		mode = migrator.ModePlan
		log.Info("outside the apply window: this pass only plans", "window", cfg.Window.String())
	}
	d.metrics.windowOpen.Set(boolGauge(open))
	rep, err := d.pass(ctx, cfg, mode)
	ended := time.Now()
	result := resultSuccess
	switch {
	case err != nil && errors.Is(err, context.Canceled) && ctx.Err() != nil:
		result = resultInterrupted
	case err != nil:
		result = resultFailure
	}
	if result != resultSuccess {
		rep = nil // partial: /status keeps the last complete report
	}
	d.metrics.observePass(mode, result, rep, started, ended)
	d.state.passDone(string(mode), result, rep, err, ended)
	switch result {
	case resultSuccess:
		s := rep.Summary
		log.Info("pass done", "mode", mode, "duration", ended.Sub(started).Round(time.Millisecond),
			"namespaces", s.Namespaces, "flows", s.Flows, "upToDate", s.UpToDate, "pending", s.Pending,
			"migrated", s.Migrated, "invalid", s.Invalid, "conflict", s.Conflict, "unsupported", s.Unsupported, "failed", s.Failed)
	case resultInterrupted:
		log.Info("pass interrupted: in-flight flows were finished or left untouched", "mode", mode)
	}
	return err
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
