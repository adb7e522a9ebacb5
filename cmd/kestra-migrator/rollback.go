package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/migrator/report"
	"github.com/kestra-migrator/kestra-migrator/store"
)

// rollbackOptions are rollback's flags.
type rollbackOptions struct {
	print *printFlags
	migrator.RollbackOptions
}

func (o *rollbackOptions) AddFlags(cmd *cobra.Command, a *app) {
	o.print.AddFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.RunID, "run", "", "the flows this run migrated")
	f.StringVarP(&o.Namespace, "namespace", "n", "", "the flows of a namespace and its children (latest migration of each)")
	f.StringVar(&o.Flow, "flow", "", "one flow, NAMESPACE/ID")
	f.BoolVar(&o.All, "all", false, "every migrated flow")
	f.BoolVar(&o.DryRun, "dry-run", false, "show what would be restored; write nothing")
	f.BoolVar(&o.Force, "force", false, "restore even flows changed since they were migrated (the report lists them as forced)")
	addSettingFlags(f, groupServer, groupState, groupEngine)
	_ = cmd.RegisterFlagCompletionFunc("run", a.completeRuns)
	_ = cmd.RegisterFlagCompletionFunc("namespace", a.completeNamespaces)
}

// Validate checks the flags before anything is read.
func (o *rollbackOptions) Validate() error {
	if err := o.RollbackOptions.Validate(); err != nil {
		return asUsage(err)
	}
	return o.print.Validate()
}

func newRollbackCommand(a *app) *cobra.Command {
	o := &rollbackOptions{print: newPrintFlags(report.KindReport, "table")}
	cmd := &cobra.Command{
		Use:   "rollback",
		Short: "Restore the original source of flows a run migrated (only if unchanged since, unless --force)",
		Long: "rollback writes back the snapshot of the original source of each selected flow, only where\n" +
			"the server still holds the revision the migration produced; a flow changed since is a\n" +
			"conflict unless --force. Its report counts the flows it restored as restored.\n" +
			"Exit 4 when some flows could not be restored.",
		Example: "  kestra-migrator rollback --run 20261127T101500Z-3fa9c2 --dry-run\n" +
			"  kestra-migrator rollback --run 20261127T101500Z-3fa9c2\n" +
			"  kestra-migrator rollback --flow company.data/nightly-etl --force",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return runRollback(cmd.Context(), a, o)
		},
	}
	o.AddFlags(cmd, a)
	return cmd
}

func runRollback(ctx context.Context, a *app, o *rollbackOptions) error {
	path, err := a.cfg.dbPath()
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("no state file at %s: nothing was applied with it, so there is nothing to roll back (set --db or $%s)", path, envName("db"))
	}
	cli, st, closeStore, err := a.connect()
	if err != nil {
		return err
	}
	defer closeStore()
	if o.RunID != "" {
		if _, err := st.Run(o.RunID); errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("--run %s: no such run in the state file (see kestra-migrator runs): %w", o.RunID, migrator.ErrNoMatch)
		}
	}
	rep, err := a.engine(cli, st, engineOptions{diff: o.print.wantDiff()}).Rollback(ctx, o.RollbackOptions)
	a.bar.finish()
	if interrupted(err) {
		return a.printInterrupted(o.print, rep, "rollback", "run the same rollback again to finish it")
	}
	if err != nil {
		return a.explain(err)
	}
	if err := o.print.Print(a, rep); err != nil {
		return err
	}
	verb := "restored"
	if o.DryRun {
		verb = "would restore"
	}
	fmt.Fprintf(a.stderr, "rollback: run %s %s %s: %s\n", rep.RunID, verb,
		flowCount(rep.Summary.Restored+rep.Summary.Migrated+rep.Summary.Pending), countsLine(rep.Summary.Counts))
	return incomplete(rep, "were not restored")
}
