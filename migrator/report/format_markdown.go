package report

import (
	"fmt"
	"io"
	"strings"
)

type markdownFormat struct{}

// Format writes a report to paste in an issue or a pull request. Text that
// comes from the server (ids, reasons, types, warnings) is escaped, so that
// no raw HTML or markdown of its own passes.
func (markdownFormat) Format(w io.Writer, r *Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# kestra-migrator %s\n\n", mdText(r.Command))
	if r.Server != nil {
		fmt.Fprintf(&b, "Server %s", mdCode(*r.Server))
		if r.Tenant != nil && *r.Tenant != "" {
			fmt.Fprintf(&b, ", tenant %s", mdCode(*r.Tenant))
		}
		b.WriteString(". ")
	}
	if r.RunID != "" {
		fmt.Fprintf(&b, "Run %s, ", mdCode(r.RunID))
	}
	fmt.Fprintf(&b, "%s.\n\n", r.FinishedAt.Format("2006-01-02 15:04:05Z07:00"))
	if r.Source != "" {
		fmt.Fprintf(&b, "Counts from the %s (the last run of each namespace); `plan` reads the server.\n\n", mdText(r.Source))
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(&b, "> **Warning:** %s\n\n", mdText(warn))
	}
	b.WriteString("| namespace | flows |")
	for _, s := range Statuses {
		fmt.Fprintf(&b, " %s |", s)
	}
	b.WriteString("\n|---|---:|" + strings.Repeat("---:|", len(Statuses)) + "\n")
	for _, ns := range r.Namespaces {
		mdRow(&b, mdCode(ns.Namespace), ns.Counts)
	}
	mdRow(&b, "**total**", r.Summary.Counts)
	for _, ns := range r.Namespaces {
		for _, it := range ns.Items {
			if it.needsAttention() {
				mdItem(&b, it)
			}
		}
	}
	for _, run := range r.Runs {
		fmt.Fprintf(&b, "\n- run %s: %s, %s, %s\n", mdCode(run.RunID), mdText(run.Command), mdText(run.Status), mdText(countsText(run.Summary)))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdRow(b *strings.Builder, name string, c Counts) {
	fmt.Fprintf(b, "| %s | %d |", name, c.Flows)
	for _, s := range Statuses {
		fmt.Fprintf(b, " %d |", c.Get(s))
	}
	b.WriteString("\n")
}

func mdItem(b *strings.Builder, it Item) {
	fmt.Fprintf(b, "\n## %s: %s\n\n", mdCode(it.flowName()), mdText(statusText(it)))
	if it.Reason != nil {
		fmt.Fprintf(b, "%s\n\n", mdText(*it.Reason))
	}
	for _, c := range it.Changes {
		fmt.Fprintf(b, "- %s (%s, %s): %s -> %s\n", mdCode(c.Path), mdCode(c.TaskID), mdText(c.Type), keyList(c.From), keyList(c.To))
	}
	for _, w := range it.Warnings {
		fmt.Fprintf(b, "- warning: %s\n", mdText(warningText(w)))
	}
	if it.Diff != "" {
		fence := "```"
		for strings.Contains(it.Diff, fence) {
			fence += "`"
		}
		fmt.Fprintf(b, "\n%sdiff\n%s%s\n", fence, it.Diff, fence)
	}
}

func keyList(keys []string) string {
	if len(keys) == 0 {
		return "(nothing)"
	}
	codes := make([]string, len(keys))
	for i, k := range keys {
		codes[i] = mdCode(k)
	}
	return strings.Join(codes, ", ")
}

// mdEscaper backslash-escapes markdown's punctuation (CommonMark: any ASCII
// punctuation may be escaped), so that `<`, `&`, `[` or `|` are shown, never
// read as HTML, entities, links or table cells.
var mdEscaper = func() *strings.Replacer {
	var pairs []string
	for _, c := range "\\`*_{}[]()<>#+-.!|&~\"'" {
		pairs = append(pairs, string(c), "\\"+string(c))
	}
	return strings.NewReplacer(append(pairs, "\r", " ", "\n", " ")...)
}()

// mdText is untrusted text as inline markdown.
func mdText(s string) string { return mdEscaper.Replace(s) }

// mdCode is untrusted text as a code span: a code span's content is never
// read as HTML; its fence is longer than any run of backticks in it, and a
// pipe is escaped so that it does not split a table cell.
func mdCode(s string) string {
	s = strings.NewReplacer("\r", " ", "\n", " ", "|", "\\|").Replace(s)
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}
