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
	mdReadiness(&b, r)
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

// mdCodeFlowsMax is how many flows the markdown names under each code; the
// flows' own sections list them all.
const mdCodeFlowsMax = 10

// mdReadiness writes the readiness section: the flows per namespace by
// class, then each code with its guide's link, its severity and its flows.
func mdReadiness(b *strings.Builder, r *Report) {
	if note := unassessedNote(r); note != "" {
		fmt.Fprintf(b, "\n%s.\n", mdText(strings.ToUpper(note[:1])+note[1:]))
		return
	}
	sum := r.Readiness
	if sum.Assessed() == 0 {
		return
	}
	classes := shownClasses(sum)
	b.WriteString("\n## Readiness\n\n| namespace |")
	for _, c := range classes {
		fmt.Fprintf(b, " %s |", c)
	}
	b.WriteString(" codes (flows) |\n|---|" + strings.Repeat("---:|", len(classes)) + "---|\n")
	row := func(name string, rd Readiness) {
		fmt.Fprintf(b, "| %s |", name)
		for _, c := range classes {
			fmt.Fprintf(b, " %d |", rd.Get(c))
		}
		codes := rd.Codes()
		for i, code := range codes {
			codes[i] = fmt.Sprintf("%s %d", mdCode(code), rd.ByCode[code])
		}
		fmt.Fprintf(b, " %s |\n", strings.Join(codes, ", "))
	}
	for _, ns := range r.Namespaces {
		row(mdCode(ns.Namespace), ns.Readiness)
	}
	row("**total**", sum)
	codes := reportCodes(r)
	if len(codes) == 0 {
		return
	}
	b.WriteString("\n### By code\n\n")
	for _, c := range codes {
		name := mdCode(c.Code)
		if c.URL != "" {
			name = "[" + name + "](" + mdURL(c.URL) + ")"
		}
		b.WriteString("- " + name)
		if c.Severity != "" {
			fmt.Fprintf(b, " (%s)", mdText(string(c.Severity)))
		}
		fmt.Fprintf(b, ": %s", plural(c.Flows, "flow", "flows"))
		for i, it := range c.Items[:min(len(c.Items), mdCodeFlowsMax)] {
			sep := ", "
			if i == 0 {
				sep = ": "
			}
			b.WriteString(sep + mdCode(it.flowName()))
		}
		if n := c.Flows - min(len(c.Items), mdCodeFlowsMax); n > 0 && len(c.Items) > 0 {
			fmt.Fprintf(b, " and %d more", n)
		}
		b.WriteString("\n")
	}
}

// mdURLEscaper percent-encodes what could end a link destination or be read
// as markdown inside it; the URL is already an absolute http(s) one.
var mdURLEscaper = strings.NewReplacer(" ", "%20", "<", "%3C", ">", "%3E", "(", "%28", ")", "%29", "[", "%5B", "]", "%5D",
	"\\", "%5C", "`", "%60", "\"", "%22", "'", "%27", "|", "%7C", "*", "%2A", "\n", "%0A", "\r", "%0D")

func mdURL(u string) string { return mdURLEscaper.Replace(u) }

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
