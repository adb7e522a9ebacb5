package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Formatter writes a report in one output format.
type Formatter interface {
	Format(w io.Writer, r *Report) error
}

// RunsFormatter is a format that also lists runs (`runs`).
type RunsFormatter interface {
	FormatRuns(w io.Writer, l *RunList) error
}

// SnapshotsFormatter is a format that also lists snapshots (`snapshots list`).
type SnapshotsFormatter interface {
	FormatSnapshots(w io.Writer, l *SnapshotList) error
}

// DemoFormatter is a format that writes the demo's reports as one document
// (json); the others write the reports one after the other.
type DemoFormatter interface {
	FormatDemo(w io.Writer, d *Demo) error
}

// Formats is the one registry of output formats, by name: every format
// writes a *Report, and the interfaces above say what else it can write.
var Formats = map[string]Formatter{
	"table":    tableFormat{},
	"json":     jsonFormat{},
	"markdown": markdownFormat{},
	"diff":     diffFormat{},
	"html":     htmlFormat{},
}

// Document is what a command prints: a *Report, a *RunList, a
// *SnapshotList or a *Demo.
type Document interface{ Kind() Kind }

// Kind names a sort of document.
type Kind string

// The kinds of document.
const (
	KindReport    Kind = "report"
	KindRuns      Kind = "runs"
	KindSnapshots Kind = "snapshots"
	KindDemo      Kind = "demo"
)

// Kind implements Document.
func (*Report) Kind() Kind { return KindReport }

// FormatNames lists every format.
func FormatNames() []string {
	names := make([]string, 0, len(Formats))
	for n := range Formats {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// FormatsFor lists the formats that can write a document of kind k.
func FormatsFor(k Kind) []string {
	var names []string
	for _, n := range FormatNames() {
		if supports(Formats[n], k) {
			names = append(names, n)
		}
	}
	return names
}

func supports(f Formatter, k Kind) bool {
	switch k {
	case KindRuns:
		_, ok := f.(RunsFormatter)
		return ok
	case KindSnapshots:
		_, ok := f.(SnapshotsFormatter)
		return ok
	case KindDemo:
		_, ok := f.(htmlFormat) // four pages in one file would not open
		return !ok
	}
	return true
}

// NewFormatter returns the report formatter called name.
func NewFormatter(name string) (Formatter, error) {
	f, ok := Formats[name]
	if !ok {
		return nil, fmt.Errorf("unknown format %q (want one of %s)", name, strings.Join(FormatNames(), ", "))
	}
	return f, nil
}

// Write writes d in the format called name, or says that this format cannot
// write that kind of document.
func Write(w io.Writer, name string, d Document) error {
	f, ok := Formats[name]
	if !ok || !supports(f, d.Kind()) {
		return fmt.Errorf("%s cannot be written as %q (want one of %s)", d.Kind(), name, strings.Join(FormatsFor(d.Kind()), ", "))
	}
	switch d := d.(type) {
	case *Report:
		return f.Format(w, d)
	case *RunList:
		return f.(RunsFormatter).FormatRuns(w, d)
	case *SnapshotList:
		return f.(SnapshotsFormatter).FormatSnapshots(w, d)
	case *Demo:
		if df, ok := f.(DemoFormatter); ok {
			return df.FormatDemo(w, d)
		}
		for _, r := range d.Reports {
			if _, isTable := f.(tableFormat); isTable { // a table does not say which command it reports
				if _, err := fmt.Fprintf(w, "\n== kestra-migrator %s\n\n", r.Command); err != nil {
					return err
				}
			}
			if err := f.Format(w, r); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("unknown document %T", d)
}

// Allowed reports whether the format called name can write kind k.
func Allowed(name string, k Kind) bool {
	f, ok := Formats[name]
	return ok && supports(f, k)
}

// flowName is "namespace/id", or the file for fix.
func (it Item) flowName() string {
	name := it.Namespace + "/" + it.ID
	if it.File != "" {
		name = it.File
		if it.ID != "" {
			name += " (" + it.Namespace + "/" + it.ID + ")"
		}
	}
	return name
}

// detail is the explanation of an item's status, warnings in full.
func (it Item) detail() string {
	var parts []string
	if it.Reason != nil {
		parts = append(parts, *it.Reason)
	}
	if n := len(it.Changes); n > 0 {
		parts = append(parts, plural(n, "task", "tasks")+": "+changeList(it.Changes))
	}
	for _, w := range it.Warnings {
		parts = append(parts, "warning: "+warningText(w))
	}
	return strings.Join(parts, "; ")
}

// warningText is a warning as one readable line: a detection's code and
// severity, the path, the message.
func warningText(w Warning) string {
	text := w.Message
	if w.Path != "" && !strings.Contains(w.Message, w.Path) {
		text = w.Path + ": " + text
	}
	if w.Code != "" {
		text = "[" + strings.TrimSuffix(w.Code+", "+string(w.Severity), ", ") + "] " + text
	}
	return text
}

// plural writes "1 namespace", "2 namespaces".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func changeList(cs []Change) string {
	ids := make([]string, 0, len(cs))
	for _, c := range cs {
		id := c.TaskID
		if id == "" {
			id = c.Path
		}
		ids = append(ids, id)
	}
	return strings.Join(ids, ", ")
}

func revisions(it Item) string {
	switch {
	case it.Revision != nil && it.NewRevision != nil:
		return fmt.Sprintf("%d -> %d", *it.Revision, *it.NewRevision)
	case it.Revision != nil:
		return fmt.Sprint(*it.Revision)
	}
	return ""
}
