package report

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
	"golang.org/x/term"
)

type tableFormat struct{}

// Format prints a table of namespaces, then one of the flows that need
// attention (everything but up-to-date), fitted to the terminal's width.
func (tableFormat) Format(w io.Writer, r *Report) error {
	width := termWidth(w)
	shown := shownStatuses(r.Summary.Counts)
	header := []any{"namespace", "flows"}
	for _, s := range shown {
		header = append(header, string(s))
	}
	if r.Source != "" {
		header = append(header, "last run")
	}
	t := newTable(w, width)
	t.Header(header...)
	for _, ns := range r.Namespaces {
		row := countsRow(ns.Namespace, ns.Counts, shown)
		if r.Source != "" {
			row = append(row, lastRun(ns))
		}
		if err := t.Append(row...); err != nil {
			return err
		}
	}
	footer := countsRow(plural(r.Summary.Namespaces, "namespace", "namespaces"), r.Summary.Counts, shown)
	if r.Source != "" {
		footer = append(footer, "")
	}
	t.Footer(footer...)
	if err := t.Render(); err != nil {
		return err
	}
	ft := newTable(w, width)
	ft.Header("flow", "status", "revision", "detail")
	rows := 0
	for _, ns := range r.Namespaces {
		for _, it := range ns.Items {
			if it.Status == StatusUpToDate {
				continue
			}
			rows++
			if err := ft.Append(it.flowName(), statusText(it), revisions(it), it.detail()); err != nil {
				return err
			}
		}
	}
	if rows > 0 {
		if err := ft.Render(); err != nil {
			return err
		}
	}
	if len(r.Runs) > 0 {
		if err := runsTable(w, width, r.Runs); err != nil {
			return err
		}
	}
	if r.Source != "" {
		if _, err := fmt.Fprintf(w, "counts from the %s (the last run of each namespace); plan reads the server\n", r.Source); err != nil {
			return err
		}
	}
	for _, warn := range r.Warnings {
		if _, err := fmt.Fprintf(w, "warning: %s\n", warn); err != nil {
			return err
		}
	}
	return nil
}

// FormatRuns lists runs, newest first.
func (tableFormat) FormatRuns(w io.Writer, l *RunList) error {
	if len(l.Runs) == 0 {
		_, err := io.WriteString(w, "no runs recorded\n")
		return err
	}
	return runsTable(w, termWidth(w), l.Runs)
}

// FormatSnapshots lists snapshots.
func (tableFormat) FormatSnapshots(w io.Writer, l *SnapshotList) error {
	if len(l.Snapshots) == 0 {
		_, err := io.WriteString(w, "no snapshots\n")
		return err
	}
	t := newTable(w, termWidth(w))
	t.Header("run", "flow", "revision", "new revision", "state", "rolled back by")
	for _, s := range l.Snapshots {
		newRev := ""
		if s.NewRevision != nil {
			newRev = strconv.Itoa(*s.NewRevision)
		}
		if err := t.Append(s.RunID, s.Namespace+"/"+s.ID, strconv.Itoa(s.Revision), newRev, s.State, s.RolledBackBy); err != nil {
			return err
		}
	}
	return t.Render()
}

// shownStatuses are the statuses with flows: a table of ten mostly empty
// counters would not fit a terminal.
func shownStatuses(c Counts) []Status {
	var out []Status
	for _, s := range Statuses {
		if c.Get(s) > 0 {
			out = append(out, s)
		}
	}
	return out
}

func countsRow(name string, c Counts, shown []Status) []any {
	row := []any{name, strconv.Itoa(c.Flows)}
	for _, s := range shown {
		row = append(row, strconv.Itoa(c.Get(s)))
	}
	return row
}

// countsText is "5 migrated, 2 up-to-date": the counters with flows.
func countsText(c Counts) string {
	var parts []string
	for _, s := range shownStatuses(c) {
		parts = append(parts, fmt.Sprintf("%d %s", c.Get(s), s))
	}
	if len(parts) == 0 {
		return "no flows"
	}
	return strings.Join(parts, ", ")
}

func statusText(it Item) string {
	if it.Forced {
		return string(it.Status) + " (forced)"
	}
	return string(it.Status)
}

func lastRun(ns NamespaceReport) string {
	if ns.LastScan == nil {
		return ns.LastRunID
	}
	return ns.LastScan.Format("2006-01-02 15:04:05")
}

func runsTable(w io.Writer, width int, runs []RunSummary) error {
	t := newTable(w, width)
	t.Header("run", "command", "status", "started", "finished", "flows")
	for _, r := range runs {
		finished := ""
		if r.FinishedAt != nil {
			finished = r.FinishedAt.Format("2006-01-02 15:04:05")
		}
		status := r.Status
		if r.Error != "" && r.Error != r.Status {
			status += ": " + r.Error
		}
		if err := t.Append(r.RunID, r.Command, status, r.StartedAt.Format("2006-01-02 15:04:05"), finished,
			countsText(r.Summary)); err != nil {
			return err
		}
	}
	return t.Render()
}

// termWidth is the width tables must fit: $COLUMNS, else the terminal's,
// else 0 (no limit: a pipe or a file).
func termWidth(w io.Writer) int {
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if n, _, err := term.GetSize(int(f.Fd())); err == nil && n > 0 {
			return n
		}
	}
	return 0
}

func newTable(w io.Writer, width int) *tablewriter.Table {
	opts := []tablewriter.Option{tablewriter.WithHeaderAutoFormat(tw.Off), tablewriter.WithFooterAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNormal)}
	if width > 0 {
		opts = append(opts, tablewriter.WithMaxWidth(width))
	}
	return tablewriter.NewTable(w, opts...)
}
