package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kestra-migrator/kestra-migrator/migrator/report"
)

// runsOptions are runs's flags.
type runsOptions struct {
	print *printFlags
	Limit int
}

func (o *runsOptions) AddFlags(cmd *cobra.Command) {
	o.print.AddFlags(cmd)
	cmd.Flags().IntVar(&o.Limit, "limit", 50, "how many runs")
	addSettingFlags(cmd.Flags(), groupState)
}

// Validate checks the flags before anything is read.
func (o *runsOptions) Validate() error {
	if o.Limit < 1 {
		return usagef("--limit %d: want 1 or more", o.Limit)
	}
	return o.print.Validate()
}

func newRunsCommand(a *app) *cobra.Command {
	o := &runsOptions{print: newPrintFlags(report.KindRuns, "table")}
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "List the runs recorded in the state file, newest first",
		Long: "runs lists the apply and rollback runs of the state file, newest first, with what each\n" +
			"did. While an apply or a daemon holds the state file, it reads the runs that process publishes.",
		Example: "  kestra-migrator runs\n" +
			"  kestra-migrator runs -o json --limit 10",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return runRuns(cmd.Context(), a, o)
		},
	}
	o.AddFlags(cmd)
	return cmd
}

func runRuns(ctx context.Context, a *app, o *runsOptions) error {
	view, err := a.readState(ctx, o.Limit, false)
	if err != nil {
		return err
	}
	if view.note != "" {
		fmt.Fprintln(a.stderr, "note: "+view.note)
	}
	return o.print.Print(a, report.NewRunList(view.runs))
}
