package rewrite

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// TypeRenamesRule renames the old type names of the official table
// (TypeRenames) on every mapping that has a `type`: tasks, triggers and
// pluginDefaults entries (official renameTypes, internal/migrate/migrate.go).
// Template -> Subflow brings templateId -> flowId and Echo -> Log brings
// format -> message (official templateTypes, echoTypes); on a defaults entry
// those keys are renamed in its `values`. Rows marked Refuse (State Store,
// LocalFiles) are left as they are with a note: their rename alone gives a
// flow the server rejects, and the detections report them.
type TypeRenamesRule struct{}

// TypeRenamesRuleName is the rule's name in reports and --rules.
const TypeRenamesRuleName = "type-renames"

// Info implements Rule.
func (TypeRenamesRule) Info() RuleInfo {
	return RuleInfo{Name: TypeRenamesRuleName,
		URL: GuideV2}
}

// Mentions implements Rule: one pass over the "io.kestra." words.
func (r TypeRenamesRule) Mentions(src []byte) bool { return r.mentionsIn(newScan(src)) }

func (TypeRenamesRule) mentionsIn(s *srcScan) bool { return s.typeName(typeRenameScan) }

var typeRenameScan = scanGroupOfSet(typeRenameNames)

// typeRenameNames are the old names of the table.
var typeRenameNames = func() typeSet {
	s := typeSet{}
	for _, r := range TypeRenames {
		s[r.Old] = true
	}
	return s
}()

// mentionsTypeName (the reference srcScan.typeName is tested against) finds a dotted name starting with "io.kestra." that is in
// names (or a backslash, which may hide one behind an escape). No allocation.
func mentionsTypeName(src []byte, names typeSet) bool {
	if bytes.IndexByte(src, '\\') >= 0 {
		return true
	}
	prefix := []byte("io.kestra.")
	for from := 0; ; {
		i := bytes.Index(src[from:], prefix)
		if i < 0 {
			return false
		}
		start := from + i
		end := start + len(prefix)
		for end < len(src) && isTypeNameByte(src[end]) {
			end++
		}
		if names[string(src[start:end])] {
			return true
		}
		from = end
	}
}

func isTypeNameByte(c byte) bool {
	return c == '.' || c == '_' || c == '$' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// defaultsEntries returns the entries of the root pluginDefaults and
// taskDefaults lists (their `type` is a task type, their `values` the task's
// keys).
func defaultsEntries(root *yaml.Node) map[*yaml.Node]bool {
	entries := map[*yaml.Node]bool{}
	for _, e := range defaultsList(root) {
		entries[e] = true
	}
	return entries
}

// defaultsList is defaultsEntries in document order.
func defaultsList(root *yaml.Node) []*yaml.Node {
	var entries []*yaml.Node
	for _, section := range []string{"pluginDefaults", "taskDefaults"} {
		if seq := mapValue(root, section); seq != nil && seq.Kind == yaml.SequenceNode {
			for _, e := range seq.Content {
				if e.Kind == yaml.MappingNode {
					entries = append(entries, e)
				}
			}
		}
	}
	return entries
}

// Plan implements Rule.
func (TypeRenamesRule) Plan(d *Document) []Outcome {
	var out []Outcome
	defaults := defaultsEntries(d.Root)
	d.eachMapping(func(m *yaml.Node, path, _ string) {
		row, ok := typeRenameIndex[typeOf(m)]
		if !ok {
			return
		}
		o := outcomeAt(m, path)
		if row.Refuse != "" {
			o.warn("%s left as it is: %s", o.Describe(), row.Refuse)
			out = append(out, o)
			return
		}
		out = append(out, d.planTypeRename(o, m, *row, defaults[m]))
	})
	return out
}

// templateOnlyKeys exist on Template and not on Subflow (kestra-io/kestra
// core/src/main/java/io/kestra/plugin/core/flow/Template.java).
var templateOnlyKeys = []string{"args", "errors", "finally"}

func (d *Document) planTypeRename(o Outcome, m *yaml.Node, row TypeRename, isDefaults bool) Outcome {
	typ := mapValue(m, "type")
	o.From, o.To = []string{"type: " + row.Old}, []string{"type: " + row.New}
	props := m
	if isDefaults {
		props = mapValue(m, "values")
	}
	if len(row.Props) > 0 && row.Props[0].From == "templateId" {
		for _, k := range templateOnlyKeys {
			if mapValue(props, k) != nil {
				o.Unsupported = fmt.Sprintf("%s uses %s, which Subflow does not have: rewrite the template as a subflow by hand", row.Old, k)
				return o
			}
		}
		o.warn("%s: %s became a Subflow: the template's tasks used to run inside this execution, a Subflow starts an execution of the flow %s (it must exist and take the same inputs)",
			o.Describe(), row.Old, scalarString(mapValue(props, "templateId")))
	}
	if row.New == "io.kestra.plugin.kestra.logs.Fetch" {
		o.warn("%s: %s lives in plugin-kestra, which must be installed on the server; on 2.0 its tasks need auth (sdk-auth-advisory)",
			o.Describe(), row.New)
	}
	if !isDefaults {
		if why := defaultsShift(d, row.Old, row.New, renamedType); why != "" {
			o.Unsupported = why + ": migrate the task and its defaults by hand"
			return o
		}
	}
	if typ.Anchor != "" {
		o.Unsupported = fmt.Sprintf("the type %s is anchored (&%s): rename it by hand", row.Old, typ.Anchor)
		return o
	}
	e, mutate, ok := d.ReplaceScalar(typ, row.New)
	if !ok {
		o.Unsupported = fmt.Sprintf("the type %s is written in a way that cannot be replaced safely: rename it by hand", row.Old)
		return o
	}
	o.Edits, o.Mutate = []Edit{e}, mutate
	for _, p := range row.Props {
		if props == nil || props.Kind != yaml.MappingNode || mapIndex(props, p.From) < 0 {
			if props != nil && props.Kind == yaml.MappingNode && mergedKey(props, p.From) {
				o.Unsupported = fmt.Sprintf("%s comes through a merge key (<<): rename it by hand", p.From)
				return o
			}
			continue
		}
		o = d.renameKeyOutcome(o, props, p.From, p.To)
		if o.Unsupported != "" {
			return o
		}
	}
	return o
}

// renamedType is what type-renames makes of a type name in this pass.
func renamedType(t string) string {
	if r, ok := typeRenameIndex[t]; ok && r.Refuse == "" {
		return r.New
	}
	return t
}
