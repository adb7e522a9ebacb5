package main

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/google/renameio/v2"
	"github.com/spf13/cobra"

	"github.com/kestra-migrator/kestra-migrator/migrator/report"
)

// printFlags owns -o and --output (kubectl's PrintFlags): it knows the
// formats its command can produce, refuses the others, and writes the
// command's one document to stdout or, atomically and 0600, to --output.
type printFlags struct {
	allowed []string
	Format  string
	Output  string
	// withItems: the document is a report of flows (--diff, --all-items).
	withItems bool
	Diff      bool
	AllItems  bool
}

// newPrintFlags allows the formats that can write kind, except those in
// refused; def is the default format.
func newPrintFlags(kind report.Kind, def string, refused ...string) *printFlags {
	p := &printFlags{Format: def, withItems: kind == report.KindReport}
	for _, f := range report.FormatsFor(kind) {
		if !slices.Contains(refused, f) {
			p.allowed = append(p.allowed, f)
		}
	}
	return p
}

// noItems: the report lists no flows (status): no --diff or --all-items.
func (p *printFlags) noItems() *printFlags { p.withItems = false; return p }

// AddFlags defines -o (with shell completion of its values) and --output.
func (p *printFlags) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVarP(&p.Format, "format", "o", p.Format, "output format: "+strings.Join(p.allowed, ", "))
	f.StringVar(&p.Output, "output", "", "write the output to this file (created 0600, replaced atomically) instead of stdout")
	if p.withItems {
		f.BoolVar(&p.Diff, "diff", false, "include each flow's unified diff (json, markdown, html; diff always has them)")
		f.BoolVar(&p.AllItems, "all-items", false, "list up-to-date flows in the report too (default: counted only)")
	}
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(p.allowed, cobra.ShellCompDirectiveNoFileComp))
}

// Validate refuses a format the command cannot produce, and --diff where
// the format would not show the diffs.
func (p *printFlags) Validate() error {
	if !slices.Contains(p.allowed, p.Format) {
		return usagef("--format %q: this command writes %s", p.Format, strings.Join(p.allowed, ", "))
	}
	if p.Diff && p.Format == "table" {
		return usagef("--diff: the table format shows no diffs; use -o diff, markdown, json or html")
	}
	return nil
}

// wantDiff: diffs are computed when asked for or when the format shows them.
func (p *printFlags) wantDiff() bool { return p.Diff || p.Format == "diff" || p.Format == "html" }

// Print writes the document to --output or stdout. It is called once a
// command has succeeded: a failed command prints no report.
func (p *printFlags) Print(a *app, d report.Document) error {
	if p.Output == "" {
		return report.Write(a.stdout, p.Format, d)
	}
	var buf bytes.Buffer
	if err := report.Write(&buf, p.Format, d); err != nil {
		return err
	}
	return writeReportFile(p.Output, buf.Bytes())
}

// writeReportFile replaces path atomically with a 0600 file: reports hold
// flow sources and diffs, and a reader never sees half of one. An existing
// file's wider mode is not kept (renameio.WriteFile would keep it).
func writeReportFile(path string, data []byte) error {
	f, err := renameio.NewPendingFile(path, renameio.WithPermissions(0o600))
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() { _ = f.Cleanup() }()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.CloseAtomicallyReplace(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
