package rewrite

import (
	"bytes"
	"fmt"
	"io"
	"sort"
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
	step       int             // the document's indentation step, once known (documentStep)
	mappings   []placedMapping // walkMappings of Root, once walked (eachMapping)
	walked     bool
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
	text := yamlVersionAsRead(src)
	if mayHoldSeveralDocuments(text) {
		dec := yaml.NewDecoder(bytes.NewReader(text))
		if err := dec.Decode(&file); err != nil && err != io.EOF {
			return nil, clampLine(asParseError(err), src)
		}
		var extra yaml.Node
		switch err := dec.Decode(&extra); {
		case err == nil:
			return nil, &ParseError{Line: extra.Line, Msg: "several YAML documents in one flow source"}
		case err != io.EOF:
			return nil, clampLine(asParseError(err), src)
		}
	} else if err := yaml.Unmarshal(text, &file); err != nil {
		// parsing the bytes in place: the decoder's reader path copies and allocates
		return nil, clampLine(asParseError(err), src)
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
		if isParserProblem(msg) {
			line++ // the YAML package gives a parser error's line 0-based (a scanner's 1-based)
		}
	}
	return &ParseError{Line: line, Msg: msg}
}

// mayHoldSeveralDocuments: a second document needs a "---" or "..." marker
// at the start of a line after the first; without one, a single parse of
// the first document reads the whole text.
func mayHoldSeveralDocuments(src []byte) bool {
	return bytes.HasPrefix(src, []byte("...")) ||
		bytes.Contains(src, []byte("\n---")) || bytes.Contains(src, []byte("\n...")) ||
		bytes.Contains(src, []byte("\r---")) || bytes.Contains(src, []byte("\r..."))
}

// clampLine keeps an error found at the end of the input (an unclosed
// bracket) on the last line of the text, not on the one after it.
func clampLine(err error, src []byte) error {
	pe, ok := err.(*ParseError)
	if !ok {
		return err
	}
	last := bytes.Count(src, []byte{'\n'})
	if len(src) > 0 && src[len(src)-1] != '\n' {
		last++
	}
	if pe.Line > last && last > 0 {
		pe.Line = last
	}
	return pe
}

// parserProblems are the messages of the YAML package's parser (as opposed
// to its scanner), whose line it reports 0-based.
var parserProblems = []string{
	"did not find expected <document start>", "did not find expected <stream-start>",
	"did not find expected node content", "did not find expected key", "did not find expected '-' indicator",
	"did not find expected ',' or ']'", "did not find expected ',' or '}'",
	"found duplicate %TAG directive", "found duplicate %YAML directive", "found incompatible YAML document",
	"found undefined tag handle",
}

func isParserProblem(msg string) bool {
	for _, p := range parserProblems {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// yamlVersionAsRead returns src with a "%YAML 1.x" directive read as 1.1,
// the only version the YAML package accepts: Kestra's parser reads 1.2
// documents, and for flows the two versions differ in nothing the rules
// touch. The replacement has the same length, so every offset holds, and
// the edits go to the original text, which keeps its directive.
func yamlVersionAsRead(src []byte) []byte {
	for off := 0; off < len(src); {
		end := bytes.IndexByte(src[off:], '\n')
		next := len(src)
		if end >= 0 {
			next = off + end + 1
		}
		l := bytes.TrimRight(src[off:next], "\r\n")
		switch {
		case bytes.HasPrefix(l, []byte("%YAML")):
			f := bytes.Fields(l[len("%YAML"):])
			if len(f) > 0 && len(f[0]) == 3 && f[0][0] == '1' && f[0][1] == '.' && f[0][2] >= '0' && f[0][2] <= '9' && f[0][2] != '1' {
				out := append([]byte(nil), src...)
				at := off + bytes.Index(l, f[0])
				out[at+2] = '1'
				return out
			}
			return src
		case len(bytes.TrimSpace(l)) == 0, l[0] == '#', l[0] == '%':
			off = next
			continue
		}
		return src // the document's content starts: no directive
	}
	return src
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
	for off := 0; ; {
		i := bytes.IndexByte(src[off:], '\n')
		if i < 0 {
			return starts
		}
		off += i + 1
		starts = append(starts, off)
	}
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
	Col        int  // column of the key (of the "?" of an explicit key)
	OnDash     bool // the key shares its line with a sequence dash ("- key: v")
	Explicit   bool // the key is written "? key", its value on a ": value" line
	Span       span // from the line start (or the key, OnDash) through the last line of the value
	ContentEnd int  // end of the last value character, before that line's ending
}

// entryOf computes the extent of a block mapping entry: its key line, every
// following line indented deeper (or a dash line at the key's column when the
// value is a block sequence; the ": value" line of an explicit key; the line
// closing a flow collection), and the comments inside. Comments indented
// deeper than the key right after the value belong to the entry's span (they
// go when it goes) but not to its value text; blank lines after it do not,
// unless a block scalar with the keep indicator (|+) ends the value: they
// are part of that value.
func (d *Document) entryOf(key, value *yaml.Node) entry {
	keyOff := d.offset(key)
	kl := key.Line - 1
	lineStart := d.lineStarts[kl]
	col := keyOff - lineStart
	before := d.Src[lineStart:keyOff]
	explicit := false
	if q := explicitKeyMark(before); q >= 0 {
		explicit, col, keyOff = true, q, lineStart+q
		before = d.Src[lineStart:keyOff]
	}
	onDash := len(bytes.TrimLeft(before, " ")) > 0
	seqAtCol := value.Kind == yaml.SequenceNode && value.Style&yaml.FlowStyle == 0
	last, spanLast := kl, kl
	if flowEnd := d.flowEnd(value); flowEnd > 0 {
		last = d.lineOf(flowEnd - 1)
	}
	valueLine := !explicit
	for i := last + 1; i < d.lineCount(); i++ {
		l := d.line(i)
		ind, blank := indentOf(l)
		if blank {
			continue
		}
		if l[ind] == '#' { // a comment never ends an entry
			continue
		}
		if ind > col || (seqAtCol && valueLine && ind == col && isDashLine(l[ind:])) {
			last, spanLast = i, i
			continue
		}
		if !valueLine && ind == col && l[ind] == ':' && (ind+1 == len(l) || l[ind+1] == ' ') {
			valueLine, last, spanLast = true, i, i
			if flowEnd := d.flowEnd(value); flowEnd > 0 && d.lineOf(flowEnd-1) > i {
				last, spanLast = d.lineOf(flowEnd-1), d.lineOf(flowEnd-1)
			}
			continue
		}
		break
	}
	contentEnd := d.lineStarts[last] + len(d.line(last))
	if keepsTrailingBlanks(d, value) {
		for i := last + 1; i < d.lineCount(); i++ {
			if _, blank := indentOf(d.line(i)); !blank {
				break
			}
			last, contentEnd = i, d.lineStarts[i]+len(d.line(i))
		}
	}
	if spanLast < last {
		spanLast = last
	}
	// extend the span over the deeper comments that directly follow the value
	for i := spanLast + 1; i < d.lineCount(); i++ {
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
	start := lineStart
	if onDash {
		start = keyOff
	}
	return entry{Key: key, Value: value, Col: col, OnDash: onDash, Explicit: explicit,
		Span:       span{start, d.lineEnd(spanLast)},
		ContentEnd: contentEnd}
}

// explicitKeyMark finds the "?" of an explicit key in the text before the
// key on its line ("    ? " or "  - ? "): its column, or -1.
func explicitKeyMark(before []byte) int {
	t := bytes.TrimRight(before, " ")
	if len(t) == 0 || t[len(t)-1] != '?' || len(t) == len(before) {
		return -1
	}
	q := len(t) - 1
	rest := bytes.TrimLeft(t[:q], " ")
	if len(rest) > 0 && !(len(rest) == 1 && rest[0] == '-') {
		return -1
	}
	return q
}

// flowEnd is the offset just past a flow collection value's closing
// bracket, or 0 when the value is not a flow collection.
func (d *Document) flowEnd(v *yaml.Node) int {
	if v.Style&yaml.FlowStyle == 0 || (v.Kind != yaml.MappingNode && v.Kind != yaml.SequenceNode) {
		return 0
	}
	off := d.offset(v)
	if off < 0 || off >= len(d.Src) || (d.Src[off] != '{' && d.Src[off] != '[') {
		return 0
	}
	end, ok := flowCollectionEnd(d.Src, off)
	if !ok {
		return 0
	}
	return end
}

// lineOf is the 0-based line holding offset off.
func (d *Document) lineOf(off int) int {
	return sort.Search(len(d.lineStarts), func(i int) bool { return d.lineStarts[i] > off }) - 1
}

// keepsTrailingBlanks: the value ends with a block scalar that keeps its
// trailing line breaks (|+ or >+), so the blank lines after it are its text.
func keepsTrailingBlanks(d *Document, v *yaml.Node) bool {
	for v != nil && (v.Kind == yaml.MappingNode || v.Kind == yaml.SequenceNode) && v.Style&yaml.FlowStyle == 0 && len(v.Content) > 0 {
		v = v.Content[len(v.Content)-1]
	}
	if v == nil || v.Kind != yaml.ScalarNode || v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
		return false
	}
	off := d.offset(v)
	for i := off; i >= 0 && i < len(d.Src); i++ {
		switch d.Src[i] {
		case '+':
			return true
		case ' ', '\t', '\r', '\n', '#':
			return false
		}
	}
	return false
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
