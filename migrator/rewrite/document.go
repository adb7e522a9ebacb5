package rewrite

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Document is one parsed YAML document together with its exact source text.
// It maps the parser's line/column marks back to byte offsets, so rules can
// splice the original text instead of re-serializing the tree.
type Document struct {
	Src  []byte
	Root *yaml.Node // the document's top-level node (a mapping for a flow)
	EOL  string     // "\n" or "\r\n": what new lines are written with

	lineStarts []int // byte offset of each line's first byte
	aliased    map[string]bool
}

// ParseError is a source that is not valid YAML; Line is 1-based (0 when unknown).
type ParseError struct {
	Line int
	Msg  string
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// ParseDocument parses src, which must hold at most one YAML document.
func ParseDocument(src []byte) (*Document, error) {
	var file yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(src))
	if err := dec.Decode(&file); err != nil {
		return nil, asParseError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &ParseError{Line: extra.Line, Msg: "several YAML documents in one flow source"}
	}
	d := &Document{Src: src, EOL: detectEOL(src)}
	if len(file.Content) > 0 {
		d.Root = file.Content[0]
	}
	d.lineStarts = lineStarts(src)
	d.aliased = map[string]bool{}
	walkNodes(d.Root, func(n *yaml.Node) {
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			d.aliased[n.Alias.Anchor] = true
		}
	})
	return d, nil
}

func asParseError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if _, scanErr := fmt.Sscanf(msg, "line %d:", &line); scanErr == nil {
		msg = strings.TrimSpace(msg[strings.IndexByte(msg, ':')+1:])
	}
	return &ParseError{Line: line, Msg: msg}
}

// hasOddLineBreaks finds a lone CR or a Unicode break (NEL, LS, PS): YAML
// counts them as line breaks, so the parser's line numbers would not match
// the LF-based line index.
func hasOddLineBreaks(src []byte) bool {
	for i := bytes.IndexByte(src, '\r'); i >= 0; {
		if i+1 >= len(src) || src[i+1] != '\n' {
			return true
		}
		j := bytes.IndexByte(src[i+1:], '\r')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return bytes.Contains(src, []byte("\u0085")) || bytes.Contains(src, []byte("\u2028")) || bytes.Contains(src, []byte("\u2029"))
}

func detectEOL(src []byte) string {
	if i := bytes.IndexByte(src, '\n'); i > 0 && src[i-1] == '\r' {
		return "\r\n"
	}
	return "\n"
}

func lineStarts(src []byte) []int {
	starts := make([]int, 1, bytes.Count(src, []byte{'\n'})+1)
	for i, b := range src {
		if b == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

func walkNodes(n *yaml.Node, fn func(*yaml.Node)) {
	if n == nil {
		return
	}
	fn(n)
	for _, c := range n.Content {
		walkNodes(c, fn)
	}
}

// lineCount is the number of lines (a final line without newline counts).
func (d *Document) lineCount() int { return len(d.lineStarts) }

// line returns the bytes of 0-based line i without its line ending.
func (d *Document) line(i int) []byte {
	start := d.lineStarts[i]
	end := len(d.Src)
	if i+1 < len(d.lineStarts) {
		end = d.lineStarts[i+1]
	}
	l := d.Src[start:end]
	l = bytes.TrimSuffix(l, []byte{'\n'})
	return bytes.TrimSuffix(l, []byte{'\r'})
}

// lineEnd returns the offset just past line i, including its line ending.
func (d *Document) lineEnd(i int) int {
	if i+1 < len(d.lineStarts) {
		return d.lineStarts[i+1]
	}
	return len(d.Src)
}

// offset converts a node's 1-based line and rune column to a byte offset.
func (d *Document) offset(n *yaml.Node) int {
	li := n.Line - 1
	if li < 0 || li >= len(d.lineStarts) {
		return -1
	}
	off := d.lineStarts[li]
	for col := 1; col < n.Column; col++ {
		if off >= len(d.Src) || d.Src[off] == '\n' {
			break
		}
		_, size := utf8.DecodeRune(d.Src[off:])
		off += size
	}
	return off
}

// column is the 0-based byte column of a node that starts a line's content;
// indentation is spaces only in YAML, so it equals the rune column there.
func (d *Document) column(n *yaml.Node) int {
	return d.offset(n) - d.lineStarts[n.Line-1]
}

// indentOf counts leading spaces; blank reports a line with nothing but white space.
func indentOf(l []byte) (indent int, blank bool) {
	for indent < len(l) && l[indent] == ' ' {
		indent++
	}
	rest := bytes.TrimLeft(l[indent:], " \t")
	return indent, len(rest) == 0
}

// span is a byte range [Start, End) of the source.
type span struct{ Start, End int }

// entry is one key/value pair of a block mapping with its text extent.
type entry struct {
	Key, Value *yaml.Node
	Col        int  // column of the key
	OnDash     bool // the key shares its line with a sequence dash ("- key: v")
	Span       span // from the line start (or the key, OnDash) through the last line of the value
	ContentEnd int  // end of the last value character, before that line's ending
}

// entryOf computes the extent of a block mapping entry: its key line, every
// following line indented deeper (or a dash line at the key's column when the
// value is a block sequence), and the comments inside. Comments indented
// deeper than the key right after the value belong to the entry's span (they
// go when it goes) but not to its value text; blank lines after it do not.
func (d *Document) entryOf(key, value *yaml.Node) entry {
	keyOff := d.offset(key)
	kl := key.Line - 1
	col := keyOff - d.lineStarts[kl]
	onDash := len(bytes.TrimLeft(d.Src[d.lineStarts[kl]:keyOff], " ")) > 0
	seqAtCol := value.Kind == yaml.SequenceNode && value.Style&yaml.FlowStyle == 0
	last, spanLast := kl, kl
	for i := kl + 1; i < d.lineCount(); i++ {
		l := d.line(i)
		ind, blank := indentOf(l)
		if blank {
			continue
		}
		if l[ind] == '#' { // a comment never ends an entry
			continue
		}
		if ind > col || (seqAtCol && ind == col && isDashLine(l[ind:])) {
			last, spanLast = i, i
			continue
		}
		break
	}
	// extend the span over the deeper comments that directly follow the value
	for i := last + 1; i < d.lineCount(); i++ {
		l := d.line(i)
		ind, blank := indentOf(l)
		if blank {
			continue
		}
		if l[ind] != '#' || ind <= col {
			break
		}
		spanLast = i
	}
	start := d.lineStarts[kl]
	if onDash {
		start = keyOff
	}
	return entry{Key: key, Value: value, Col: col, OnDash: onDash,
		Span:       span{start, d.lineEnd(spanLast)},
		ContentEnd: d.lineStarts[last] + len(d.line(last))}
}

func isDashLine(rest []byte) bool {
	return len(rest) > 0 && rest[0] == '-' && (len(rest) == 1 || rest[1] == ' ' || rest[1] == '\r')
}

// valueText returns the value's original text, from its first character to
// the entry's last content character (so it includes continuation lines and
// a trailing comment), and false when the value has no text of its own.
func (d *Document) valueText(e entry) (string, bool) {
	if isNullNode(e.Value) && e.Value.Value == "" && e.Value.Style == 0 && e.Value.Tag == "!!null" {
		// an empty value: the parser puts its mark at the key's end
		return "", false
	}
	off := d.offset(e.Value)
	if off < d.offset(e.Key) || off > e.ContentEnd {
		return "", false
	}
	return string(d.Src[off:e.ContentEnd]), true
}

// mappingEntries lists the entries of a block mapping, keyed by scalar key.
func (d *Document) mappingEntries(m *yaml.Node) []entry {
	out := make([]entry, 0, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		out = append(out, d.entryOf(m.Content[i], m.Content[i+1]))
	}
	return out
}

// reindent shifts every non-blank line after the first by delta spaces
// (negative removes); the first line is positioned by the caller.
func reindent(text string, delta int) (string, bool) {
	if delta == 0 || !bytes.ContainsRune([]byte(text), '\n') {
		return text, true
	}
	var b bytes.Buffer
	b.Grow(len(text) + 16)
	for i, l := range bytes.SplitAfter([]byte(text), []byte{'\n'}) {
		if i == 0 {
			b.Write(l)
			continue
		}
		ind, blank := indentOf(l)
		switch {
		case blank:
			b.Write(l)
		case delta > 0:
			b.Write(bytes.Repeat([]byte{' '}, delta))
			b.Write(l)
		case ind < -delta:
			return "", false // would cut into the text itself
		default:
			b.Write(l[-delta:])
		}
	}
	return b.String(), true
}

func isNullNode(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}
