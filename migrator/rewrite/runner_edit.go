package rewrite

import (
	"bytes"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// planBuilder writes the text edits of one task: the legacy entries' lines
// go, the new entries are written in their place at the task's indentation.
type planBuilder struct {
	d    *Document
	p    *taskPlan
	step int
	o    *Outcome
}

func (b *planBuilder) edits(newTR string, replaceTR bool, image *carried, addOD bool) {
	p := b.p
	var opts []carried
	if image != nil || (newTR != "" && typeIn(newTR, knownDockerTypes)) {
		opts = p.options
	}
	var lines []string
	if newTR != "" && !replaceTR {
		lines = append(lines, b.taskRunnerLines(newTR, opts)...)
	}
	if image != nil && p.ci == nil {
		lines = append(lines, "containerImage: "+b.imageText(image))
	}
	if addOD {
		lines = append(lines, "outputDirectory: true")
	}
	legacy := sortedEntries(p.runner, p.docker)
	b.replace(legacy[0], lines)
	for _, e := range legacy[1:] {
		b.replace(e, nil)
	}
	if replaceTR {
		b.replace(p.tr, b.taskRunnerLines(newTR, opts))
	}
	if image != nil && p.ci != nil {
		b.replaceValue(p.ci, "containerImage: ", b.imageText(image))
	}
	b.o.Edits = coalesce(b.o.Edits, b.d)
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

// taskRunnerLines writes the taskRunner entry with the carried docker options.
func (b *planBuilder) taskRunnerLines(typ string, opts []carried) []string {
	step := strings.Repeat(" ", b.step)
	lines := []string{"taskRunner:", step + "type: " + typ}
	for _, c := range opts {
		lines = append(lines, step+b.moved(c, b.p.col+b.step))
	}
	return lines
}

func (b *planBuilder) imageText(c *carried) string { return b.moved(*c, b.p.col) }

// moved re-indents a carried text's continuation lines for its new column.
func (b *planBuilder) moved(c carried, newCol int) string {
	if c.col < 0 {
		return c.text
	}
	text, ok := reindent(c.text, newCol-c.col)
	if !ok {
		b.o.Unsupported = "a carried docker value cannot be re-indented: migrate it by hand"
	}
	return text
}

// replace swaps an entry for lines written at the task's column (nil removes it).
func (b *planBuilder) replace(e *entry, lines []string) {
	d := b.d
	text := b.block(lines, e.OnDash)
	start, end := e.Span.Start, e.Span.End
	if text == "" && e.OnDash {
		// "- runner: X" goes: pull the next key up onto the dash line
		next := nextKeyOffset(d, b.p.m, e.Key)
		if next < 0 || strings.Trim(string(d.Src[end:next]), " ") != "" {
			b.o.Unsupported = "a legacy key shares its line with the sequence dash and cannot be removed cleanly"
			return
		}
		end = next
	}
	b.add(start, end, text)
}

// replaceValue rewrites an existing entry's value in place, keeping its key text.
func (b *planBuilder) replaceValue(e *entry, line, value string) {
	if _, ok := b.d.valueText(*e); !ok {
		b.add(e.Span.Start, e.Span.End, b.block([]string{line + value}, e.OnDash))
		return
	}
	b.add(b.d.offset(e.Value), e.ContentEnd, value)
}

// add records an edit.
func (b *planBuilder) add(start, end int, text string) {
	b.o.Edits = append(b.o.Edits, Edit{Start: start, End: end, Text: text})
}

// block joins lines at the task's column, each ended with the file's EOL.
func (b *planBuilder) block(lines []string, firstOnDash bool) string {
	var sb strings.Builder
	indent := strings.Repeat(" ", b.p.col)
	for i, l := range lines {
		if i > 0 || !firstOnDash {
			sb.WriteString(indent)
		}
		sb.WriteString(l)
		sb.WriteString(b.d.EOL)
	}
	return sb.String()
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

// indentStep is the task's existing indentation step: the first nested block
// mapping inside the task, else in the document, else 2.
func (d *Document) indentStep(p *taskPlan) int {
	if s := d.blockStep(p.m); s > 0 {
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

// flowValueText returns the text of a value inside a flow collection.
func flowValueText(src []byte, off int) (string, bool) {
	if off < 0 || off >= len(src) {
		return "", false
	}
	end, ok := flowTokenEnd(src, off)
	if !ok {
		return "", false
	}
	return strings.TrimRight(string(src[off:end]), " \t"), true
}

// flowTokenEnd finds the end of the flow token starting at i: a quoted
// scalar, a nested collection, or a plain scalar.
func flowTokenEnd(src []byte, i int) (int, bool) {
	switch src[i] {
	case '"':
		for j := i + 1; j < len(src); j++ {
			switch src[j] {
			case '\\':
				j++
			case '"':
				return j + 1, true
			}
		}
		return 0, false
	case '\'':
		for j := i + 1; j < len(src); j++ {
			if src[j] == '\'' {
				if j+1 < len(src) && src[j+1] == '\'' {
					j++
					continue
				}
				return j + 1, true
			}
		}
		return 0, false
	case '[', '{':
		return flowCollectionEnd(src, i)
	}
	for j := i; j < len(src); j++ {
		c := src[j]
		if c == ',' || c == '}' || c == ']' || c == '\n' || c == '\r' || (c == '#' && j > i && (src[j-1] == ' ' || src[j-1] == '\t')) {
			return j, true
		}
	}
	return len(src), true
}

func flowCollectionEnd(src []byte, i int) (int, bool) {
	depth := 0
	for j := i; j < len(src); j++ {
		switch src[j] {
		case '"', '\'':
			end, ok := flowTokenEnd(src, j)
			if !ok {
				return 0, false
			}
			j = end - 1
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				return j + 1, true
			}
		}
	}
	return 0, false
}
