package migrator

import (
	"sort"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// Rule is one deprecation rewrite. The runner -> taskRunner change is the
// first; the engine, the reports and the text-edit machinery serve any rule.
type Rule interface {
	// Name identifies the rule in reports and logs.
	Name() string
	// Mentions is a fast byte scan, no parse: false means the source surely
	// has nothing for this rule.
	Mentions(src []byte) bool
	// Plan inspects a parsed document and returns one outcome per task (or
	// defaults entry) that uses the deprecated form.
	Plan(d *Document) []Outcome
}

// Outcome is what a rule decided for one task: text edits and the matching
// change to the parsed tree, or the reason it must be migrated by hand.
type Outcome struct {
	Change
	Edits       []Edit
	Mutate      func() // applies the same change to the parsed tree: the expected result
	Warnings    []string
	Unsupported string // non-empty: leave this task as it is, for this reason
}

// Edit replaces the source bytes [Start, End) with Text.
type Edit struct {
	Start, End int
	Text       string
}

// applyEdits splices non-overlapping edits into src; ok is false on overlap.
func applyEdits(src []byte, edits []Edit) (out []byte, ok bool) {
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].Start < edits[j].Start })
	size := len(src)
	for i, e := range edits {
		if e.Start > e.End || e.End > len(src) || (i > 0 && e.Start < edits[i-1].End) {
			return nil, false
		}
		size += len(e.Text) - (e.End - e.Start)
	}
	out = make([]byte, 0, size)
	prev := 0
	for _, e := range edits {
		out = append(out, src[prev:e.Start]...)
		out = append(out, e.Text...)
		prev = e.End
	}
	return append(out, src[prev:]...), true
}

// taskVisitor receives each task mapping (a mapping with scalar id and type)
// with its path such as "tasks[1].then[0]".
type taskVisitor func(task *yaml.Node, path string)

// walkTasks visits every task anywhere in the document, at any depth: tasks,
// errors, finally, afterExecution and every nested list of flowable tasks.
func walkTasks(n *yaml.Node, path string, visit taskVisitor) {
	switch n.Kind {
	case yaml.MappingNode:
		if isTask(n) {
			visit(n, path)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			walkTasks(n.Content[i+1], p, visit)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			walkTasks(c, path+"["+strconv.Itoa(i)+"]", visit)
		}
	}
}

func isTask(m *yaml.Node) bool {
	id, typ := mapValue(m, "id"), mapValue(m, "type")
	return id != nil && typ != nil && id.Kind == yaml.ScalarNode && typ.Kind == yaml.ScalarNode
}

// mapValue returns the value of key in mapping m, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// mapIndex returns the index in m.Content of key's key node, or -1.
func mapIndex(m *yaml.Node, key string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key {
			return i
		}
	}
	return -1
}

func scalarString(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}
