package rewrite

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Helpers shared by the Kestra 1.3 -> 2.0 rules (kestra2_*.go). The rules
// follow the official tool, kestra-io/kestra2-flow-migration (Apache-2.0,
// internal/migrate/), and fix what it gets wrong for a server-side rewrite:
// they never create duplicate keys, a second run changes nothing, and a
// rewrite known to give a flow the server rejects is refused.

// GuideV2 is the official migration guide; the rules' URLs point into it
// (the official DocURL constants, internal/migrate/migrate.go).
const GuideV2 = "https://kestra.io/docs/migration-guide/v2.0.0"

// mappingVisitor receives a mapping, its path ("tasks[1].options") and the
// key under which it is the value ("" in a sequence or at the root).
type mappingVisitor func(m *yaml.Node, path, under string)

// walkMappings visits every mapping of the document at any depth, as the
// official walkMappings does: tasks, triggers, defaults entries and their
// values, input definitions, and plain data maps alike. Aliases are not
// followed (a node reached through an alias is the anchored one's).
func walkMappings(n *yaml.Node, path, under string, visit mappingVisitor) {
	walkMappingsFrom(n, path, under, visit, nil)
}

// walkMappingsFrom is walkMappings that also tells enter about each value
// it descends into (nil: nothing to tell).
func walkMappingsFrom(n *yaml.Node, path, under string, visit mappingVisitor, enter func(v *yaml.Node)) {
	if n == nil {
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		visit(n, path, under)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v.Kind == yaml.ScalarNode || v.Kind == yaml.AliasNode {
				continue // no mapping below: no path to build
			}
			if enter != nil {
				enter(v)
			}
			walkMappingsFrom(v, joinPath(path, k.Value), k.Value, visit, enter)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if c.Kind == yaml.ScalarNode || c.Kind == yaml.AliasNode {
				continue
			}
			walkMappingsFrom(c, path+"["+strconv.Itoa(i)+"]", "", visit, enter)
		}
	case yaml.DocumentNode:
		for _, c := range n.Content {
			walkMappingsFrom(c, path, under, visit, enter)
		}
	}
}

// placedMapping is one visit of walkMappings: the mapping, its path, the
// key it is the value of, and the index in Root.Content of the root key it
// lies under (-1 for the root itself).
type placedMapping struct {
	m           *yaml.Node
	path, under string
	top         int
}

// eachMapping is walkMappings(d.Root, "", "", visit), the walk done once per
// document and replayed: a dozen rules walk every mapping of the flow, and
// building each mapping's path was most of their cost. The rules plan on an
// unchanged tree (their changes are applied after every rule has planned),
// and apply forgets the walk when it changes the tree.
func (d *Document) eachMapping(visit mappingVisitor) {
	for _, p := range d.mappingList() {
		visit(p.m, p.path, p.under)
	}
}

func (d *Document) mappingList() []placedMapping {
	if !d.walked {
		d.walked = true
		d.mappings = d.mappings[:0]
		top := -1
		var topOf map[*yaml.Node]int
		if d.Root != nil && d.Root.Kind == yaml.MappingNode {
			topOf = make(map[*yaml.Node]int, len(d.Root.Content)/2)
			for i := 1; i < len(d.Root.Content); i += 2 {
				topOf[d.Root.Content[i]] = i - 1
			}
		}
		walkMappingsFrom(d.Root, "", "", func(m *yaml.Node, path, under string) {
			d.mappings = append(d.mappings, placedMapping{m, path, under, top})
		}, func(v *yaml.Node) {
			if i, ok := topOf[v]; ok {
				top = i
			}
		})
	}
	return d.mappings
}

// forgetWalk drops the cached walk (the tree changed).
func (d *Document) forgetWalk() { d.walked, d.mappings = false, nil }

// typeOf is the scalar `type` of a mapping, or "".
func typeOf(m *yaml.Node) string { return scalarString(mapValue(m, "type")) }

// outcomeAt starts an outcome for the mapping m at path: the task id and
// type are filled when m has them.
func outcomeAt(m *yaml.Node, path string) Outcome {
	return Outcome{Change: Change{Path: path, TaskID: scalarString(mapValue(m, "id")), Type: typeOf(m)}}
}

// mentionsWord (what srcScan.word computes) is the fast scan of a rule keyed on words that appear as
// values (type names, enum values): false means none of them is in src. A
// backslash may hide a word behind an escape in a double-quoted scalar, so
// a source with one is always parsed.
func mentionsWord(src []byte, words ...string) bool {
	for _, w := range words {
		if bytes.Contains(src, []byte(w)) {
			return true
		}
	}
	return bytes.IndexByte(src, '\\') >= 0
}

// mentionsKeyOrEscape (the reference srcScan.keyOrEscape is tested against) is MentionsKey that also answers yes for a source with
// a backslash (a key may be spelt with an escape in double quotes).
func mentionsKeyOrEscape(src []byte, keys ...string) bool {
	if bytes.IndexByte(src, '\\') >= 0 {
		return true
	}
	for _, k := range keys {
		if bytes.Contains(src, []byte(k)) { // the word at all, first: a fast search
			return MentionsKey(src, keys...)
		}
	}
	return false
}

// mergedKey reports whether m gets key through a YAML merge key (`<<:
// *base`): the text of m does not hold it, so it cannot be edited there.
func mergedKey(m *yaml.Node, key string) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != "<<" || m.Content[i].Tag != "!!merge" && m.Content[i].ShortTag() != "!!merge" {
			continue
		}
		v := resolveAlias(m.Content[i+1])
		switch v.Kind {
		case yaml.MappingNode:
			if mapValue(v, key) != nil {
				return true
			}
		case yaml.SequenceNode:
			for _, c := range v.Content {
				if mapValue(resolveAlias(c), key) != nil {
					return true
				}
			}
		}
	}
	return false
}

// refuseShared explains why the entry key of m cannot be edited in place:
// m is an anchored node used through an alias elsewhere (an edit would
// change every user), or the key's value is an alias or anchors a node.
func (d *Document) refuseShared(m *yaml.Node, key string) string {
	if m.Anchor != "" && d.aliased[m.Anchor] {
		return fmt.Sprintf("the mapping holding %s is anchored (&%s) and used elsewhere: migrate it by hand", key, m.Anchor)
	}
	if v := mapValue(m, key); v != nil {
		if v.Kind == yaml.AliasNode {
			return fmt.Sprintf("the value of %s is an alias (*%s): migrate it by hand", key, v.Value)
		}
		if v.Anchor != "" {
			return fmt.Sprintf("the value of %s is anchored (&%s): migrate it by hand", key, v.Anchor)
		}
	}
	return ""
}

// renameKeyOutcome renames the key from of m to to, refusing a rename onto a
// key that already exists (a duplicate key), a key merged in or shared, and a
// key spelt so that the edit cannot be made safely.
func (d *Document) renameKeyOutcome(o Outcome, m *yaml.Node, from, to string) Outcome {
	o.From, o.To = append(o.From, from), append(o.To, to)
	if mapIndex(m, to) >= 0 || mergedKey(m, to) {
		o.Unsupported = fmt.Sprintf("both %s and %s are set: keep one by hand (renaming would create a duplicate key)", from, to)
		return o
	}
	if m.Anchor != "" && d.aliased[m.Anchor] {
		o.Unsupported = fmt.Sprintf("the mapping holding %s is anchored (&%s) and used elsewhere: migrate it by hand", from, m.Anchor)
		return o
	}
	e, mutate, ok := d.RenameKey(m, from, to)
	if !ok {
		o.Unsupported = fmt.Sprintf("the key %s is written in a way that cannot be renamed safely (multi-line, tagged or anchored): rename it by hand", from)
		return o
	}
	o.Edits = append(o.Edits, e)
	o.Mutate = chain(o.Mutate, mutate)
	return o
}

// chain runs the mutations in order (nil ones skipped).
func chain(fns ...func()) func() {
	var keep []func()
	for _, f := range fns {
		if f != nil {
			keep = append(keep, f)
		}
	}
	return func() {
		for _, f := range keep {
			f()
		}
	}
}

// replaceScalarWith writes text in place of the one-line scalar n, quotes
// included (so a quoted "STORE" can become a plain true); value is what text
// reads back as, tag its resolved tag ("!!bool", "!!str", ...).
func (d *Document) replaceScalarWith(n *yaml.Node, text, value, tag string) (Edit, func(), bool) {
	if n.Kind != yaml.ScalarNode || n.Anchor != "" || n.Tag != "" && n.Style&yaml.TaggedStyle != 0 {
		return Edit{}, nil, false
	}
	sp, ok := d.scalarSpan(n)
	if !ok {
		return Edit{}, nil, false
	}
	return Edit{Start: sp.Start, End: sp.End, Text: text}, func() {
		n.Value, n.Tag, n.Style = value, tag, 0
	}, true
}

// replaceEntryLines writes lines in place of the entry key of the block mapping
// m (its lines and the comments inside it), at the entry's column: the same
// contract as InsertAfter's lines. It refuses a flow mapping and an anchored
// value.
func (d *Document) replaceEntryLines(m *yaml.Node, key string, lines []string) (Edit, func(), bool) {
	i := mapIndex(m, key)
	if i < 0 || m.Style&yaml.FlowStyle != 0 || len(lines) == 0 || m.Content[i+1].Anchor != "" {
		return Edit{}, nil, false
	}
	added, ok := parseLines(lines)
	if !ok {
		return Edit{}, nil, false
	}
	e := d.entryOf(m.Content[i], m.Content[i+1])
	pad := strings.Repeat(" ", e.Col)
	var b strings.Builder
	for j, l := range lines {
		if j > 0 {
			b.WriteString(d.EOL)
		}
		if j > 0 || !e.OnDash {
			b.WriteString(pad)
		}
		b.WriteString(l)
	}
	if sp := e.Span; sp.End > sp.Start && d.Src[sp.End-1] == '\n' {
		b.WriteString(d.EOL)
	}
	k := m.Content[i]
	return Edit{Start: e.Span.Start, End: e.Span.End, Text: b.String()}, func() { splicePairs(m, k, false, added) }, true
}

// parseLines parses "key: value" lines into the pairs of one block mapping.
func parseLines(lines []string) ([]*yaml.Node, bool) {
	var added yaml.Node
	if err := yaml.Unmarshal([]byte(strings.Join(lines, "\n")), &added); err != nil ||
		len(added.Content) != 1 || added.Content[0].Kind != yaml.MappingNode {
		return nil, false
	}
	return added.Content[0].Content, true
}

// oneLineValue is the original text of the value of m's entry key when it
// is a scalar or a flow collection written on the key's line (a trailing
// comment included), so it can be carried to another key unchanged.
func (d *Document) oneLineValue(m *yaml.Node, key string) (string, bool) {
	i := mapIndex(m, key)
	if i < 0 {
		return "", false
	}
	v := m.Content[i+1]
	if v.Kind == yaml.AliasNode || v.Anchor != "" || v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 ||
		v.Kind == yaml.MappingNode && v.Style&yaml.FlowStyle == 0 || v.Kind == yaml.SequenceNode && v.Style&yaml.FlowStyle == 0 {
		return "", false
	}
	text, ok := d.valueText(d.entryOf(m.Content[i], v))
	if !ok || strings.ContainsAny(text, "\r\n") {
		return "", false
	}
	return text, true
}

// isFalse reports whether a scalar reads as boolean false for Kestra: YAML
// false in any of its spellings, or a string Jackson coerces to false.
func isFalse(n *yaml.Node) bool {
	n = resolveAlias(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return false
	}
	switch n.Value {
	case "false", "False", "FALSE":
		return n.ShortTag() == "!!bool" || n.ShortTag() == "!!str"
	}
	return false
}

// summarize shortens a value's text for a warning.
func summarize(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i] + " ..."
	}
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}

// removeEntryOutcome removes the entry key of m, saying what was removed.
func (d *Document) removeEntryOutcome(o Outcome, m *yaml.Node, key string) Outcome {
	if why := d.refuseShared(m, key); why != "" {
		o.Unsupported = why
		return o
	}
	i := mapIndex(m, key)
	text := ""
	if v := m.Content[i+1]; v.Kind == yaml.ScalarNode {
		text = summarize(v.Value)
		if sp, ok := d.scalarSpan(v); ok {
			text = string(d.Src[sp.Start:sp.End]) // as written, quotes included
		}
	} else if m.Style&yaml.FlowStyle == 0 {
		if t, ok := d.valueText(d.entryOf(m.Content[i], v)); ok {
			text = summarize(t)
		}
	}
	e, mutate, ok := d.removeEntry(m, key)
	if !ok {
		o.Unsupported = fmt.Sprintf("%s cannot be removed safely here (the first key on a list item's line, the only key, or a multi-line flow mapping): remove it by hand", key)
		return o
	}
	o.Edits = append(o.Edits, e)
	o.Mutate = chain(o.Mutate, mutate)
	o.warn("%s: removed %s: %s", o.Describe(), key, text)
	return o
}

// stepNear is the indentation step the text uses: that of the first block
// mapping nested under m, else anywhere in the document, else 2.
func (d *Document) stepNear(m *yaml.Node) int {
	for _, scope := range []*yaml.Node{m, d.Root} {
		step := 0
		walkMappings(scope, "", "", func(n *yaml.Node, _, _ string) {
			for i := 0; step == 0 && i+1 < len(n.Content); i += 2 {
				v := n.Content[i+1]
				if v.Kind == yaml.MappingNode && v.Style&yaml.FlowStyle == 0 && len(v.Content) > 0 && v.Content[0].Line > n.Content[i].Line {
					if s := d.safeColumn(v.Content[0]) - d.safeColumn(n.Content[i]); s > 0 {
						step = s
					}
				}
			}
		})
		if step > 0 {
			return step
		}
	}
	return 2
}

// removeEntry is RemoveEntry (or, in a flow mapping, removeFlowEntry) whose
// tree change finds the pair by its key node when it runs: RemoveEntry's own
// looks the key up by the index it had when planned, which another removal
// in the same mapping has shifted by then (two removals in one mapping
// panicked).
func (d *Document) removeEntry(m *yaml.Node, key string) (Edit, func(), bool) {
	i := mapIndex(m, key)
	if i < 0 {
		return Edit{}, nil, false
	}
	if m.Style&yaml.FlowStyle != 0 {
		return d.removeFlowEntry(m, key)
	}
	k := m.Content[i]
	e, _, ok := d.RemoveEntry(m, key)
	if !ok {
		return Edit{}, nil, false
	}
	return e, func() { removePair(m, k) }, true
}

// safeColumn is column for any node: -1 when its mark is outside the text
// (the parser counts line breaks a line index does not; Rewrite refuses such
// sources before planning, a rule called directly must not panic).
func (d *Document) safeColumn(n *yaml.Node) int {
	if n.Line < 1 || n.Line > len(d.lineStarts) {
		return -1
	}
	off := d.offset(n)
	if off < 0 {
		return -1
	}
	return off - d.lineStarts[n.Line-1]
}

// insertAfter adds "key: value" after the entry after of m, in block or
// flow style.
func (d *Document) insertAfter(m *yaml.Node, after, key, value string) (Edit, func(), bool) {
	if m.Style&yaml.FlowStyle != 0 {
		return d.insertFlowAfter(m, after, key, value)
	}
	return d.InsertAfter(m, after, []string{key + ": " + value})
}

// defaultsShift explains how renaming a task's type from old to new would
// change which flow defaults apply to it, or returns "". Kestra matches a
// pluginDefaults (taskDefaults) entry on the task's type as written, by
// prefix; entries are renamed in the same pass by renamed (which returns
// an entry type unchanged when it is not renamed).
func defaultsShift(d *Document, old, new string, renamed func(string) string) string {
	for _, e := range defaultsList(d.Root) {
		t := typeOf(e)
		if t == "" {
			continue
		}
		before := strings.HasPrefix(old, t)
		after := strings.HasPrefix(new, renamed(t))
		switch {
		case before && !after:
			return fmt.Sprintf("the defaults for %q apply to %s but not to %s: renaming would drop them", t, old, new)
		case !before && after:
			return fmt.Sprintf("the defaults for %q apply to %s but not to %s: renaming would add them", renamed(t), new, old)
		}
	}
	return ""
}
