package rewrite

import (
	"bytes"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// PebbleJSONRule renames the Pebble `json` filter to `toJson` and the
// `json()` function to `fromJson()` inside `{{ }}` / `{% %}` of every scalar
// value (official renamePebbleJSON, kestra-io/kestra2-flow-migration
// internal/migrate/pebble.go). The edits are the 4-byte words found by the
// tokenizer (RewritePebble), mapped onto the scalar's source text: plain,
// quoted and block scalars; a scalar whose escapes make the mapping unsure
// is refused.
type PebbleJSONRule struct{}

// Info implements Rule.
func (PebbleJSONRule) Info() RuleInfo {
	return RuleInfo{Name: "pebble-json", URL: GuideV2 + "/json-function-removed"}
}

// Mentions implements Rule: some `json` word after `|` or before `(` (white
// space between), in a source that has a Pebble delimiter. A backslash may
// hide any of them behind an escape: then parse.
func (r PebbleJSONRule) Mentions(src []byte) bool { return r.mentionsIn(newScan(src)) }

func (PebbleJSONRule) mentionsIn(s *srcScan) bool {
	if s.backslash() {
		return true
	}
	src := s.src
	if !bytes.Contains(src, []byte("{{")) && !bytes.Contains(src, []byte("{%")) {
		return false
	}
	for from := 0; ; {
		i := bytes.Index(src[from:], []byte("json"))
		if i < 0 {
			return false
		}
		i += from
		from = i + 4
		if i > 0 && (pebbleWordByte(src[i-1]) || src[i-1] == '.') || from < len(src) && pebbleWordByte(src[from]) {
			continue
		}
		p := i - 1
		for p >= 0 && pebbleSpace(src[p]) {
			p--
		}
		n := from
		for n < len(src) && pebbleSpace(src[n]) {
			n++
		}
		if p >= 0 && src[p] == '|' || n < len(src) && src[n] == '(' {
			return true
		}
	}
}

// Plan implements Rule: one outcome per scalar that changes.
func (PebbleJSONRule) Plan(d *Document) []Outcome {
	skip := map[*yaml.Node]bool{}
	for _, rp := range removedProperties(d) {
		skip[mapValue(rp.props, rp.key)] = true // removed in the same pass
	}
	var out []Outcome
	var walk func(n, task *yaml.Node, path string, parentCol int)
	walk = func(n, task *yaml.Node, path string, parentCol int) {
		if n == nil || skip[n] {
			return
		}
		switch n.Kind {
		case yaml.ScalarNode:
			if o, ok := d.planPebbleScalar(n, task, path, parentCol); ok {
				out = append(out, o)
			}
		case yaml.MappingNode:
			if isTask(n) {
				task = n
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				walk(n.Content[i+1], task, joinPath(path, k.Value), d.safeColumn(k))
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, task, path+"["+strconv.Itoa(i)+"]", n.Column-1)
			}
		}
	}
	walk(d.Root, nil, "", -1)
	return out
}

func (d *Document) planPebbleScalar(n, task *yaml.Node, path string, parentCol int) (Outcome, bool) {
	want := PebbleJSONEdits(n.Value)
	if len(want) == 0 {
		return Outcome{}, false
	}
	o := Outcome{Change: Change{Path: path}}
	if task != nil {
		o.TaskID, o.Type = scalarString(mapValue(task, "id")), typeOf(task)
	}
	o.From = []string{"json"}
	seen := map[string]bool{}
	for _, e := range want {
		if !seen[e.New] {
			seen[e.New] = true
			o.To = append(o.To, e.New)
		}
	}
	newValue, _ := RewritePebble(n.Value)
	if n.Anchor != "" || n.Tag != "" && n.Style&yaml.TaggedStyle != 0 {
		o.Unsupported = "a json filter or function in an anchored or tagged value: rename it by hand"
		return o, true
	}
	sp, ok := d.scalarRawSpan(n, parentCol)
	if !ok {
		o.Unsupported = "a json filter or function in a multi-line plain value: rename it by hand (toJson / fromJson)"
		return o, true
	}
	raw := string(d.Src[sp.Start:sp.End])
	got := PebbleJSONEdits(raw)
	same := len(got) == len(want)
	for i := 0; same && i < len(got); i++ {
		same = got[i].New == want[i].New
	}
	if same && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		// the escapes of a quoted scalar: decode the edited text to be sure
		edited, _ := RewritePebble(raw)
		q := string(d.Src[sp.Start-1])
		var v string
		same = yaml.Unmarshal([]byte(q+edited+q), &v) == nil && v == newValue
	}
	if !same {
		o.Unsupported = "a json filter or function written with escapes the rewrite cannot map onto the text: rename it by hand (toJson / fromJson)"
		return o, true
	}
	for _, e := range got {
		o.Edits = append(o.Edits, Edit{Start: sp.Start + e.Off, End: sp.Start + e.Off + len(e.Old), Text: e.New})
	}
	o.Mutate = func() { n.Value = newValue }
	return o, true
}

// scalarRawSpan is the source text of a scalar's content: between the
// quotes of a quoted scalar (over several lines too), the content lines of
// a block scalar, or a plain scalar on one line. parentCol is the column of
// the key or sequence dash that holds it (-1 at the root).
func (d *Document) scalarRawSpan(n *yaml.Node, parentCol int) (span, bool) {
	off := d.offset(n)
	if off < 0 {
		return span{}, false
	}
	switch {
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		first := n.Line // 0-based index of the line after the header
		indent := -1
		last := -1
		for i := first; i < d.lineCount(); i++ {
			ind, blank := indentOf(d.line(i))
			if blank {
				continue
			}
			if indent < 0 {
				if ind <= parentCol {
					break
				}
				indent = ind
			}
			if ind < indent {
				break
			}
			last = i
		}
		if last < 0 {
			return span{}, false
		}
		return span{d.lineStarts[first], d.lineStarts[last] + len(d.line(last))}, true
	case n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0:
		q := d.Src[off]
		for i := off + 1; i < len(d.Src); i++ {
			switch {
			case q == '"' && d.Src[i] == '\\':
				i++
			case d.Src[i] == q && q == '\'' && i+1 < len(d.Src) && d.Src[i+1] == '\'':
				i++
			case d.Src[i] == q:
				return span{off + 1, i}, true
			}
		}
		return span{}, false
	}
	if sp, ok := d.scalarSpan(n); ok {
		return sp, true
	}
	return d.plainMultiLineSpan(n, off, parentCol)
}

// plainMultiLineSpan is the text of a plain scalar continued on the lines
// below (indented deeper than parentCol, up to a comment, a blank-only end
// or a shallower line); it is only returned when folding it gives the
// scalar's value back, which proves the span.
func (d *Document) plainMultiLineSpan(n *yaml.Node, off, parentCol int) (span, bool) {
	first := n.Line - 1
	if first < 0 || first >= d.lineCount() || n.Style != 0 {
		return span{}, false
	}
	end := d.lineStarts[first] + len(d.line(first))
	if bytes.Contains(d.Src[off:end], []byte(" #")) {
		return span{}, false
	}
	for i := first + 1; i < d.lineCount(); i++ {
		l := d.line(i)
		ind, blank := indentOf(l)
		if blank {
			continue
		}
		if ind <= parentCol || l[ind] == '#' {
			break
		}
		if bytes.Contains(l, []byte(" #")) {
			return span{}, false
		}
		end = d.lineStarts[i] + len(bytes.TrimRight(l, " \t"))
	}
	if end <= off || foldPlain(string(d.Src[off:end])) != n.Value {
		return span{}, false
	}
	return span{off, end}, true
}

// foldPlain folds the lines of a multi-line plain scalar as YAML does: each
// line trimmed, a line break between two text lines becomes a space, n
// empty lines become n line breaks.
func foldPlain(raw string) string {
	var b strings.Builder
	empties := 0
	for i, l := range strings.Split(raw, "\n") {
		l = strings.Trim(l, " \t\r")
		switch {
		case i == 0:
			b.WriteString(l)
		case l == "":
			empties++
		default:
			if empties > 0 {
				b.WriteString(strings.Repeat("\n", empties))
			} else {
				b.WriteByte(' ')
			}
			empties = 0
			b.WriteString(l)
		}
	}
	return b.String()
}
