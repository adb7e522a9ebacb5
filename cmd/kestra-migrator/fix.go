package main

import (
	"context"
	"errors"
	"fmt"
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
	cmd.Flags().BoolVar(&o.Check, "check", false, "change nothing; exit 3 if any flow needs migration or attention")
	addSettingFlags(cmd.Flags(), groupRewrite)
}

// Validate checks the flags before any file is read.
func (o *fixOptions) Validate(paths []string) error {
	if o.Write && o.Check {
		return usagef("--write and --check exclude each other")
	}
	if isStream(paths) && o.Write {
		return usagef("fix - writes the result to stdout: --write does not apply")
	}
	return o.print.Validate()
}

// isStream: fix - is a filter, the flows on stdin, the result on stdout.
func isStream(paths []string) bool { return len(paths) == 1 && paths[0] == "-" }

func newFixCommand(a *app) *cobra.Command {
	o := &fixOptions{print: newPrintFlags(report.KindReport, "diff")}
	cmd := &cobra.Command{
		Use:   "fix PATH...",
		Short: "Rewrite local flow files (flows kept in git): print a diff, --write, or --check",
		Long: "fix applies the same rewrite to flow files and directories (recursively, *.yml and *.yaml;\n" +
			"a file may hold several flows separated by ---). By default it prints a unified diff;\n" +
			"--write rewrites the files in place (atomically, keeping their mode); --check changes\n" +
			"nothing and exits 3 when a flow needs migration, must be migrated by hand or does not parse.\n" +
			"fix - reads one file's flows from stdin and writes the result to stdout. Without --target,\n" +
			"the rewrite aims at Kestra 2.0, as Kestra's own migration tool does.",
		Example: "  kestra-migrator fix flows/\n" +
			"  kestra-migrator fix flows/ --check\n" +
			"  kestra-migrator fix flows/ --write --target 1.3\n" +
			"  kestra-migrator fix - < flow.yml > migrated.yml",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, paths []string) error {
			if err := o.Validate(paths); err != nil {
				return err
			}
			return runFix(cmd.Context(), a, o, paths, cmd)
		},
	}
	o.AddFlags(cmd)
	return cmd
}

func runFix(ctx context.Context, a *app, o *fixOptions, paths []string, cmd *cobra.Command) error {
	var res *migrator.FixResult
	var err error
	stream := isStream(paths)
	if stream {
		res, err = migrator.FixStream(ctx, a.cfg.rewriter(), cmd.InOrStdin(), a.stdout, time.Now)
	} else {
		res, err = migrator.Fix(ctx, a.cfg.rewriter(), migrator.FixOptions{
			Paths: paths, Write: o.Write, Diff: o.print.wantDiff(), Now: time.Now,
		})
	}
	if errors.Is(err, migrator.ErrNoMatch) {
		return asUsage(err)
	}
	if err != nil {
		return err
	}
	if !stream || o.print.Output != "" { // a filter prints its report only to --output
		if err := o.print.Print(a, res.Report); err != nil {
			return err
		}
	}
	s := res.Report.Summary
	a.log.Info("fix done", "files", res.Files, "written", res.Written, "skipped", res.Skipped, "flows", s.Flows,
		"pending", s.Pending, "migrated", s.Migrated, "unsupported", s.Unsupported, "failed", s.Failed)
	if stream {
		for _, ns := range res.Report.Namespaces {
			for _, it := range ns.Items {
				if it.Reason != nil {
					a.log.Warn("fix -", "flow", ns.Namespace+"/"+it.ID, "status", it.Status, "reason", *it.Reason)
				}
			}
		}
	}
	return fixExit(o.Check, s.Pending, s.Unsupported, s.Failed, blockedOnTarget(res.Report))
}

// fixExit: --check exits 3 when anything needs work or attention (a file
// that does not parse, a flow the target refuses); fix and fix --write exit
// 4 when a flow is unsupported, failed or refused by the target.
func fixExit(check bool, pending, unsupported, failed, blocked int) error {
	switch {
	case check && pending+unsupported+failed+blocked > 0:
		return &outcome{kind: errPending, msg: fmt.Sprintf("fix --check: %s need migration or attention", flowCount(pending+unsupported+failed+blocked))}
	case !check && unsupported+failed+blocked > 0:
		return &outcome{kind: errIncomplete, msg: fmt.Sprintf("fix: %s need attention: %d unsupported, %d failed, %d blocked on the target",
			flowCount(unsupported+failed+blocked), unsupported, failed, blocked)}
	}
	return nil
}
