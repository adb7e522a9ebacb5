package rewrite

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// placedEntry is entry j of the block mapping m.
type placedEntry struct {
	m *yaml.Node
	j int
}

func blockEntries(root *yaml.Node) []placedEntry {
	var out []placedEntry
	walkNodes(root, func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode && n.Style&yaml.FlowStyle == 0 {
			for i := 0; i+1 < len(n.Content); i += 2 {
				out = append(out, placedEntry{n, i / 2})
			}
		}
	})
	return out
}

// entryEdit replaces entry j's text from its key to where the next entry
// (or what follows the mapping) starts with text, or, insert, adds text
// there; want is the pairs the entry's text is meant to read as: text parsed
// on its own at the entry's column (nil when it does not parse as one block
// mapping there, or as nothing).
func entryEdit(d *Document, pe placedEntry, text string, insert bool) (e Edit, mutate func() bool, ok bool) {
	m, j := pe.m, pe.j
	k := m.Content[2*j]
	keyOff := d.offset(k)
	lineStart := d.lineStartOf(k)
	if keyOff < 0 || lineStart < 0 || keyOff < lineStart {
		return Edit{}, nil, false
	}
	end := d.endOfNode(m)
	if 2*(j+1) < len(m.Content) {
		end = d.lineStartOf(m.Content[2*(j+1)])
	}
	if end < keyOff {
		return Edit{}, nil, false
	}
	col := keyOff - lineStart
	standalone := strings.Repeat(" ", col) + text
	if insert {
		standalone = text
	}
	doc, ok := parseWhole([]byte(standalone))
	if !ok {
		return Edit{}, nil, false
	}
	var pairs []*yaml.Node
	if len(doc.Content) > 0 {
		g := doc.Content[0]
		if g.Kind != yaml.MappingNode || g.Style&yaml.FlowStyle != 0 || len(g.Content) == 0 {
			return Edit{}, nil, false
		}
		pairs = g.Content
	}
	key := m.Content[2*j]
	if insert {
		return Edit{Start: end, End: end, Text: text}, func() bool { return splicePairs(m, key, true, pairs) }, true
	}
	return Edit{Start: keyOff, End: end, Text: text}, func() bool { return splicePairs(m, key, false, pairs) }, true
}

// endOfNode is where the text that follows node n starts: the line of the
// next entry or item of an enclosing collection, or the end of the source.
func (d *Document) endOfNode(target *yaml.Node) int {
	end := len(d.Src)
	var find func(n *yaml.Node, bound int) bool
	find = func(n *yaml.Node, bound int) bool {
		if n == target {
			end = bound
			return true
		}
		if n.Style&yaml.FlowStyle != 0 {
			return false
		}
		step := 1
		if n.Kind == yaml.MappingNode {
			step = 2
		} else if n.Kind != yaml.SequenceNode {
			return false
		}
		for i := 0; i < len(n.Content); i += step {
			b := bound
			if i+step < len(n.Content) {
				b = d.lineStartOf(n.Content[i+step])
			}
			child := n.Content[i]
			if step == 2 {
				if i+1 >= len(n.Content) {
					return false
				}
				child = n.Content[i+1]
			}
			if find(child, b) {
				return true
			}
		}
		return false
	}
	find(d.Root, len(d.Src))
	return end
}

// samePlaced compares two trees node by node, positions included.
func samePlaced(a, b *yaml.Node, path string) (string, bool) {
	if a.Kind != b.Kind || a.Style != b.Style || a.Tag != b.Tag || a.Value != b.Value ||
		a.Anchor != b.Anchor || a.Line != b.Line || a.Column != b.Column || len(a.Content) != len(b.Content) {
		return fmt.Sprintf("%s: kind %d/%d style %d/%d tag %q/%q value %q/%q at %d:%d/%d:%d, %d/%d children",
			path, a.Kind, b.Kind, a.Style, b.Style, a.Tag, b.Tag, a.Value, b.Value,
			a.Line, a.Column, b.Line, b.Column, len(a.Content), len(b.Content)), false
	}
	for i := range a.Content {
		if where, ok := samePlaced(a.Content[i], b.Content[i], fmt.Sprintf("%s[%d]", path, i)); !ok {
			return where, false
		}
	}
	return "", true
}

// checkLocal runs the local verification of one entry edit and holds it to
// the whole parse: whatever it accepts, the whole parse accepts, and the
// document it grafts is the one the parse gives, positions included. It
// reports whether the local check accepted.
func checkLocal(t *testing.T, src []byte, changes ...entryChange) bool {
	t.Helper()
	d, err := ParseDocument(src)
	if err != nil || d.Root == nil || hasOddLineBreaks(src) {
		return false
	}
	entries := blockEntries(d.Root)
	if len(entries) == 0 {
		return false
	}
	var edits []Edit
	var mutates []func() bool
	for _, c := range changes {
		e, mutate, ok := entryEdit(d, entries[c.pick%uint(len(entries))], c.text, c.insert)
		if !ok {
			return false
		}
		edits, mutates = append(edits, e), append(mutates, mutate)
	}
	out, ok := applyEdits(d.Src, edits)
	if !ok {
		return false
	}
	local := d.localCheckFor(edits)
	if local == nil {
		return false
	}
	before := local.outsideHash(d.Root)
	for _, m := range mutates {
		if !m() {
			return false
		}
	}
	// an insertion at the end of nested entries is the innermost entry's:
	// the text meant for an outer mapping changes a pair outside the run,
	// and the hash sends the check to the whole parse
	if local.outsideHash(d.Root) != before || !local.verify(out) {
		return false
	}
	full, err := ParseDocument(out)
	if err != nil {
		t.Fatalf("the local check accepted a text that does not parse (%v):\n%s", err, out)
	}
	if where, same := equalNodes(d.Root, full.Root, ""); !same {
		t.Fatalf("the local check accepted a text that reads otherwise at %s:\n%s", orRoot(where), out)
	}
	if g := local.graft(d, out); g != nil {
		if where, same := samePlaced(g.Root, full.Root, "root"); !same {
			t.Fatalf("the grafted tree differs from the parse at %s:\n%s", where, out)
		}
	}
	return true
}

// entryChange replaces the text of the entry at pick (of blockEntries) with
// text, or inserts text after it.
type entryChange struct {
	pick   uint
	text   string
	insert bool
}

// FuzzLocalVerify: the local verification never accepts an edited text that
// the whole parse would refuse, and its grafted document is the parsed one.
// Each edit replaces one entry's text (or inserts after it) with any text
// that reads as a block mapping on its own; one edit, then two.
func FuzzLocalVerify(f *testing.F) {
	texts := []string{
		"taskRunner:\n  type: io.kestra.plugin.scripts.runner.docker.Docker\ncontainerImage: python:3.11\n",
		"a: \"one\n two\"\n",
		"a: \"one\ntwo\"\n",
		"a: 'x\n  y'\nb: 1\n",
		"a: |+\n  keep\n\n\n",
		"a: >-\n  folded\n  text\n",
		"a: plain\n  continued\n",
		"a: {x: 1,\n  y: 2}\n",
		"a: [1,\n2]\n",
		"a: 1\n---\nb: 2\n",
		"a: 1\n...\n",
		"# only a comment\n",
		"",
		"a: &x 1\nb: *x\n",
		"a: !!str 1\n",
		"a: !custom 1\n",
		"? a\n: 1\n",
		"a:\n- 1\n- 2\n",
		"a: 1\n  b: 2\n",
		" a: 1\n",
		"a: 1",
		"a:\tb\n",
		"\"a\": 1\n'b': 2\n",
		"a: 1 # comment\n# after\n",
		"<<: {x: 1}\n",
	}
	for _, s := range seedFlows(f) {
		for i, text := range texts {
			f.Add(s, uint(i*7), text, i%3 == 0, uint(i*11+3), texts[(i+5)%len(texts)], i%2 == 0)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte, pick uint, text string, insert bool, pick2 uint, text2 string, insert2 bool) {
		checkLocal(t, src, entryChange{pick, text, insert})
		checkLocal(t, src, entryChange{pick, text, insert}, entryChange{pick2, text2, insert2})
	})
}

// TestLocalVerifyCases: texts the local check must accept (so that the
// rewrite saves the parse) and must leave to the whole parse.
func TestLocalVerifyCases(t *testing.T) {
	flow := "id: f\nnamespace: n\ntasks:\n  - id: a\n    type: t\n    runner: DOCKER\n    script: |\n      echo hi\n  - id: b\n    type: t\n"
	// entries, in walk order: id, namespace, tasks, then a's id type runner script, then b's id type
	const aID, aRunner, aScript, bType = 3, 5, 6, 8
	cases := []struct {
		name   string
		src    string
		pick   uint
		text   string
		insert bool
		local  bool
	}{
		{"an entry replaced", flow, aRunner, "taskRunner:\n      type: Docker\n", false, true},
		{"an entry on a dash line", flow, aID, "id: a2\n", false, true},
		{"an insertion", flow, aRunner, "    containerImage: ubuntu\n", true, true},
		{"a block scalar", flow, aScript, "script: |+\n      echo bye\n\n", false, true},
		{"the last entry of the document", flow, bType, "type: u\n", false, true},
		{"comments only", flow, aRunner, "# gone\n", false, true},
		{"a key at another column", flow, aRunner, "  taskRunner: x\n", false, false},
		{"a document marker", flow, aRunner, "runner: x\n---\n", false, false},
		{"no line end before the next entry", flow, aRunner, "runner: x", false, false},
		{"an alias in the document", "k: &k v\nl: *k\nm: 1\n", 2, "m: 2\n", false, false},
		{"a %TAG directive", "%TAG !e! tag:example.com,2000:\n---\na: 1\nb: 2\n", 1, "b: 3\n", false, false},
		{"a quoted scalar reaching below the mapping", flow, aRunner, "runner: \"x\n  y\"\n", false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := checkLocal(t, []byte(c.src), entryChange{c.pick, c.text, c.insert}); got != c.local {
				t.Errorf("local check %v, want %v", got, c.local)
			}
		})
	}
}

// TestLocalVerifyUsed: the golden rewrites are verified without a whole
// parse (the point of the local check), and each gives what the whole parse
// gives.
func TestLocalVerifyUsed(t *testing.T) {
	rw := MustRewriter(Options{})
	files, _ := filepath.Glob("testdata/rewrite/*.in.yml")
	more, _ := filepath.Glob("testdata/kestra2/*.in.yml")
	files = append(files, more...)
	var edited, local int
	for _, f := range files {
		for _, doc := range SplitDocuments(mustReadTB(t, f)) {
			d, err := ParseDocument(doc)
			if err != nil || d.Root == nil {
				continue
			}
			var supported []Outcome
			var edits []Edit
			for _, o := range rw.plan(d, nil, false) {
				if o.Unsupported == "" && o.changes() {
					supported = append(supported, o)
					edits = append(edits, o.Edits...)
				}
			}
			out, ok := applyEdits(d.Src, edits)
			if len(supported) == 0 || !ok {
				continue
			}
			edited++
			lc := d.localCheckFor(edits)
			if lc == nil {
				continue
			}
			before := lc.outsideHash(d.Root)
			for _, o := range supported {
				o.Mutate()
			}
			if lc.outsideHash(d.Root) != before || !lc.verify(out) {
				continue
			}
			local++
			full, err := ParseDocument(out)
			if err != nil {
				t.Fatalf("%s: verified locally, but does not parse: %v", f, err)
			}
			if g := lc.graft(d, out); g != nil {
				if where, same := samePlaced(g.Root, full.Root, "root"); !same {
					t.Errorf("%s: grafted tree differs at %s", f, where)
				}
			}
		}
	}
	if edited < 20 || local*10 < edited*8 {
		t.Errorf("%d of %d golden rewrites verified locally, want at least 80%%", local, edited)
	}
	t.Logf("%d of %d golden rewrites verified locally", local, edited)
}
