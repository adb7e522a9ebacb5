package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/kestra-migrator/kestra-migrator/migrator/report"
	"github.com/kestra-migrator/kestra-migrator/store"
)

// statusOptions are status's flags.
type statusOptions struct {
	print *printFlags
	Runs  int
}

func (o *statusOptions) AddFlags(cmd *cobra.Command) {
	o.print.AddFlags(cmd)
	cmd.Flags().IntVar(&o.Runs, "runs", 5, "how many recent runs to list")
	addSettingFlags(cmd.Flags(), groupState)
}

// Validate checks the flags before anything is read.
func (o *statusOptions) Validate() error {
	if o.Runs < 0 {
		return usagef("--runs %d: want 0 or more", o.Runs)
	}
	return o.print.Validate()
}

func newStatusCommand(a *app) *cobra.Command {
	// status lists no flows: no diffs to show
	o := &statusOptions{print: newPrintFlags(report.KindReport, "table", "diff").noItems()}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Progress per namespace and the last runs, from the state file (works while a daemon runs)",
		Long: "status shows the state file's view: each namespace as its last run left it (rollbacks\n" +
			"included: flows restored since count as restored), with the time of that run, and the\n" +
			"last runs. It does not read the server: plan does. While an apply or a daemon holds the\n" +
			"state file, status reads the progress it publishes beside it, and says so.",
		Example: "  kestra-migrator status\n" +
			"  kestra-migrator status -o json --runs 20",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return runStatus(cmd.Context(), a, o)
		},
	}
	o.AddFlags(cmd)
	return cmd
}

func runStatus(ctx context.Context, a *app, o *statusOptions) error {
	view, err := a.readState(ctx, o.Runs, true)
	if err != nil {
		return err
	}
	rep := report.StatusReport(view.progress, view.runs, a.now())
	if view.note != "" {
		rep.Warnings = append([]string{view.note}, rep.Warnings...)
	}
	return o.print.Print(a, rep)
}

// stateView is what status and runs read from the state file.
type stateView struct {
	progress []store.NamespaceProgress
	runs     []store.Run
	note     string // read from a running process's live file
}

// readState reads the progress and the last runs from the state file, or,
// while a run holds it, from what that run publishes beside it.
func (a *app) readState(ctx context.Context, limit int, withProgress bool) (stateView, error) {
	st, err := a.openStoreReadOnly(ctx, 2*time.Second)
	if errors.Is(err, store.ErrLocked) {
		path, _ := a.cfg.dbPath()
		live, lerr := store.ReadLive(path)
		if lerr != nil {
			return stateView{}, err
		}
		return stateView{progress: live.Progress, runs: live.Runs[:min(limit, len(live.Runs))],
			note: fmt.Sprintf("the state file is held by a running process (pid %d): its progress as of %s",
				live.PID, live.PublishedAt.Format(time.RFC3339))}, nil
	}
	if err != nil {
		return stateView{}, err
	}
	defer st.Close()
	var view stateView
	if view.runs, err = st.Runs(limit); err != nil || !withProgress {
		return view, err
	}
	if view.progress, err = st.AllProgress(); err != nil {
		return view, err
	}
	return view, nil
}
