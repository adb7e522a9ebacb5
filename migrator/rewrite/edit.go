package rewrite

import (
	"bytes"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The generic edits every rule builds on. Each returns the text edit and the
// matching change to the parsed tree (the expected result the rewrite
// verifies the edited text against), or false when the text is written in a
// way the edit cannot handle safely: the rule then reports the construct as
// unsupported instead of guessing.

// RenameKey renames the key of m's entry key to name, keeping the key's
// quoting. The key must be written on one line.
func (d *Document) RenameKey(m *yaml.Node, key, name string) (Edit, func(), bool) {
	i := mapIndex(m, key)
	if i < 0 {
		return Edit{}, nil, false
	}
	k := m.Content[i]
	e, ok := d.replaceScalarText(k, name)
	if !ok {
		return Edit{}, nil, false
	}
	return e, func() { k.Value = name }, true
}

// ReplaceScalar writes value in place of the scalar n (a key or a value
// written on one line), keeping its quoting; value must need no escaping in
// that style.
func (d *Document) ReplaceScalar(n *yaml.Node, value string) (Edit, func(), bool) {
	e, ok := d.replaceScalarText(n, value)
	if !ok {
		return Edit{}, nil, false
	}
	return e, func() { n.Value = value }, true
}

// replaceScalarText swaps the characters of a one-line scalar, quotes kept.
func (d *Document) replaceScalarText(n *yaml.Node, value string) (Edit, bool) {
	if n.Kind != yaml.ScalarNode || n.Anchor != "" || n.Tag != "" && n.Style&yaml.TaggedStyle != 0 {
		return Edit{}, false
	}
	sp, ok := d.scalarSpan(n)
	if !ok {
		return Edit{}, false
	}
	text := value
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		if strings.ContainsAny(value, "\"\\\n") {
			return Edit{}, false
		}
		text = `"` + value + `"`
	case n.Style&yaml.SingleQuotedStyle != 0:
		if strings.ContainsAny(value, "'\n") {
			return Edit{}, false
		}
		text = "'" + value + "'"
	default:
		if !plainSafe(value) {
			return Edit{}, false
		}
	}
	return Edit{Start: sp.Start, End: sp.End, Text: text}, true
}

// plainSafe reports whether s reads back as the same string when written as
// a plain scalar on one line (conservative: identifiers, type names, enums).
func plainSafe(s string) bool {
	if s == "" || strings.ContainsAny(s[:1], "-?:,[]{}#&*!|>'\"%@`") {
		return false
	}
	return !strings.ContainsAny(s, "\n\r\t#") && !strings.Contains(s, ": ") && !strings.HasSuffix(s, ":") &&
		strings.TrimSpace(s) == s
}

// scalarSpan returns the byte span of a scalar written on one line: plain,
// single- or double-quoted.
func (d *Document) scalarSpan(n *yaml.Node) (span, bool) {
	if n.Kind != yaml.ScalarNode || n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return span{}, false
	}
	off := d.offset(n)
	if off < 0 {
		return span{}, false
	}
	line := d.Src[off:]
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	line = bytes.TrimSuffix(line, []byte{'\r'})
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		end, ok := quotedEnd(line, '"')
		return span{off, off + end}, ok
	case n.Style&yaml.SingleQuotedStyle != 0:
		end, ok := quotedEnd(line, '\'')
		return span{off, off + end}, ok
	}
	// a plain scalar on one line is written exactly as its value
	if !bytes.HasPrefix(line, []byte(n.Value)) || strings.ContainsAny(n.Value, "\n") {
		return span{}, false
	}
	rest := line[len(n.Value):]
	if len(rest) > 0 && !(rest[0] == ' ' || rest[0] == '\t' || rest[0] == ':' || rest[0] == ',' || rest[0] == ']' || rest[0] == '}') {
		return span{}, false
	}
	return span{off, off + len(n.Value)}, true
}

// quotedEnd finds the end (past the closing quote) of a quoted scalar that
// starts line, on that line only.
func quotedEnd(line []byte, q byte) (int, bool) {
	if len(line) == 0 || line[0] != q {
		return 0, false
	}
	for i := 1; i < len(line); i++ {
		switch {
		case q == '"' && line[i] == '\\':
			i++
		case line[i] == q && q == '\'' && i+1 < len(line) && line[i+1] == '\'':
			i++
		case line[i] == q:
			return i + 1, true
		}
	}
	return 0, false
}

// RemoveEntry removes the entry key of the block mapping m: its lines and
// the comments inside it. It refuses an entry that shares its line with a
// sequence dash (the next key would have to move) and the last entry of a
// mapping (the mapping would become null).
func (d *Document) RemoveEntry(m *yaml.Node, key string) (Edit, func(), bool) {
	i := mapIndex(m, key)
	if i < 0 || m.Style&yaml.FlowStyle != 0 || len(m.Content) <= 2 {
		return Edit{}, nil, false
	}
	e := d.entryOf(m.Content[i], m.Content[i+1])
	if e.OnDash || m.Content[i+1].Anchor != "" {
		return Edit{}, nil, false
	}
	sp := e.Span
	if sp.End == len(d.Src) && !bytes.HasSuffix(d.Src, []byte{'\n'}) {
		// the last line has no line ending: keep it missing
		for sp.Start > 0 && (d.Src[sp.Start-1] == '\n' || d.Src[sp.Start-1] == '\r') {
			sp.Start--
		}
	}
	k := m.Content[i] // by identity: another removal in m may shift the indexes first
	return Edit{Start: sp.Start, End: sp.End}, func() { removePair(m, k) }, true
}

// splicePairs puts pairs after the pair whose key node is k (keep), or in
// its place; the pair is found by identity, so other changes of m before
// this one do not shift it. False when m has no such pair (any more).
func splicePairs(m, k *yaml.Node, keep bool, pairs []*yaml.Node) bool {
	for j := 0; j+1 < len(m.Content); j += 2 {
		if m.Content[j] == k {
			at := j
			if keep {
				at = j + 2
			}
			rest := append([]*yaml.Node{}, m.Content[j+2:]...)
			m.Content = append(append(m.Content[:at], pairs...), rest...)
			return true
		}
	}
	return false
}

// removePair deletes the pair whose key node is k (found by identity, so
// other removals before it do not shift it).
func removePair(m, k *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i] == k {
			m.Content = append(m.Content[:i:i], m.Content[i+2:]...)
			return
		}
	}
}

// InsertAfter adds entries after the entry key of the block mapping m, at
// that entry's column. lines are "key: value" lines relative to the entry's
// column (deeper lines start with spaces); they are written with the file's
// line ending and must parse as a block mapping.
func (d *Document) InsertAfter(m *yaml.Node, key string, lines []string) (Edit, func(), bool) {
	i := mapIndex(m, key)
	if i < 0 || m.Style&yaml.FlowStyle != 0 || len(lines) == 0 {
		return Edit{}, nil, false
	}
	var added yaml.Node
	if err := yaml.Unmarshal([]byte(strings.Join(lines, "\n")), &added); err != nil ||
		len(added.Content) != 1 || added.Content[0].Kind != yaml.MappingNode {
		return Edit{}, nil, false
	}
	e := d.entryOf(m.Content[i], m.Content[i+1])
	pad := strings.Repeat(" ", e.Col)
	var b strings.Builder
	at := e.Span.End
	if at == len(d.Src) && !bytes.HasSuffix(d.Src, []byte{'\n'}) {
		// no line ending after the last entry: start the new lines with one
		// and end without, as the file did
		for _, l := range lines {
			b.WriteString(d.EOL + pad + l)
		}
	} else {
		for _, l := range lines {
			b.WriteString(pad + l + d.EOL)
		}
	}
	newPairs := added.Content[0].Content
	k := m.Content[i]
	return Edit{Start: at, End: at, Text: b.String()}, func() { splicePairs(m, k, true, newPairs) }, true
}

// Offset is the byte offset in Src where node n starts.
func (d *Document) Offset(n *yaml.Node) int { return d.offset(n) }

// MapValue returns the value of key in mapping m, or nil.
func MapValue(m *yaml.Node, key string) *yaml.Node { return mapValue(m, key) }

// WalkTasks calls visit for every task mapping (a mapping with scalar id and
// type) anywhere in the document, with its path such as "tasks[1].then[0]".
func (d *Document) WalkTasks(visit func(task *yaml.Node, path string)) { walkTasks(d.Root, "", visit) }
