package rewrite

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Rule is one deprecation rewrite. The runner -> taskRunner change is the
// first; the engine, the reports and the text-edit machinery serve any rule,
// and a rule is added by adding its files and one line in DefaultRules.
type Rule interface {
	// Info declares what the rule is: its name, the keys it deprecates and
	// the Kestra versions its output is valid on.
	Info() RuleInfo
	// Mentions is a fast byte scan, no parse: false means the source surely
	// has nothing for this rule.
	Mentions(src []byte) bool
	// Plan inspects a parsed document and returns one outcome per task (or
	// defaults entry, or other construct) that uses the deprecated form.
	Plan(d *Document) []Outcome
}

// RuleInfo is what a rule declares about itself.
type RuleInfo struct {
	// Name identifies the rule in every change, warning, report and --rules.
	Name string
	// Keys are the mapping keys the rule deprecates: the engine keeps the
	// server's deprecationPaths that end in one of them, and reports list them.
	Keys []string
	// Since is the oldest Kestra version the rule's output is valid on (""
	// for any): a rule whose output only 2.0 accepts says Target20.
	Since Target
	// URL points to the guide that explains the change.
	URL string
}

// ServerChecker is implemented by a rule whose output needs a minimum
// server version: warn explains, refuse stops an apply against that server.
type ServerChecker interface {
	CheckServer(version string) (warn string, refuse bool)
}

// Target is the Kestra version a rewritten flow must be valid on.
type Target string

// The targets a rewrite can aim at.
const (
	Target13 Target = "1.3"
	Target20 Target = "2.0"
)

// Severity says how much a warning matters for an upgrade.
type Severity string

// Severities of a detection: blocking (the next version refuses to save the
// flow) or advisory (it saves it but the flow misbehaves at run time). A
// plain note has none.
const (
	SeverityBlocking Severity = "blocking"
	SeverityAdvisory Severity = "advisory"
)

// Warning is something a rule says about a flow without changing it: a note
// on a change it made, or a detection with a stable code, a severity and the
// guide's URL.
type Warning struct {
	Rule     string   `json:"rule"`
	Code     string   `json:"code,omitempty"`
	Severity Severity `json:"severity,omitempty"`
	Path     string   `json:"path,omitempty"`
	Message  string   `json:"message"`
	URL      string   `json:"url,omitempty"`
}

// Outcome is what a rule decided for one task: text edits and the matching
// change to the parsed tree, or the reason it must be migrated by hand.
// Outcomes without edits and with warnings are detections.
type Outcome struct {
	Change
	Edits       []Edit
	Mutate      func() // applies the same change to the parsed tree: the expected result
	Warnings    []Warning
	Unsupported string // non-empty: leave this task as it is, for this reason
}

// String is the warning as one line: the message, after the code and the
// severity of a detection.
func (w Warning) String() string {
	if w.Code == "" {
		return w.Message
	}
	return fmt.Sprintf("[%s, %s] %s", w.Code, w.Severity, w.Message)
}

// warn adds a plain note to the outcome.
func (o *Outcome) warn(format string, args ...any) {
	o.Warnings = append(o.Warnings, Warning{Path: o.Path, Message: fmt.Sprintf(format, args...)})
}

// changes reports whether the outcome edits the text.
func (o Outcome) changes() bool { return len(o.Edits) > 0 }

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
// The path is built only for the tasks visited, not for every node.
func walkTasks(n *yaml.Node, path string, visit taskVisitor) {
	w := taskWalk{visit: visit, root: path}
	w.walk(n)
}

type taskWalk struct {
	visit taskVisitor
	root  string
	steps []pathStep
}

// pathStep is a mapping key, or a sequence index when key is nil.
type pathStep struct {
	key   *string
	index int
}

func (w *taskWalk) walk(n *yaml.Node) {
	switch n.Kind {
	case yaml.MappingNode:
		if isTask(n) {
			w.visit(n, w.path())
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			w.steps = append(w.steps, pathStep{key: &n.Content[i].Value})
			w.walk(n.Content[i+1])
			w.steps = w.steps[:len(w.steps)-1]
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			w.steps = append(w.steps, pathStep{index: i})
			w.walk(c)
			w.steps = w.steps[:len(w.steps)-1]
		}
	}
}

func (w *taskWalk) path() string {
	var b strings.Builder
	b.WriteString(w.root)
	for _, s := range w.steps {
		if s.key == nil {
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(*s.key)
	}
	return b.String()
}

func isTask(m *yaml.Node) bool {
	id, typ := taskValue(m, "id"), taskValue(m, "type")
	return id != nil && typ != nil && id.Kind == yaml.ScalarNode && typ.Kind == yaml.ScalarNode
}

// taskValue returns the value of key in mapping m, also when a YAML merge
// key (<<: *base) brings it in, as Kestra's parser sees it.
func taskValue(m *yaml.Node, key string) *yaml.Node {
	if v := mapValue(m, key); v != nil {
		return resolveAlias(v)
	}
	if mapIndex(m, "<<") < 0 {
		return nil
	}
	seen := map[*yaml.Node]bool{}
	var find func(m *yaml.Node) *yaml.Node
	find = func(m *yaml.Node) *yaml.Node {
		for _, s := range mergeSources(m) {
			if seen[s] {
				continue
			}
			seen[s] = true
			if v := mapValue(s, key); v != nil {
				return resolveAlias(v)
			}
			if v := find(s); v != nil {
				return v
			}
		}
		return nil
	}
	return find(m)
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
