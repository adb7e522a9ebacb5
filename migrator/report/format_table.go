package report

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
	"golang.org/x/term"
)

type tableFormat struct{}

// Format prints a table of namespaces, then one of the flows that need
// attention (everything but up-to-date, and up-to-date flows with a
// detection), fitted to the terminal's width.
func (tableFormat) Format(w io.Writer, r *Report) error {
	width := termWidth(w)
	shown := shownStatuses(r.Summary.Counts)
	header := []string{"namespace", "flows"}
	for _, s := range shown {
		header = append(header, string(s))
	}
	if r.Source != "" {
		header = append(header, "last run")
	}
	g := grid{header: header}
	for _, ns := range r.Namespaces {
		row := countsRow(ns.Namespace, ns.Counts, shown)
		if r.Source != "" {
			row = append(row, lastRun(ns))
		}
		g.rows = append(g.rows, row)
	}
	g.footer = countsRow(plural(r.Summary.Namespaces, "namespace", "namespaces"), r.Summary.Counts, shown)
	if r.Source != "" {
		g.footer = append(g.footer, "")
	}
	if err := g.render(w, width); err != nil {
		return err
	}
	if err := readinessTables(w, width, r); err != nil {
		return err
	}
	flows := grid{header: []string{"flow", "status", "revision", "detail"}}
	for _, ns := range r.Namespaces {
		for _, it := range ns.Items {
			if it.needsAttention() {
				flows.rows = append(flows.rows, []string{it.flowName(), statusText(it), revisions(it), it.detail()})
			}
		}
	}
	if len(flows.rows) > 0 {
		if err := flows.render(w, width); err != nil {
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

// readinessTables prints the flows per namespace by readiness class with
// their codes, then each code with its severity, its flows and its guide;
// or one line when no flow was assessed.
func readinessTables(w io.Writer, width int, r *Report) error {
	if note := unassessedNote(r); note != "" {
		_, err := fmt.Fprintln(w, note)
		return err
	}
	sum := r.Readiness
	if sum.Assessed() == 0 {
		return nil
	}
	classes := shownClasses(sum)
	g := grid{header: []string{"namespace"}}
	for _, c := range classes {
		g.header = append(g.header, string(c))
	}
	g.header = append(g.header, "codes (flows)")
	row := func(name string, rd Readiness, codes string) []string {
		out := []string{name}
		for _, c := range classes {
			out = append(out, strconv.Itoa(rd.Get(c)))
		}
		return append(out, codes)
	}
	for _, ns := range r.Namespaces {
		g.rows = append(g.rows, row(ns.Namespace, ns.Readiness, codesText(ns.Readiness)))
	}
	g.footer = row(plural(len(r.Namespaces), "namespace", "namespaces"), sum, "")
	if err := g.render(w, width); err != nil {
		return err
	}
	codes := reportCodes(r)
	if len(codes) == 0 {
		return nil
	}
	cg := grid{header: []string{"code", "severity", "flows", "guide"}}
	for _, c := range codes {
		cg.rows = append(cg.rows, []string{c.Code, string(c.Severity), strconv.Itoa(c.Flows), c.URL})
	}
	return cg.render(w, width)
}

// shownClasses are the readiness classes always shown, and unassessed when
// some flow is.
func shownClasses(rd Readiness) []ReadinessClass {
	if rd.Unassessed > 0 {
		return ReadinessClasses
	}
	return ReadinessClasses[:len(ReadinessClasses)-1]
}

// serverText is "URL (tenant)" for a table cell.
func serverText(server, tenant string) string {
	if server == "" || tenant == "" {
		return server
	}
	return server + " (" + tenant + ")"
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
	g := grid{header: []string{"run", "server", "flow", "revision", "new revision", "state", "rolled back by"}}
	for _, s := range l.Snapshots {
		newRev := ""
		if s.NewRevision != nil {
			newRev = strconv.Itoa(*s.NewRevision)
		}
		g.rows = append(g.rows, []string{s.RunID, serverText(s.Server, s.Tenant), s.Namespace + "/" + s.ID,
			strconv.Itoa(s.Revision), newRev, s.State, s.RolledBackBy})
	}
	return g.render(w, termWidth(w))
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

func countsRow(name string, c Counts, shown []Status) []string {
	row := []string{name, strconv.Itoa(c.Flows)}
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
	g := grid{header: []string{"run", "command", "server", "status", "started", "finished", "flows"}}
	for _, r := range runs {
		finished := ""
		if r.FinishedAt != nil {
			finished = r.FinishedAt.Format("2006-01-02 15:04:05")
		}
		status := r.Status
		if r.Error != "" && r.Error != r.Status {
			status += ": " + r.Error
		}
		g.rows = append(g.rows, []string{r.RunID, r.Command, serverText(r.Server, r.Tenant), status,
			r.StartedAt.Format("2006-01-02 15:04:05"), finished, countsText(r.Summary)})
	}
	return g.render(w, width)
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

// grid is a table whose cells are wrapped to fit a width.
type grid struct {
	header []string
	rows   [][]string
	footer []string
}

// minColumn is the narrowest a column is made to fit the width.
const minColumn = 6

// render fits the columns to width (0: no limit), shrinking the widest
// first, wraps each cell to its column and draws the table.
func (g grid) render(w io.Writer, width int) error {
	cols := len(g.header)
	widths := make([]int, cols)
	all := append(append([][]string{g.header}, g.rows...), g.footer)
	for _, row := range all {
		for i, cell := range row {
			for _, line := range strings.Split(cell, "\n") {
				widths[i] = max(widths[i], displayWidth(line))
			}
		}
	}
	if width > 0 {
		for total := sum(widths) + 3*cols + 1; total > width; total-- {
			widest := 0
			for i := range widths {
				if widths[i] > widths[widest] {
					widest = i
				}
			}
			if widths[widest] <= minColumn {
				break
			}
			widths[widest]--
		}
	}
	wrapRow := func(row []string) []string {
		out := make([]string, len(row))
		for i, cell := range row {
			out[i] = wrapText(cell, widths[i])
		}
		return out
	}
	t := tablewriter.NewTable(w, tablewriter.WithHeaderAutoFormat(tw.Off), tablewriter.WithFooterAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone), tablewriter.WithHeaderAutoWrap(tw.WrapNone), tablewriter.WithFooterAutoWrap(tw.WrapNone))
	t.Header(anys(wrapRow(g.header))...)
	for _, row := range g.rows {
		if err := t.Append(anys(wrapRow(row))...); err != nil {
			return err
		}
	}
	if g.footer != nil {
		t.Footer(anys(wrapRow(g.footer))...)
	}
	return t.Render()
}

// wrapText breaks text into lines of at most width columns, at spaces, or
// inside a word longer than a line.
func wrapText(s string, width int) string {
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			for displayWidth(word) > width {
				if line != "" {
					lines = append(lines, line)
					line = ""
				}
				r := []rune(word)
				lines = append(lines, string(r[:width]))
				word = string(r[width:])
			}
			switch {
			case line == "":
				line = word
			case displayWidth(line)+1+displayWidth(word) <= width:
				line += " " + word
			default:
				lines = append(lines, line)
				line = word
			}
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

func displayWidth(s string) int { return utf8.RuneCountInString(s) }

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
