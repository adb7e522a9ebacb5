package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/migrator/report"
)

// planOptions are plan's flags.
type planOptions struct {
	print     *printFlags
	selection selectionFlags
	// Check validates the rewritten flows through the server (--validate).
	Check bool
}

func (o *planOptions) AddFlags(cmd *cobra.Command, a *app) {
	o.print.AddFlags(cmd)
	o.selection.AddFlags(cmd, a)
	cmd.Flags().BoolVar(&o.Check, "validate", true, "validate rewritten flows through the server")
	addSettingFlags(cmd.Flags(), groupServer, groupEngine, groupRewrite)
}

// Validate checks the flags before anything is read.
func (o *planOptions) Validate() error { return o.print.Validate() }

func newPlanCommand(a *app) *cobra.Command {
	o := &planOptions{print: newPrintFlags(report.KindReport, "table")}
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Dry run: scan the server, rewrite in memory, validate, report per namespace (never writes)",
		Long: "plan reads every selected flow (default: all), rewrites it in memory, validates the result\n" +
			"through the server, and reports per namespace. It never writes to the server or the state\n" +
			"file. Exit 3 when a flow needs migration or attention.",
		Example: "  kestra-migrator plan\n" +
			"  kestra-migrator plan -n company.data -o markdown --diff > plan.md\n" +
			"  kestra-migrator plan --flow company.data/nightly-etl -o diff\n" +
			"  kestra-migrator plan --all --exclude-flow company.ml/legacy-train -o json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return runPlan(cmd.Context(), a, o)
		},
	}
	o.AddFlags(cmd, a)
	return cmd
}

func runPlan(ctx context.Context, a *app, o *planOptions) error {
	sel, err := o.selection.selection(a, false)
	if err != nil {
		return err
	}
	cli, err := a.newClient()
	if err != nil {
		return err
	}
	e := a.engine(cli, nil, engineOptions{validate: o.Check, diff: o.print.wantDiff(), allItems: o.print.AllItems})
	rep, err := e.Run(ctx, migrator.RunOptions{Mode: migrator.ModePlan, Selection: sel})
	a.bar.finish()
	if err != nil {
		return a.explain(err)
	}
	if err := o.print.Print(a, rep); err != nil {
		return err
	}
	s := rep.Summary
	if n := s.Pending + s.Unsupported + s.Invalid + s.Failed + s.Conflict + blockedOnTarget(rep); n > 0 {
		return &outcome{kind: errPending, msg: fmt.Sprintf("plan: %s need migration or attention", flowCount(n))}
	}
	return nil
}
