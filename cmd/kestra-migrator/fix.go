package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/kestra-migrator/kestra-migrator/migrator"
)

type fixOptions struct {
	outputOptions
	Write bool
	Check bool
}

func newFixCommand(a *app) *cobra.Command {
	var o fixOptions
	cmd := &cobra.Command{
		Use:   "fix PATH...",
		Short: "Rewrite local flow files (flows kept in git): print a diff, --write, or --check",
		Long: "fix applies the same rewrite to flow files and directories (recursively, *.yml and *.yaml;\n" +
			"a file may hold several flows separated by ---). By default it prints a unified diff;\n" +
			"--write rewrites the files in place (atomically, keeping their mode); --check changes\n" +
			"nothing and exits 3 when a flow needs migration or must be migrated by hand.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, paths []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			return runFix(cmd, a, o, paths)
		},
	}
	o.addFlags(cmd.Flags(), "diff")
	cmd.Flags().BoolVar(&o.Write, "write", false, "rewrite the files in place")
	cmd.Flags().BoolVar(&o.Check, "check", false, "change nothing; exit 3 if any flow is pending or unsupported")
	return cmd
}

func (o fixOptions) validate() error {
	if o.Write && o.Check {
		return usagef("--write and --check exclude each other")
	}
	return o.outputOptions.validate()
}

func runFix(cmd *cobra.Command, a *app, o fixOptions, paths []string) error {
	rep, err := migrator.Fix(cmd.Context(), a.cfg.rewriter(), migrator.FixOptions{
		Paths: paths, Write: o.Write, Diff: o.wantDiff(), Now: time.Now,
	})
	if err != nil {
		return err
	}
	if err := a.printReport(rep, o.outputOptions); err != nil {
		return err
	}
	s := rep.Summary
	a.log.Info("fix done", "files", len(paths), "flows", s.Flows, "pending", s.Pending, "migrated", s.Migrated,
		"unsupported", s.Unsupported, "failed", s.Failed)
	switch {
	case s.Failed > 0:
		return &statusError{code: exitIncomplete}
	case o.Check && s.Pending+s.Unsupported > 0:
		return &statusError{code: exitPending}
	}
	return nil
}
