package rewrite

import (
	"bytes"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MappingEditor writes the text edits of one block mapping (a task, a
// defaults entry's values...) for any rule: an entry's lines replaced by
// new lines written at the mapping's column, in the file's line ending, or a
// value replaced in place. The edits go to the original text; the rule
// states the matching tree change for verification.
type MappingEditor struct {
	d     *Document
	m     *yaml.Node
	Col   int // the column of the mapping's keys
	edits []Edit
	// reason is set when an edit cannot be made cleanly: the change must
	// then be refused (unsupported) rather than guessed.
	reason string
}

// NewMappingEditor edits block mapping m, whose keys stand at column col.
func NewMappingEditor(d *Document, m *yaml.Node, col int) *MappingEditor {
	return &MappingEditor{d: d, m: m, Col: col}
}

// Edits returns the edits, merged where they touch, with a missing final
// newline kept missing; reason is non-empty when one could not be made.
func (e *MappingEditor) Edits() (edits []Edit, reason string) {
	return coalesce(e.edits, e.d), e.reason
}

// ReplaceEntry swaps an entry for lines written at the mapping's column
// (nil removes it).
func (e *MappingEditor) ReplaceEntry(en entry, lines []string) {
	d := e.d
	text := e.block(lines, en.OnDash)
	start, end := en.Span.Start, en.Span.End
	if text == "" && en.OnDash {
		// "- runner: X" goes: pull the next key up onto the dash line
		next := nextKeyOffset(d, e.m, en.Key)
		if next < 0 || strings.Trim(string(d.Src[end:next]), " ") != "" {
			e.reason = "a key to remove shares its line with the sequence dash and cannot be removed cleanly"
			return
		}
		end = next
	}
	e.add(start, end, text)
}

// ReplaceValue rewrites an existing entry's value in place, keeping its key
// text; line ("key: ") starts the entry written anew when the value has no
// text of its own or the key is explicit ("? key").
func (e *MappingEditor) ReplaceValue(en entry, line, value string) {
	if _, ok := e.d.valueText(en); !ok || en.Explicit {
		e.add(en.Span.Start, en.Span.End, e.block([]string{line + value}, en.OnDash))
		return
	}
	e.add(e.d.offset(en.Value), en.ContentEnd, value)
}

// add records an edit.
func (e *MappingEditor) add(start, end int, text string) {
	e.edits = append(e.edits, Edit{Start: start, End: end, Text: text})
}

// block joins lines at the mapping's column, each ended with the file's EOL.
func (e *MappingEditor) block(lines []string, firstOnDash bool) string {
	var sb strings.Builder
	indent := strings.Repeat(" ", e.Col)
	for i, l := range lines {
		if i > 0 || !firstOnDash {
			sb.WriteString(indent)
		}
		sb.WriteString(l)
		sb.WriteString(e.d.EOL)
	}
	return sb.String()
}

// coalesce merges edits that touch (runner then docker, say) and keeps a
// missing final newline missing.
func coalesce(edits []Edit, d *Document) []Edit {
	sort.Slice(edits, func(i, j int) bool { return edits[i].Start < edits[j].Start })
	out := edits[:0]
	for _, e := range edits {
		if n := len(out); n > 0 && out[n-1].End == e.Start {
			out[n-1].End, out[n-1].Text = e.End, out[n-1].Text+e.Text
			continue
		}
		out = append(out, e)
	}
	src := d.Src
	if n := len(out); n > 0 && out[n-1].End == len(src) && !bytes.HasSuffix(src, []byte{'\n'}) {
		last := &out[n-1]
		if last.Text != "" {
			last.Text = strings.TrimSuffix(last.Text, d.EOL)
		} else {
			for last.Start > 0 && (src[last.Start-1] == '\n' || src[last.Start-1] == '\r') {
				last.Start--
			}
		}
	}
	return out
}

// nextKeyOffset is the offset of the key after k in mapping m, or -1.
func nextKeyOffset(d *Document, m, k *yaml.Node) int {
	for i := 0; i+2 < len(m.Content); i += 2 {
		if m.Content[i] == k {
			return d.offset(m.Content[i+2])
		}
	}
	return -1
}

// IndentStep is the indentation step to write nested entries of mapping m
// with: that of the first nested block mapping inside m, else the
// document's, else 2.
func (d *Document) IndentStep(m *yaml.Node) int {
	if s := d.blockStep(m); s > 0 {
		return s
	}
	return d.documentStep()
}

// documentStep is the document's indentation step, computed once: asking
// the whole document again for every task made large flows quadratic.
func (d *Document) documentStep() int {
	if d.step == 0 {
		d.step = d.blockStep(d.Root)
		if d.step <= 0 {
			d.step = 2
		}
	}
	return d.step
}

// blockStep finds the first block mapping nested as a value on its own lines
// below n and returns its column minus its key's column.
func (d *Document) blockStep(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	if n.Kind == yaml.MappingNode && n.Style&yaml.FlowStyle == 0 {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v.Kind == yaml.MappingNode && v.Style&yaml.FlowStyle == 0 && len(v.Content) > 0 && v.Content[0].Line > k.Line {
				if s := d.column(v.Content[0]) - d.column(k); s > 0 {
					return s
				}
			}
		}
	}
	for _, c := range n.Content {
		if s := d.blockStep(c); s > 0 {
			return s
		}
	}
	return 0
}
