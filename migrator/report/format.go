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

// Formats lists the output formats by name.
var Formats = map[string]Formatter{
	"table":    tableFormat{},
	"json":     jsonFormat{},
	"markdown": markdownFormat{},
	"diff":     diffFormat{},
	"html":     htmlFormat{},
}

// FormatNames lists the accepted --format values.
func FormatNames() []string {
	names := make([]string, 0, len(Formats))
	for n := range Formats {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// NewFormatter returns the formatter called name.
func NewFormatter(name string) (Formatter, error) {
	f, ok := Formats[name]
	if !ok {
		return nil, fmt.Errorf("unknown format %q (want one of %s)", name, strings.Join(FormatNames(), ", "))
	}
	return f, nil
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

// detail is the one-line explanation of an item's status.
func (it Item) detail() string {
	var parts []string
	if it.Reason != nil {
		parts = append(parts, *it.Reason)
	}
	if n := len(it.Changes); n > 0 {
		parts = append(parts, fmt.Sprintf("%d task(s): %s", n, changeList(it.Changes)))
	}
	if n := len(it.Warnings); n > 0 {
		parts = append(parts, fmt.Sprintf("%d warning(s)", n))
	}
	return strings.Join(parts, "; ")
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
