package report

import (
	"fmt"
	"io"
	"strings"
)

type markdownFormat struct{}

// Format writes a report to paste in an issue or a pull request.
func (markdownFormat) Format(w io.Writer, r *Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# kestra-migrator %s\n\n", r.Command)
	if r.Server != nil {
		fmt.Fprintf(&b, "Server `%s`", *r.Server)
		if r.Tenant != nil && *r.Tenant != "" {
			fmt.Fprintf(&b, ", tenant `%s`", *r.Tenant)
		}
		b.WriteString(". ")
	}
	fmt.Fprintf(&b, "Run `%s`, %s.\n\n", r.RunID, r.FinishedAt.Format("2006-01-02 15:04:05Z07:00"))
	for _, warn := range r.Warnings {
		fmt.Fprintf(&b, "> **Warning:** %s\n\n", warn)
	}
	b.WriteString("| namespace | flows |")
	for _, s := range Statuses {
		fmt.Fprintf(&b, " %s |", s)
	}
	b.WriteString("\n|---|---:|" + strings.Repeat("---:|", len(Statuses)) + "\n")
	for _, ns := range r.Namespaces {
		mdRow(&b, "`"+ns.Namespace+"`", ns.Counts)
	}
	mdRow(&b, "**total**", r.Summary.Counts)
	for _, ns := range r.Namespaces {
		for _, it := range ns.Items {
			if it.Status != StatusUpToDate {
				mdItem(&b, it)
			}
		}
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
	fmt.Fprintf(b, "\n## `%s`: %s\n\n", it.flowName(), it.Status)
	if it.Reason != nil {
		fmt.Fprintf(b, "%s\n\n", *it.Reason)
	}
	for _, c := range it.Changes {
		fmt.Fprintf(b, "- `%s` (`%s`, %s): %s -> %s\n", c.Path, c.TaskID, c.Type, keyList(c.From), keyList(c.To))
	}
	for _, w := range it.Warnings {
		fmt.Fprintf(b, "- warning: %s\n", w)
	}
	if it.Diff != "" {
		fmt.Fprintf(b, "\n```diff\n%s```\n", it.Diff)
	}
}

func keyList(keys []string) string {
	if len(keys) == 0 {
		return "(nothing)"
	}
	return "`" + strings.Join(keys, "`, `") + "`"
}
