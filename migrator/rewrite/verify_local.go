package rewrite

import (
	"bytes"
	"hash/maphash"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Local verification: the edited text is proved entry by entry instead of
// by parsing it whole. Parsing is most of a rewrite's cost, and the edits of
// a flow usually touch a few lines of a few tasks; the rest of the text is
// the original, byte for byte, whose tree is known.
//
// The argument. A block mapping at column c is read line by line: its
// entries start with a key at column c, and what lies between two such
// lines (values, comments, blank lines) is read by the scanner with c as the
// current indentation, whatever encloses the mapping. So a run of entries
// whose text R is replaced by R' reads in the document exactly as R' reads
// on its own, provided that
//   - R' read on its own is one block mapping whose keys are at column c (the
//     dashes of enclosing sequences before the first key are blanked; they
//     are not edited), or nothing but comments;
//   - R' ends where a line ends (the next entry, or what follows the
//     mapping, starts a line as before) and holds no document marker;
//   - no alias anywhere (an alias after R' could name an anchor R' changed;
//     one in R' naming an anchor before it fails on its own) and no %TAG
//     directive (it would change how R''s tags read).
// What R' reads as must then equal the expected entries, the rest of the
// expected tree must be the original (a hash of every node outside the runs,
// taken before and after the rules' tree changes, proves no change was made
// there without a text edit), and the mapping must keep an entry. When any
// of this does not hold, the text is parsed whole, as before: the local
// check only ever saves that parse, it never accepts what the whole parse
// would refuse (FuzzLocalVerify holds it to that).

// localRun is a run of consecutive entries of one block mapping whose text
// holds edits.
type localRun struct {
	m           *yaml.Node
	first, last int                 // indexes of the first and last pair (key index / 2)
	start, end  int                 // bytes of d.Src: the first entry's line start to the start of what follows the run
	prefix      int                 // bytes before the first key on its line (spaces, or the dashes of enclosing sequences)
	outside     []*yaml.Node        // the mapping's other keys, in order
	outsideSet  map[*yaml.Node]bool // the same, for a mapping with many
	nBefore     int                 // how many of them stand before the run
	mStart      int                 // where the mapping starts in d.Src (its first property or key)
	mEnd        int                 // where what follows the mapping starts

	got       *yaml.Node // what the run's new text reads as (nil: no entries), once verified
	lineShift int        // add to got's lines for lines counted from the run's first (1)
	dashed    bool       // the run's first line starts with the dashes of enclosing sequences
}

// localCheck is the plan of a local verification: the runs of entries that
// hold the edits, outermost only.
type localCheck struct {
	runs  []*localRun
	byMap map[*yaml.Node]*localRun
	edits []Edit // sorted by Start
	src   []byte
	cum   []int // cum[i]: the bytes edits[:i] add (negative: remove)
}

// hashSeed keys the outside hash; it only has to stay the same within a run.
var hashSeed = maphash.MakeSeed()

// localCheckFor plans the local verification of edits (sorted by Start, as
// applyEdits leaves them), or returns nil when they cannot be checked
// locally and the text is to be parsed whole.
func (d *Document) localCheckFor(edits []Edit) *localCheck {
	if d.Root == nil || len(edits) == 0 || len(d.aliased) > 0 || bytes.Contains(d.Src, []byte("%TAG")) || !yamlPrintable(d.Src) {
		return nil
	}
	var runs []*localRun
	byMap := map[*yaml.Node]*localRun{}
	for _, e := range edits {
		if hasOddLineBreaks([]byte(e.Text)) || !yamlPrintable([]byte(e.Text)) {
			return nil // a lone CR (or NEL, LS, PS) breaks a line the line index does not see
		}
		m, first, last, mEnd, ok := d.entryHolding(e)
		if !ok {
			return nil
		}
		run := byMap[m]
		if run == nil {
			run = &localRun{m: m, first: first, last: last, mEnd: mEnd}
			byMap[m] = run
			runs = append(runs, run)
		}
		run.first, run.last = min(run.first, first), max(run.last, last)
	}
	for _, run := range runs {
		if !d.placeRun(run) {
			return nil
		}
	}
	// keep the outermost runs: a run inside another run's text is checked
	// with it (the spans of two runs nest or are apart). Sorted by start,
	// longest first, one sweep finds them.
	sort.Slice(runs, func(i, j int) bool {
		if runs[i].start != runs[j].start {
			return runs[i].start < runs[j].start
		}
		return runs[i].end > runs[j].end
	})
	var kept []*localRun
	for _, run := range runs {
		if len(kept) > 0 {
			outer := kept[len(kept)-1]
			switch {
			case run.start == outer.start && run.end == outer.end:
				return nil // two mappings' runs over the same text: which reads it is not ours to guess
			case run.start < outer.end && run.end <= outer.end:
				delete(byMap, run.m) // checked with the outer run
				continue
			case run.start < outer.end:
				return nil // overlapping without nesting: not a shape the argument covers
			}
		}
		kept = append(kept, run)
	}
	for _, run := range kept {
		run.mStart = d.offset(run.m)
		for i := 0; i+1 < len(run.m.Content); i += 2 {
			if p := i / 2; p < run.first || p > run.last {
				run.outside = append(run.outside, run.m.Content[i])
				if p < run.first {
					run.nBefore++
				}
			}
		}
		if len(run.outside) > 16 {
			run.outsideSet = make(map[*yaml.Node]bool, len(run.outside))
			for _, k := range run.outside {
				run.outsideSet[k] = true
			}
		}
	}
	// every edit lies in a kept run's text (the runs were made from them;
	// this holds the filter above to it): edits and runs are both in order
	r := 0
	for _, e := range edits {
		for r < len(kept) && (kept[r].end < e.Start || kept[r].end == e.Start && e.Start < e.End) {
			r++
		}
		if r == len(kept) || !(e.Start == e.End && kept[r].start < e.Start && e.Start <= kept[r].end ||
			e.Start < e.End && kept[r].start <= e.Start && e.End <= kept[r].end) {
			return nil
		}
	}
	cum := make([]int, len(edits)+1) // the length the edits before each one added
	for i, e := range edits {
		cum[i+1] = cum[i] + len(e.Text) - (e.End - e.Start)
	}
	return &localCheck{runs: kept, byMap: byMap, edits: edits, src: d.Src, cum: cum}
}

// entryHolding finds the innermost entries of a block mapping whose text
// holds the edit: one entry, or a run of them when the edit spans several
// (a rule rewriting two adjacent keys at once). An entry's text runs from
// the start of its key's line to the start of the next entry's line (the
// last entry: to where what follows its mapping starts); an insertion
// belongs to the entry it ends. Items are found by binary search, so a
// flow with many tasks stays linear in its edits.
func (d *Document) entryHolding(e Edit) (m *yaml.Node, first, last, mEnd int, ok bool) {
	n, bound := d.Root, len(d.Src)
	for n != nil && n.Style&yaml.FlowStyle == 0 {
		step := 1
		switch n.Kind {
		case yaml.MappingNode:
			step = 2
		case yaml.SequenceNode:
		default:
			return m, first, last, mEnd, ok
		}
		items := n.Content
		count := len(items) / step
		if count == 0 {
			break
		}
		start := func(i int) int { return d.lineStartOf(items[i*step]) }
		end := func(i int) int {
			if i+1 < count {
				return start(i + 1)
			}
			return bound
		}
		// the item whose text holds offset p (an insertion's: the one it ends)
		holder := func(p int, insertion bool) int {
			i := sort.Search(count, func(i int) bool {
				if insertion {
					return start(i) >= p
				}
				return start(i) > p
			}) - 1
			if i < 0 || start(i) < 0 || p > end(i) || !insertion && p == end(i) {
				return -1
			}
			return i
		}
		var i, k int
		if e.Start == e.End {
			i = holder(e.Start, true)
			k = i
		} else {
			i, k = holder(e.Start, false), holder(e.End, true)
		}
		if i < 0 || k < 0 || k < i {
			break
		}
		if n.Kind == yaml.SequenceNode {
			if i != k {
				break
			}
			n, bound = items[i], end(i)
			continue
		}
		if len(items)%2 != 0 {
			return nil, 0, 0, 0, false
		}
		m, first, last, mEnd, ok = n, i, k, bound, true
		if i != k {
			break // the edit spans entries: they are the innermost
		}
		n, bound = items[2*i+1], end(i)
	}
	return m, first, last, mEnd, ok
}

// lineStartOf is the offset of the start of n's line, or -1.
func (d *Document) lineStartOf(n *yaml.Node) int {
	if n.Line < 1 || n.Line > len(d.lineStarts) {
		return -1
	}
	return d.lineStarts[n.Line-1]
}

// placeRun sets a run's text span, prefix and column; false when its first
// key does not start its line after spaces (and dashes, for the first entry).
func (d *Document) placeRun(run *localRun) bool {
	m := run.m
	k := m.Content[2*run.first]
	run.start = d.lineStartOf(k)
	off := d.offset(k)
	if run.start < 0 || off < run.start || k.Kind != yaml.ScalarNode {
		return false
	}
	if !dashesAndSpaces(d.Src[run.start:off], run.first == 0) {
		return false
	}
	run.prefix = off - run.start // the mapping's column too: the first key's
	if first := m.Content[0]; first != k && d.offset(first)-d.lineStartOf(first) != run.prefix {
		return false
	}
	if next := 2 * (run.last + 1); next < len(m.Content) {
		run.end = d.lineStartOf(m.Content[next])
	} else {
		run.end = run.mEnd
	}
	return run.end >= run.start
}

// dashesAndSpaces: prefix is spaces, with sequence dashes ("- ", each
// followed by a space) when dashes is true.
func dashesAndSpaces(prefix []byte, dashes bool) bool {
	for i, b := range prefix {
		switch {
		case b == ' ':
		case b == '-' && dashes && i+1 < len(prefix) && prefix[i+1] == ' ' && (i == 0 || prefix[i-1] == ' '):
		default:
			return false
		}
	}
	return true
}

// outsideHash hashes every node of the tree but the runs' entries (the
// original ones before the change, and whatever stands in their place after
// it: every pair of a run's mapping that is not one of its outside keys).
func (c *localCheck) outsideHash(root *yaml.Node) uint64 {
	var h maphash.Hash
	h.SetSeed(hashSeed)
	var walk func(n *yaml.Node)
	var num [8]byte
	writeInt := func(v int) {
		for i := range num {
			num[i] = byte(v >> (8 * i))
		}
		h.Write(num[:])
	}
	walk = func(n *yaml.Node) {
		if n == nil {
			writeInt(-1)
			return
		}
		run := c.byMap[n]
		writeInt(int(n.Kind))
		writeInt(int(n.Style))
		if run == nil { // a run's mapping gains and loses pairs: its outside ones are hashed below
			writeInt(len(n.Content))
		}
		h.WriteString(n.Tag)
		h.WriteByte(0)
		h.WriteString(n.Value)
		h.WriteByte(0)
		h.WriteString(n.Anchor)
		h.WriteByte(0)
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			writeInt(n.Alias.Line)
			writeInt(n.Alias.Column)
		}
		for i := 0; i < len(n.Content); i++ {
			if run != nil && i%2 == 0 {
				if !run.isOutside(n.Content[i]) {
					i++ // the pair is the run's: skip key and value
					continue
				}
			}
			walk(n.Content[i])
		}
	}
	walk(root)
	return h.Sum64()
}

func (r *localRun) isOutside(key *yaml.Node) bool {
	if r.outsideSet != nil {
		return r.outsideSet[key]
	}
	for _, k := range r.outside {
		if k == key {
			return true
		}
	}
	return false
}

// verify checks each run's new text (out) against the run's expected
// entries in the changed tree, once the outside hash has held. The runs are
// parsed together, in one document where each is the value of a key at
// column 0 ("__kmv0:"): a mapping at column c > 0 reads there as it reads on
// its own (the scanner's indentation is c within it, and a line indented
// less than c ends it in both), and one parse costs less than one per run
// (a parse has a fixed cost, about that of 1 KB). A run at column 0 (an
// entry of the flow's top level) or whose text ends without a line break
// (the end of the file: a block scalar there reads otherwise with a line
// after it) is parsed on its own.
func (c *localCheck) verify(out []byte) bool {
	var doc []byte
	var joined []*localRun
	lines := 0 // the line breaks in doc
	for _, run := range c.runs {
		text, ok := c.runText(run, out)
		if !ok {
			return false
		}
		if run.prefix == 0 || len(text) > 0 && text[len(text)-1] != '\n' {
			parsed, ok := parseWhole(text)
			if !ok {
				return false
			}
			var g *yaml.Node
			if len(parsed.Content) > 0 {
				g = parsed.Content[0]
			}
			run.lineShift = 0
			if !c.checkRun(run, g) {
				return false
			}
			continue
		}
		doc = append(doc, "__kmv"...)
		doc = strconv.AppendInt(doc, int64(len(joined)), 10)
		doc = append(doc, ":\n"...)
		lines++
		run.lineShift = -lines // its first line is the line after its key
		doc = append(doc, text...)
		lines += bytes.Count(text, []byte{'\n'})
		joined = append(joined, run)
	}
	if len(joined) == 0 {
		return true
	}
	doc = append(doc, "__kmv_end: 0\n"...)
	var parsed yaml.Node
	// one document, read whole: the key after the last run proves it (a line
	// that ended a run early would be a key of its own, or refused)
	if err := yaml.Unmarshal(doc, &parsed); err != nil || len(parsed.Content) != 1 {
		return false
	}
	root := parsed.Content[0]
	if root.Kind != yaml.MappingNode || root.Style&yaml.FlowStyle != 0 || len(root.Content) != 2*(len(joined)+1) {
		return false
	}
	for i := 0; i < len(joined); i++ {
		k, v := root.Content[2*i], root.Content[2*i+1]
		if k.Value != "__kmv"+strconv.Itoa(i) || k.Column != 1 || k.Style != 0 {
			return false
		}
		var g *yaml.Node
		if !(v.Kind == yaml.ScalarNode && v.Value == "" && v.Style == 0 && v.Tag == "!!null") {
			g = v // else the run holds no entry now (comments, or nothing)
		}
		if !c.checkRun(joined[i], g) {
			return false
		}
	}
	end := root.Content[len(root.Content)-2]
	return end.Value == "__kmv_end" && end.Column == 1
}

// runText is a run's new text, its enclosing sequences' dashes blanked,
// or false when the text does not end where a line ends (before more
// text), holds a document marker or had its dashes edited.
func (c *localCheck) runText(run *localRun, out []byte) ([]byte, bool) {
	if len(run.m.Content) == 0 {
		return nil, false // an emptied mapping reads as null, not {}
	}
	start, end := c.outPos(run.start), c.outPos(run.end)
	if start > end || end > len(out) {
		return nil, false
	}
	text := out[start:end]
	if end < len(out) && len(text) > 0 && text[len(text)-1] != '\n' {
		return nil, false
	}
	if bytes.HasPrefix(text, []byte("---")) || bytes.HasPrefix(text, []byte("...")) || mayHoldSeveralDocuments(text) {
		return nil, false
	}
	run.dashed = bytes.IndexByte(c.src[run.start:run.start+run.prefix], '-') >= 0
	if run.dashed {
		// the enclosing sequences' dashes: unedited, blanked for the parse
		if c.touches(run.start, run.start+run.prefix) || len(text) < run.prefix {
			return nil, false
		}
		blanked := make([]byte, len(text))
		copy(blanked, text)
		for i := 0; i < run.prefix; i++ {
			blanked[i] = ' '
		}
		text = blanked
	}
	return text, true
}

// checkRun compares what a run's text reads as (g: a block mapping at the
// run's column, or nil for no entry) with the run's expected entries.
func (c *localCheck) checkRun(run *localRun, g *yaml.Node) bool {
	want := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(run.m.Content); i += 2 {
		if !run.isOutside(run.m.Content[i]) {
			want.Content = append(want.Content, run.m.Content[i], run.m.Content[i+1])
		}
	}
	got := &yaml.Node{Kind: yaml.MappingNode}
	run.got = nil
	if g != nil {
		if g.Kind != yaml.MappingNode || g.Style&yaml.FlowStyle != 0 || g.Anchor != "" || g.Tag != "" && g.Tag != "!!map" ||
			len(g.Content) == 0 || g.Content[0].Column != run.prefix+1 {
			return false
		}
		got, run.got = g, g
	}
	if run.dashed && (run.got == nil || run.got.Content[0].Line+run.lineShift != 1) {
		return false // the dash must still be followed by the mapping's first key
	}
	_, same := equalNodes(want, got, "")
	return same
}

// touches reports an edit that changes bytes in [a, b), or inserts inside it.
func (c *localCheck) touches(a, b int) bool {
	// the edits do not overlap: their ends are in order too
	i := sort.Search(len(c.edits), func(i int) bool { return c.edits[i].End > a || c.edits[i].Start > a })
	for ; i < len(c.edits) && c.edits[i].Start < b; i++ {
		if e := c.edits[i]; e.Start < b && e.End > a || e.Start == e.End && e.Start > a {
			return true
		}
	}
	return false
}

// outPos maps an offset of the source to the edited text.
func (c *localCheck) outPos(p int) int { return p + c.before(p, c.cum) }

// before sums what the edits before offset p change (cum: the prefix sums
// of that change over c.edits): those that start before p, and the
// insertions at p, which belong to the text before it.
func (c *localCheck) before(p int, cum []int) int {
	i := sort.Search(len(c.edits), func(i int) bool { return c.edits[i].Start >= p })
	v := cum[i]
	for ; i < len(c.edits) && c.edits[i].Start == p; i++ {
		if c.edits[i].End == p {
			v += cum[i+1] - cum[i]
		}
	}
	return v
}

// endsEmpty: the last node of n is an empty scalar. The parser marks an
// empty value with no ":" (an explicit key's) at the token after it, which
// for the last node of a run is outside the run's text: its position is
// the whole parse's to say.
func endsEmpty(n *yaml.Node) bool {
	for len(n.Content) > 0 {
		n = n.Content[len(n.Content)-1]
	}
	return n.Kind == yaml.ScalarNode && n.Value == "" && n.Style == 0 && n.Tag == "!!null"
}

func hasAnchorOrAlias(n *yaml.Node) bool {
	found := false
	walkNodes(n, func(n *yaml.Node) {
		found = found || n.Anchor != "" || n.Kind == yaml.AliasNode
	})
	return found
}

// parseWhole parses text as one document, and fails unless the document
// reads all of it: yaml.Unmarshal stops at the end of the first document,
// which a line indented less than the mapping ends early, and ignores what
// follows; in the flow that line would be read (and refused).
func parseWhole(text []byte) (*yaml.Node, bool) {
	dec := yaml.NewDecoder(bytes.NewReader(text))
	var doc, extra yaml.Node
	if err := dec.Decode(&doc); err != nil && err != io.EOF {
		return nil, false
	}
	if err := dec.Decode(&extra); err != io.EOF {
		return nil, false
	}
	return &doc, true
}

// yamlPrintable: every character of b is one YAML allows in a stream (tab,
// line breaks and the printable ones). The YAML package checks them as it
// fills its buffer, in blocks, so a character it refuses may pass or not
// depending on where the text around it puts it: a text with one is parsed
// whole, as before.
func yamlPrintable(b []byte) bool {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return false
		case r == 0x85, r >= 0xa0 && r <= 0xd7ff, r >= 0xe000 && r <= 0xfffd, r >= 0x10000:
		default:
			return false
		}
		i += size
	}
	return true
}

// graft builds the document the edited text parses to without parsing it:
// the changed tree, each run's pairs replaced by the run's own parse (its
// lines moved to where the run starts), every other node moved down or up
// by the lines the edits before it added or removed. Its nodes, their kinds,
// styles, tags, values, lines and columns are those a parse of out gives
// (FuzzLocalVerify compares them); comments are not carried, which no rule
// reads. It returns nil when a run's text holds an anchor or an alias, or
// ends with an empty node.
func (c *localCheck) graft(d *Document, out []byte) *Document {
	for _, run := range c.runs {
		if run.got != nil && (hasAnchorOrAlias(run.got) || endsEmpty(run.got)) {
			return nil
		}
	}
	lines := make([]int, len(c.edits)+1) // the lines the edits add (negative: remove)
	for i, e := range c.edits {
		lines[i+1] = lines[i] + strings.Count(e.Text, "\n") - bytes.Count(c.src[e.Start:e.End], []byte{'\n'})
	}
	shiftAt := func(p int) int { return c.before(p, lines) }
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Line >= 1 && n.Line <= len(d.lineStarts) {
			n.Line += shiftAt(d.lineStarts[n.Line-1])
		}
		run := c.byMap[n]
		for i := 0; i < len(n.Content); i++ {
			if run != nil && i%2 == 0 && !run.isOutside(n.Content[i]) {
				i++
				continue
			}
			walk(n.Content[i])
		}
	}
	walk(d.Root)
	for _, run := range c.runs {
		base := d.lineOf(run.start) + shiftAt(run.start) + run.lineShift
		var before, after []*yaml.Node
		for i := 0; i+1 < len(run.m.Content); i += 2 {
			if k := run.m.Content[i]; run.isOutside(k) {
				if len(before) < 2*run.nBefore {
					before = append(before, k, run.m.Content[i+1])
				} else {
					after = append(after, k, run.m.Content[i+1])
				}
			}
		}
		var pairs []*yaml.Node
		if run.got != nil {
			walkNodes(run.got, func(n *yaml.Node) { n.Line += base })
			pairs = run.got.Content
		}
		content := make([]*yaml.Node, 0, len(before)+len(pairs)+len(after))
		content = append(append(append(content, before...), pairs...), after...)
		run.m.Content = content
		// the mapping starts at its first property or key: where the run
		// held it, the run's own parse says where it is now (else it was
		// moved with the text before the run)
		switch {
		case run.mStart < run.start:
		case run.got != nil:
			run.m.Line, run.m.Column = run.got.Line, run.got.Column
		default:
			run.m.Line, run.m.Column = content[0].Line, content[0].Column
		}
	}
	g := &Document{Src: out, Root: d.Root, EOL: d.EOL, lineStarts: lineStarts(out), aliased: map[string]bool{}}
	return g
}
