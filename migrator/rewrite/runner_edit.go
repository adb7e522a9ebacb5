package rewrite

import (
	"strings"
)

// planBuilder writes the text edits of one task: the legacy entries' lines
// go, the new entries are written in their place at the task's indentation.
type planBuilder struct {
	*MappingEditor
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
	b.ReplaceEntry(*legacy[0], lines)
	for _, e := range legacy[1:] {
		b.ReplaceEntry(*e, nil)
	}
	if replaceTR {
		b.ReplaceEntry(*p.tr, b.taskRunnerLines(newTR, opts))
	}
	if image != nil && p.ci != nil {
		b.ReplaceValue(*p.ci, "containerImage: ", b.imageText(image))
	}
	edits, reason := b.Edits()
	b.o.Edits = edits
	if reason != "" && b.o.Unsupported == "" {
		b.o.Unsupported = reason
	}
}

// taskRunnerLines writes the taskRunner entry with the carried docker options.
func (b *planBuilder) taskRunnerLines(typ string, opts []carried) []string {
	step := strings.Repeat(" ", b.step)
	lines := []string{"taskRunner:", step + "type: " + typ}
	for _, c := range opts {
		lines = append(lines, step+b.moved(c, b.Col+b.step))
	}
	return lines
}

func (b *planBuilder) imageText(c *carried) string { return b.moved(*c, b.Col) }

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
