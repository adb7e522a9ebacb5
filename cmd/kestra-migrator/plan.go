package main

import (
	"github.com/spf13/cobra"

	"github.com/kestra-migrator/kestra-migrator/migrator"
)

type planOptions struct {
	outputOptions
	selectionFlags
	Validate bool
}

func newPlanCommand(a *app) *cobra.Command {
	var o planOptions
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Dry run: scan the server, rewrite in memory, validate, report per namespace (never writes)",
		Long: "plan reads every selected flow (default: all), rewrites it in memory, validates the result\n" +
			"through the server, and reports per namespace. It never writes to the server or the state\n" +
			"file. Exit 3 when a flow needs migration or attention.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sel, err := o.selection(false)
			if err != nil {
				return err
			}
			if err := o.outputOptions.validate(); err != nil {
				return err
			}
			return runPlan(cmd, a, o, sel)
		},
	}
	o.outputOptions.addFlags(cmd.Flags(), "table")
	o.selectionFlags.addFlags(cmd.Flags())
	cmd.Flags().BoolVar(&o.Validate, "validate", true, "validate rewritten flows through the server")
	return cmd
}

func runPlan(cmd *cobra.Command, a *app, o planOptions, sel migrator.Selection) error {
	cli, err := a.newClient()
	if err != nil {
		return err
	}
	rep, err := a.engine(cli, nil, engineOptions{validate: o.Validate, diff: o.wantDiff(), allItems: o.AllItems}).Run(cmd.Context(), migrator.RunOptions{Mode: migrator.ModePlan, Selection: sel})
	if err := a.finishReport(rep, o.outputOptions, err); err != nil {
		return err
	}
	if s := rep.Summary; s.Pending+s.Unsupported+s.Invalid+s.Failed > 0 {
		return &statusError{code: exitPending}
	}
	return nil
}
