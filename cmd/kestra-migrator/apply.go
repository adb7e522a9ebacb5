package main

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/kestra-migrator/kestra-migrator/migrator"
)

type applyOptions struct {
	outputOptions
	selectionFlags
	NoResume bool
}

func newApplyCommand(a *app) *cobra.Command {
	var o applyOptions
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Migrate: validate, snapshot, write and record each flow; resumable",
		Long: "apply migrates every selected flow: the rewritten source is validated by the server, the\n" +
			"exact original is saved in the state file, the flow is re-read and written only if it is\n" +
			"still the revision that was read. A stopped run resumes where it was when re-run.\n" +
			"Exit 4 when some flows did not migrate.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sel, err := o.selection(true)
			if err != nil {
				return err
			}
			if err := o.outputOptions.validate(); err != nil {
				return err
			}
			return runApply(cmd.Context(), a, o, sel)
		},
	}
	o.outputOptions.addFlags(cmd.Flags(), "table")
	o.selectionFlags.addFlags(cmd.Flags())
	cmd.Flags().BoolVar(&o.NoResume, "no-resume", false, "start a new run even if the last one was interrupted")
	return cmd
}

func runApply(ctx context.Context, a *app, o applyOptions, sel migrator.Selection) error {
	cli, st, closeStore, err := a.connect(false)
	if err != nil {
		return err
	}
	defer closeStore()
	e := a.engine(cli, st, engineOptions{validate: true, diff: o.wantDiff(), allItems: o.AllItems})
	rep, err := e.Run(ctx, migrator.RunOptions{Mode: migrator.ModeApply, Selection: sel, Resume: !o.NoResume})
	err = a.finishReport(rep, o.outputOptions, err)
	if errors.Is(err, context.Canceled) {
		return errors.New("interrupted: in-flight flows were finished or left untouched; re-run apply to resume")
	}
	if err != nil {
		return err
	}
	return incomplete(rep)
}
