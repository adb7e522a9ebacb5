package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/migrator/report"
)

// fixOptions are fix's flags.
type fixOptions struct {
	print *printFlags
	Write bool
	Check bool
}

func (o *fixOptions) AddFlags(cmd *cobra.Command) {
	o.print.AddFlags(cmd)
	cmd.Flags().BoolVar(&o.Write, "write", false, "rewrite the files in place")
	cmd.Flags().BoolVar(&o.Check, "check", false, "change nothing; exit 3 if any flow is pending or unsupported")
	addSettingFlags(cmd.Flags(), groupRewrite)
}

// Validate checks the flags before any file is read.
func (o *fixOptions) Validate() error {
	if o.Write && o.Check {
		return usagef("--write and --check exclude each other")
	}
	return o.print.Validate()
}

func newFixCommand(a *app) *cobra.Command {
	o := &fixOptions{print: newPrintFlags(report.KindReport, "diff")}
	cmd := &cobra.Command{
		Use:   "fix PATH...",
		Short: "Rewrite local flow files (flows kept in git): print a diff, --write, or --check",
		Long: "fix applies the same rewrite to flow files and directories (recursively, *.yml and *.yaml;\n" +
			"a file may hold several flows separated by ---). By default it prints a unified diff;\n" +
			"--write rewrites the files in place (atomically, keeping their mode); --check changes\n" +
			"nothing and exits 3 when a flow needs migration or must be migrated by hand.",
		Example: "  kestra-migrator fix flows/\n" +
			"  kestra-migrator fix flows/ --check\n" +
			"  kestra-migrator fix flows/ --write",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, paths []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return runFix(cmd.Context(), a, o, paths)
		},
	}
	o.AddFlags(cmd)
	return cmd
}

func runFix(ctx context.Context, a *app, o *fixOptions, paths []string) error {
	rep, err := migrator.Fix(ctx, a.cfg.rewriter(), migrator.FixOptions{
		Paths: paths, Write: o.Write, Diff: o.print.wantDiff(), Now: time.Now,
	})
	if err != nil {
		return err
	}
	if err := o.print.Print(a, rep); err != nil {
		return err
	}
	s := rep.Summary
	a.log.Info("fix done", "files", len(paths), "flows", s.Flows, "pending", s.Pending, "migrated", s.Migrated,
		"unsupported", s.Unsupported, "failed", s.Failed)
	switch {
	case s.Failed > 0:
		return &outcome{kind: errIncomplete}
	case o.Check && s.Pending+s.Unsupported > 0:
		return &outcome{kind: errPending}
	}
	return nil
}
