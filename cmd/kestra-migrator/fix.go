package main

import (
	"errors"
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
		Use:   "fix PATH... | fix -",
		Short: "Rewrite local flow files (flows kept in git): print a diff, --write, or --check",
		Long: "fix applies the same rewrite to flow files and directories (recursively, *.yml and *.yaml;\n" +
			"a file may hold several flows separated by ---). By default it prints a unified diff;\n" +
			"--write rewrites the files in place (atomically, keeping their mode); --check changes\n" +
			"nothing and exits 3 when a flow needs migration, must be migrated by hand or does not parse.\n" +
			"fix - reads one file's flows from stdin and writes the result to stdout.",
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
	var res *migrator.FixResult
	var err error
	stream := len(paths) == 1 && paths[0] == "-"
	if stream && o.Write {
		return usagef("fix - writes the result to stdout: --write does not apply")
	}
	if stream { // a filter: the flow on stdin, the result on stdout, the report to --output only
		res, err = migrator.FixStream(cmd.Context(), a.cfg.rewriter(), cmd.InOrStdin(), a.stdout, time.Now)
	} else {
		res, err = migrator.Fix(cmd.Context(), a.cfg.rewriter(), migrator.FixOptions{
			Paths: paths, Write: o.Write, Diff: o.wantDiff(), Now: time.Now,
		})
	}
	if errors.Is(err, migrator.ErrNoMatch) {
		return &usageError{err}
	}
	if err != nil {
		return err
	}
	if !stream || o.Output != "" {
		if err := a.printReport(res.Report, o.outputOptions); err != nil {
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
	return fixExit(o.Check, s.Pending, s.Unsupported, s.Failed)
}

// fixExit: --check exits 3 when anything needs work or attention (a file
// that does not parse included); fix and fix --write exit 4 when a flow is
// unsupported or failed.
func fixExit(check bool, pending, unsupported, failed int) error {
	switch {
	case check && pending+unsupported+failed > 0:
		return &statusError{code: exitPending}
	case !check && unsupported+failed > 0:
		return &statusError{code: exitIncomplete}
	}
	return nil
}
