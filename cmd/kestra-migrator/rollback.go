package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/store"
)

type rollbackOptions struct {
	outputOptions
	migrator.RollbackOptions
}

func newRollbackCommand(a *app) *cobra.Command {
	var o rollbackOptions
	cmd := &cobra.Command{
		Use:   "rollback",
		Short: "Restore the original source of flows a run migrated (only if unchanged since, unless --force)",
		Long: "rollback writes back the snapshot of the original source of each selected flow, only where\n" +
			"the server still holds the revision the migration produced; a flow changed since is a\n" +
			"conflict unless --force. In its report, \"migrated\" counts the flows restored.\n" +
			"Exit 4 when some flows could not be restored.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.RollbackOptions.Validate(); err != nil {
				return &usageError{err}
			}
			if err := o.outputOptions.validate(); err != nil {
				return err
			}
			cli, st, closeStore, err := a.connect(true)
			if err != nil {
				return err
			}
			defer closeStore()
			rep, err := a.engine(cli, st, engineOptions{diff: o.wantDiff()}).Rollback(cmd.Context(), o.RollbackOptions)
			if rep == nil && (errors.Is(err, store.ErrOtherServer) || (o.RunID != "" && errors.Is(err, store.ErrNotFound))) {
				return &usageError{err} // the wrong server or a --run not in the state file: nothing was done
			}
			if err := a.finishReport(rep, o.outputOptions, err); err != nil {
				return err
			}
			return incomplete(rep)
		},
	}
	o.outputOptions.addFlags(cmd.Flags(), "table")
	f := cmd.Flags()
	f.StringVar(&o.RunID, "run", "", "the flows this run migrated")
	f.StringVar(&o.Namespace, "namespace", "", "the flows of a namespace and its children (latest migration of each)")
	f.StringVar(&o.Flow, "flow", "", "one flow, NAMESPACE/ID")
	f.BoolVar(&o.All, "all", false, "every migrated flow")
	f.BoolVar(&o.DryRun, "dry-run", false, "show what would be restored; write nothing")
	f.BoolVar(&o.Force, "force", false, "restore even flows changed since they were migrated")
	return cmd
}
