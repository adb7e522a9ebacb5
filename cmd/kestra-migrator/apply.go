package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/migrator/report"
	"github.com/kestra-migrator/kestra-migrator/migrator/rewrite"
)

// applyOptions are apply's flags.
type applyOptions struct {
	print     *printFlags
	selection selectionFlags
	NoResume  bool
}

func (o *applyOptions) AddFlags(cmd *cobra.Command, a *app) {
	o.print.AddFlags(cmd)
	o.selection.AddFlags(cmd, a)
	cmd.Flags().BoolVar(&o.NoResume, "no-resume", false, "start a new run even if the last one was interrupted")
	addSettingFlags(cmd.Flags(), groupServer, groupState, groupEngine, groupRewrite)
}

// Validate checks the flags before anything is read.
func (o *applyOptions) Validate() error { return o.print.Validate() }

func newApplyCommand(a *app) *cobra.Command {
	o := &applyOptions{print: newPrintFlags(report.KindReport, "table")}
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Migrate: validate, snapshot, write and record each flow; resumable",
		Long: "apply migrates every selected flow: the rewritten source is validated by the server, the\n" +
			"exact original is saved in the state file, the flow is re-read and written only if it is\n" +
			"still the revision that was read. A stopped run resumes where it was when re-run.\n" +
			"It ends with its run id and the command that rolls it back (stderr).\n" +
			"Exit 4 when some flows did not migrate (excluded flows never count).",
		Example: "  kestra-migrator apply -n company.data\n" +
			"  kestra-migrator apply --all --exclude-flow company.ml/legacy-train\n" +
			"  kestra-migrator apply --flow company.data/nightly-etl -o json --output apply.json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return runApply(cmd.Context(), a, o)
		},
	}
	o.AddFlags(cmd, a)
	return cmd
}

func runApply(ctx context.Context, a *app, o *applyOptions) error {
	sel, err := o.selection.selection(a, true)
	if err != nil {
		return err
	}
	cli, st, closeStore, err := a.connect()
	if err != nil {
		return err
	}
	defer closeStore()
	e := a.engine(cli, st, engineOptions{validate: true, diff: o.print.wantDiff(), allItems: o.print.AllItems})
	rep, err := e.Run(ctx, migrator.RunOptions{Mode: migrator.ModeApply, Selection: sel, Resume: !o.NoResume})
	a.bar.finish()
	if interrupted(err) {
		return a.printInterrupted(o.print, rep, "apply", "re-run the same apply to resume")
	}
	if err != nil {
		return a.explain(err)
	}
	if err := o.print.Print(a, rep); err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "apply: run %s: %s. Roll it back with: kestra-migrator rollback --run %s\n",
		rep.RunID, countsLine(rep.Summary.Counts), rep.RunID)
	return incomplete(rep, "did not migrate")
}

// interrupted: a signal stopped the run.
func interrupted(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, migrator.ErrInterrupted)
}

// printInterrupted prints the report of a run a signal stopped (exit 1):
// unlike a failure to read the server, the run wrote flows before it
// stopped, and its report is the record of them.
func (a *app) printInterrupted(p *printFlags, rep *report.Report, command, resume string) error {
	if rep == nil || rep.RunID == "" {
		return fmt.Errorf("%s interrupted before it started: %w", command, migrator.ErrInterrupted)
	}
	msg := fmt.Sprintf("interrupted: run %s stopped after %s; flows it did not reach are untouched; %s", rep.RunID, countsLine(rep.Summary.Counts), resume)
	rep.Warnings = append(rep.Warnings, msg)
	if err := p.Print(a, rep); err != nil {
		return err
	}
	return fmt.Errorf("%s: %w", msg, migrator.ErrInterrupted)
}

// incomplete maps a finished apply or rollback to exit 4 when some flows
// did not make it.
func incomplete(rep *report.Report, verb string) error {
	s := rep.Summary
	blocked := blockedOnTarget(rep)
	if n := s.Invalid + s.Conflict + s.Unsupported + s.Failed + blocked; n > 0 {
		return &outcome{kind: errIncomplete, msg: fmt.Sprintf("%s %s: %d invalid, %d conflict, %d unsupported, %d failed, %d blocked for Kestra %s",
			flowCount(n), verb, s.Invalid, s.Conflict, s.Unsupported, s.Failed, blocked, rep.Target)}
	}
	return nil
}

// blockedOnTarget counts the flows that the rewrite left in a state the
// run's target refuses: a blocking detection (2.0 refuses to save the flow)
// on a flow otherwise up to date, pending or migrated. On a 1.x target the
// detections are the readiness report of the coming upgrade: they change no
// exit code.
func blockedOnTarget(rep *report.Report) int {
	if rep.Target != string(rewrite.Target20) {
		return 0
	}
	n := 0
	for _, ns := range rep.Namespaces {
		for _, it := range ns.Items {
			switch it.Status {
			case report.StatusUpToDate, report.StatusPending, report.StatusMigrated:
				if it.Readiness() == report.ReadinessBlocking {
					n++
				}
			}
		}
	}
	return n
}

// countsLine is "12 flows: 5 migrated, 7 up-to-date".
func countsLine(c report.Counts) string {
	var parts []string
	for _, s := range report.Statuses {
		if n := c.Get(s); n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	if len(parts) == 0 {
		return "no flows"
	}
	return flowCount(c.Flows) + " (" + strings.Join(parts, ", ") + ")"
}
