package rewrite

import (
	"bytes"
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// Detections: rules that change nothing and report what Kestra 2.0 refuses
// (blocking) or runs differently (advisory), each warning with a stable code,
// a severity and the guide's URL. The codes and URLs are those of Kestra's
// official 1.3 -> 2.0 tool, so that reports line up with its documentation:
// kestra-io/kestra2-flow-migration internal/migrate/migrate.go (Code*
// constants, Doc* constants; commit 7ef6c94f61d88e7275bfc7a2181e3e4b8b956328).
// A detection runs whatever the target (its Since is empty): it says what 2.0
// will refuse, which matters most while the flow still lives on 1.3.

// Detection codes. The official ones keep the official spelling; the codes
// marked "ours" have no counterpart in the official tool.
const (
	CodeRemovedType         = "removed-type"
	CodeForEachLoop         = "foreach-loop"
	CodePluginDefaults      = "plugin-defaults-removed"
	CodeMissingTriggerInput = "missing-trigger-input"
	CodeSDKAuthRequired     = "sdk-auth-required"
	CodeSDKAuthAdvisory     = "sdk-auth-advisory"
	CodePebbleVersionArg    = "pebble-version-arg"
	CodeIonRead             = "ion-read"
	CodeWorkerGroup         = "worker-group"
	CodeTriggerConditions   = "trigger-conditions"
	CodeStateToKV           = "state-to-kv"
	// CodeReservedFlowID is ours: the official tool renames such a flow
	// (renameReservedFlowIDs), which on a server would create a new flow.
	CodeReservedFlowID = "reserved-flow-id"
)

// Guide pages (official migrate.go: DocMigrationGuide and the doc* constants).
const (
	Kestra2GuideURL           = "https://kestra.io/docs/migration-guide/v2.0.0"
	guideForEachLoop          = Kestra2GuideURL + "/foreach-loop"
	guideTriggerConditions    = Kestra2GuideURL + "/trigger-conditions-redesign"
	guideSDKAuth              = Kestra2GuideURL + "/sdk-authentication"
	guidePluginDefaults       = Kestra2GuideURL + "/plugin-defaults-removed"
	guideIonBinaryFormat      = Kestra2GuideURL + "/ion-binary-format"
	guideWorkerGroupMigration = "https://kestra.io/docs/enterprise/scalability/worker-group#migrating-from-earlier-versions"
)

// detectRule is a Rule that only reports. Each detection family is one
// detectRule with its own name and codes; every warning names both.
type detectRule struct {
	name     string
	keys     []string
	url      string
	mentions func(s *srcScan) bool // the byte scan, over a shared scan
	detect   func(d *Document, f *detectFindings)
}

// Info implements Rule. Since is empty: detections run for every target.
func (r *detectRule) Info() RuleInfo { return RuleInfo{Name: r.name, Keys: r.keys, URL: r.url} }

// Mentions implements Rule.
func (r *detectRule) Mentions(src []byte) bool { return r.mentions(newScan(src)) }

func (r *detectRule) mentionsIn(s *srcScan) bool { return r.mentions(s) }

// reportOnly is implemented by the rules whose outcomes never edit.
type reportOnly interface{ reportsOnly() }

func (r *detectRule) reportsOnly() {}

// Plan implements Rule: one outcome per finding, with no edit.
func (r *detectRule) Plan(d *Document) []Outcome {
	if d.Root == nil {
		return nil
	}
	var found detectFindings
	r.detect(d, &found)
	return found.out
}

// detectFindings collects the findings of one rule on one document.
type detectFindings struct{ out []Outcome }

// add records a finding on the mapping at path (a task, a trigger, the root).
func (f *detectFindings) add(m *yaml.Node, path, code string, sev Severity, url, format string, args ...any) {
	o := Outcome{Change: Change{Path: path, TaskID: scalarText(mergedValue(m, "id")), Type: scalarText(mergedValue(m, "type"))}}
	o.Warnings = []Warning{{Code: code, Severity: sev, Path: path, URL: url, Message: fmt.Sprintf(format, args...)}}
	f.out = append(f.out, o)
}

// eachMapping visits every mapping of the tree with its path ("tasks[0]",
// "triggers[1].conditions[0]", "" for the root), as the official walkMappings
// does: tasks at any depth, triggers, conditions, defaults entries, even data
// maps. An alias is not followed (its anchor is visited where it is written).
func eachMapping(n *yaml.Node, path string, visit func(m *yaml.Node, path string)) {
	if n == nil {
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		visit(n, path)
		for i := 0; i+1 < len(n.Content); i += 2 {
			eachMapping(n.Content[i+1], detectChildPath(path, n.Content[i].Value), visit)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			eachMapping(c, path+"["+strconv.Itoa(i)+"]", visit)
		}
	}
}

// eachPluginMapping is eachMapping over the parts of a flow that Kestra reads as
// plugins (tasks, triggers, conditions, defaults entries...): it skips the
// root `variables`, free data that may hold an anchored mapping with a
// `type` which only counts where it is merged into a task.
func eachPluginMapping(d *Document, visit func(m *yaml.Node, path string)) {
	root := unalias(d.Root)
	if root == nil || root.Kind != yaml.MappingNode {
		eachMapping(d.Root, "", visit)
		return
	}
	if root == d.Root { // the document's shared walk, the same visits
		for _, p := range d.mappingList() {
			if p.top >= 0 {
				if k := root.Content[p.top]; k.Kind == yaml.ScalarNode && k.Value == "variables" {
					continue
				}
			}
			visit(p.m, p.path)
		}
		return
	}
	visit(root, "")
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k := root.Content[i]; k.Kind == yaml.ScalarNode && k.Value == "variables" {
			continue
		}
		eachMapping(root.Content[i+1], detectChildPath("", root.Content[i].Value), visit)
	}
}

// eachScalarValue visits every scalar value (never a mapping key) with its path.
func eachScalarValue(n *yaml.Node, path string, visit func(s *yaml.Node, path func() string)) {
	eachScalar(n, nil, visit)
}

// scalarPath is the path of a node as a chain to its parent, turned into
// text only when a finding needs it: most scalars are visited and left.
type scalarPath struct {
	parent *scalarPath
	key    string
	index  int // a sequence item's index when key is ""
}

func (p *scalarPath) String() string {
	if p == nil {
		return ""
	}
	parent := p.parent.String()
	if p.key == "" {
		return parent + "[" + strconv.Itoa(p.index) + "]"
	}
	return detectChildPath(parent, p.key)
}

func eachScalar(n *yaml.Node, path *scalarPath, visit func(s *yaml.Node, path func() string)) {
	if n == nil {
		return
	}
	switch n.Kind {
	case yaml.ScalarNode:
		visit(n, path.String)
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			eachScalar(n.Content[i+1], &scalarPath{parent: path, key: n.Content[i].Value}, visit)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			eachScalar(c, &scalarPath{parent: path, index: i}, visit)
		}
	}
}

func detectChildPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// mergedValue returns the value of key in mapping m, following YAML merge keys
// (`<<: *base`, `<<: [*a, *b]`) as Kestra's parser does: the mapping's own
// key wins, then the merged mappings in order. Aliases are resolved.
func mergedValue(m *yaml.Node, key string) *yaml.Node {
	return mergedValueDepth(m, key, 0)
}

func mergedValueDepth(m *yaml.Node, key string, depth int) *yaml.Node {
	m = unalias(m)
	if m == nil || m.Kind != yaml.MappingNode || depth > 16 {
		return nil
	}
	var merges []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if k.Kind != yaml.ScalarNode {
			continue
		}
		if k.Value == key && k.Tag != "!!merge" {
			return unalias(m.Content[i+1])
		}
		if k.Value == "<<" && (k.Tag == "!!merge" || k.Tag == "") {
			merges = append(merges, unalias(m.Content[i+1]))
		}
	}
	for _, mv := range merges {
		if mv == nil {
			continue
		}
		if mv.Kind == yaml.SequenceNode {
			for _, c := range mv.Content {
				if v := mergedValueDepth(c, key, depth+1); v != nil {
					return v
				}
			}
			continue
		}
		if v := mergedValueDepth(mv, key, depth+1); v != nil {
			return v
		}
	}
	return nil
}

// unalias resolves an alias to the node it names.
func unalias(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 16; i++ {
		n = n.Alias
	}
	return n
}

// scalarText is the value of a scalar node (aliases resolved), "" otherwise.
func scalarText(n *yaml.Node) string {
	n = unalias(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// kestraFalse reports whether a scalar reads as the boolean false for Kestra:
// its parser loads YAML 1.1 (SnakeYAML: false/no/off in three casings, plain
// only), and Jackson then also coerces the strings "false", "False" and
// "FALSE" to false.
func kestraFalse(n *yaml.Node) bool { return kestraBool(n, false) }

// kestraTrue is kestraFalse's counterpart for true/yes/on.
func kestraTrue(n *yaml.Node) bool { return kestraBool(n, true) }

func kestraBool(n *yaml.Node, want bool) bool {
	n = unalias(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return false
	}
	words := [...]string{"false", "False", "FALSE"}
	yaml11 := [...]string{"no", "No", "NO", "off", "Off", "OFF"}
	if want {
		words = [...]string{"true", "True", "TRUE"}
		yaml11 = [...]string{"yes", "Yes", "YES", "on", "On", "ON"}
	}
	for _, w := range words {
		if n.Value == w {
			return true
		}
	}
	if n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return false
	}
	for _, w := range yaml11 {
		if n.Value == w {
			return true
		}
	}
	return false
}

// idOrUnknown names a task or trigger without an id as the official tool does.
func idOrUnknown(id string) string {
	if id == "" {
		return "(unknown)"
	}
	return id
}

// ---- byte scans (Mentions): false must mean "surely nothing" ----

// mayHideWords reports whether src could spell a word in a way a plain byte
// search misses: a double-quoted escape that encodes any character (\x, \u,
// \U) or an escaped line break, which joins two lines without a space.
// Other ways of writing a scalar (plain or single-quoted folding) insert a
// space, so they cannot hide a type name or a key.
func mayHideWords(src []byte) bool {
	for from := 0; ; {
		i := bytes.IndexByte(src[from:], '\\')
		if i < 0 || from+i+1 >= len(src) {
			return false
		}
		i += from
		switch src[i+1] {
		case 'x', 'u', 'U', '\n', '\r':
			return true
		case '\\':
			from = i + 2
			continue
		}
		from = i + 1
	}
}

// typeMatcher matches Kestra type names exactly or by prefix (a name ending in '.').
type typeMatcher struct {
	exact    map[string]bool
	prefixes []string
	lens     [4]uint64 // bit n: some exact name is n bytes long (n < 256)
}

func newTypeMatcher(names ...string) typeMatcher {
	s := typeMatcher{exact: map[string]bool{}}
	for _, n := range names {
		s.add(n)
	}
	return s
}

func (s *typeMatcher) add(n string) {
	if n[len(n)-1] == '.' {
		s.prefixes = append(s.prefixes, n)
		return
	}
	s.exact[n] = true
	if len(n) < 256 {
		s.lens[len(n)/64] |= 1 << (len(n) % 64)
	}
}

func (s typeMatcher) has(t string) bool { return s.hasBytes([]byte(t)) }

// hasBytes is has on bytes, without allocating.
func (s typeMatcher) hasBytes(t []byte) bool {
	if n := len(t); (n >= 256 || s.lens[n/64]&(1<<(n%64)) != 0) && s.exact[string(t)] {
		return true
	}
	for _, p := range s.prefixes {
		if len(t) >= len(p) && string(t[:len(p)]) == p { // the prefix alone too, as strings.HasPrefix
			return true
		}
	}
	return false
}

var kestraNameChars = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = isKestraNameChar(byte(c))
	}
	return t
}()

func isKestraNameChar(c byte) bool {
	return c == '.' || c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// mayCall reports whether src may hold a call to one of names whose text
// after the parenthesis satisfies rest (or hides one behind an escape). It
// looks for each '(' (rare outside expressions and scripts) and back over
// what YAML may turn into Pebble white space: blanks, line breaks (folding)
// and backslash escapes.
func mayCall(s *srcScan, names []string, rest func(after []byte) bool) bool {
	if s.hideWords() {
		return true
	}
	src := s.src
	for from := 0; ; {
		i := bytes.IndexByte(src[from:], '(')
		if i < 0 {
			return false
		}
		p := from + i
		j := p
	back:
		for j > 0 {
			switch c := src[j-1]; {
			case j >= 2 && src[j-2] == '\\':
				j -= 2
			case c == ' ' || c == '\t' || c == '\r' || c == '\n':
				j--
			default:
				break back
			}
		}
		for _, n := range names {
			if j >= len(n) && string(src[j-len(n):j]) == n && rest(src[p+1:]) {
				return true
			}
		}
		from = p + 1
	}
}

// skipPebbleBlank moves past blanks, line breaks and backslash escapes.
func skipPebbleBlank(src []byte, j int) int {
	for j < len(src) {
		switch src[j] {
		case ' ', '\t', '\r', '\n':
			j++
		case '\\':
			j += 2
		default:
			return j
		}
	}
	return j
}
