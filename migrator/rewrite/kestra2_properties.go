package rewrite

import (
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The property rules of the official tool (kestra-io/kestra2-flow-migration
// internal/migrate/migrate.go: renameMaxAttemptToMaxAttempts,
// renamePauseDelayToPauseDuration, normalizeFetchType, renameExitCanceled,
// renameCanceledStates, setLocalDeleteRecursive, removeDeprecatedProperties).
// A rule that matches by type accepts the old and the new name: the type
// rename runs in the same pass, on the same original text.

// typeSet is a set of type names.
type typeSet map[string]bool

func newTypeSet(names ...string) typeSet {
	s := typeSet{}
	for _, n := range names {
		s[n] = true
	}
	return s
}

// typedMappings calls fn for every mapping whose type is in types, with the
// mapping that holds the task's properties: the mapping itself, or the
// `values` of a pluginDefaults entry (nil when it has none).
func typedMappings(d *Document, types typeSet, fn func(m, props *yaml.Node, path string)) {
	defaults := defaultsEntries(d.Root)
	d.eachMapping(func(m *yaml.Node, path, _ string) {
		if !types[typeOf(m)] {
			return
		}
		if defaults[m] {
			v := mapValue(m, "values")
			if v == nil || v.Kind != yaml.MappingNode {
				return
			}
			fn(m, v, joinPath(path, "values"))
			return
		}
		fn(m, m, path)
	})
}

// MaxAttemptsRule renames `maxAttempt` to `maxAttempts` in retry policies:
// mappings that are the value of a `retry` key (tasks, the flow, triggers,
// defaults values). The official tool renames the key in every mapping,
// data maps included; only retry has it in Kestra's model.
type MaxAttemptsRule struct{}

// Info implements Rule.
func (MaxAttemptsRule) Info() RuleInfo {
	return RuleInfo{Name: "max-attempts", Keys: []string{"maxAttempt"}, URL: GuideV2}
}

// Mentions implements Rule.
func (r MaxAttemptsRule) Mentions(src []byte) bool { return r.mentionsIn(newScan(src)) }

func (MaxAttemptsRule) mentionsIn(s *srcScan) bool { return s.keyOrEscape(keysMaxAttempt) }

// Plan implements Rule.
func (MaxAttemptsRule) Plan(d *Document) []Outcome {
	var out []Outcome
	d.eachMapping(func(m *yaml.Node, path, under string) {
		if under != "retry" || mapIndex(m, "maxAttempt") < 0 {
			return
		}
		out = append(out, d.renameKeyOutcome(Outcome{Change: Change{Path: path, Type: typeOf(m)}}, m, "maxAttempt", "maxAttempts"))
	})
	return out
}

// pauseTypes: the official rule matches the new name only, so an old-path
// Pause got its delay renamed on a second run; both names here.
var pauseTypes = newTypeSet("io.kestra.plugin.core.flow.Pause", "io.kestra.core.tasks.flows.Pause")

// PauseDurationRule renames Pause `delay` to `pauseDuration` (resume after
// the duration, as delay did).
type PauseDurationRule struct{}

// Info implements Rule.
func (PauseDurationRule) Info() RuleInfo {
	return RuleInfo{Name: "pause-duration", URL: GuideV2}
}

// Mentions implements Rule.
func (r PauseDurationRule) Mentions(src []byte) bool { return r.mentionsIn(newScan(src)) }

func (PauseDurationRule) mentionsIn(s *srcScan) bool {
	return s.keyOrEscape(keysDelay) && s.typeName(pauseScan)
}

// Plan implements Rule.
func (PauseDurationRule) Plan(d *Document) []Outcome {
	var out []Outcome
	typedMappings(d, pauseTypes, func(m, props *yaml.Node, path string) {
		if mapIndex(props, "delay") >= 0 {
			out = append(out, d.renameKeyOutcome(outcomeAt(m, path), props, "delay", "pauseDuration"))
		}
	})
	return out
}

// fetchTypes are the official fetchTypePlugins, with the old datagen name
// (renamed by type-renames in the same pass).
var fetchTypes = newTypeSet("io.kestra.plugin.datagen.core.Generate", "io.kestra.plugin.datagen.Generate",
	"io.kestra.plugin.googleworkspace.sheets.Read")

// FetchTypeRule turns `fetchType: STORE` into `store: true` and `fetchType:
// FETCH` into `fetch: true` on the types that dropped fetchType; other
// values (FETCH_ONE, NONE, an expression) are left as they are.
type FetchTypeRule struct{}

// Info implements Rule.
func (FetchTypeRule) Info() RuleInfo {
	return RuleInfo{Name: "fetch-type", URL: GuideV2}
}

// Mentions implements Rule.
func (r FetchTypeRule) Mentions(src []byte) bool { return r.mentionsIn(newScan(src)) }

func (FetchTypeRule) mentionsIn(s *srcScan) bool {
	return s.keyOrEscape(keysFetchType) && s.typeName(fetchScan)
}

// Plan implements Rule.
func (FetchTypeRule) Plan(d *Document) []Outcome {
	var out []Outcome
	typedMappings(d, fetchTypes, func(m, props *yaml.Node, path string) {
		v := mapValue(props, "fetchType")
		key := map[string]string{"STORE": "store", "FETCH": "fetch"}[scalarString(v)]
		if key == "" {
			return
		}
		o := outcomeAt(m, path)
		o.From, o.To = []string{"fetchType: " + v.Value}, []string{key + ": true"}
		o = d.renameKeyOutcome(o, props, "fetchType", key)
		o.From, o.To = o.From[:1], o.To[:1]
		if o.Unsupported != "" {
			out = append(out, o)
			return
		}
		e, mutate, ok := d.replaceScalarWith(v, "true", "true", "!!bool")
		if !ok {
			o.Edits, o.Mutate = nil, nil
			o.Unsupported = "the fetchType value is written in a way that cannot be replaced safely: change it by hand"
		} else {
			o.Edits, o.Mutate = append(o.Edits, e), chain(o.Mutate, mutate)
		}
		out = append(out, o)
	})
	return out
}

// exitTypes hold the Exit task. Its ExitState enum is SUCCESS, WARNING,
// KILLED, FAILED, CANCELLED in 2.0; 1.3 accepts both spellings for the same
// state (kestra2-flow-migration migration-documentation/flows-changes.md,
// "Exit.ExitState.CANCELED removed"), while older releases had CANCELED only
// (kestra-io/kestra core/.../plugin/core/execution/Exit.java before 1.3): the
// rule's output needs 1.3. Never KILLED, which also stops sibling tasks.
var exitTypes = newTypeSet("io.kestra.plugin.core.execution.Exit")

// CancelledStateRule writes the state CANCELED as CANCELLED: the Exit task's
// `state`, every `states` value or list item, and `in`/`notIn` of an
// ExecutionStatus condition (official renameExitCanceled and
// renameCanceledStates). Other CANCELED text (labels, messages) is kept.
type CancelledStateRule struct{}

// Info implements Rule.
func (CancelledStateRule) Info() RuleInfo {
	return RuleInfo{Name: "cancelled-state", Since: Target13, URL: GuideV2}
}

// Mentions implements Rule.
func (r CancelledStateRule) Mentions(src []byte) bool { return r.mentionsIn(newScan(src)) }

func (CancelledStateRule) mentionsIn(s *srcScan) bool { return s.word("CANCELED") }

// Plan implements Rule.
func (CancelledStateRule) Plan(d *Document) []Outcome {
	var out []Outcome
	d.eachMapping(func(m *yaml.Node, path, _ string) {
		keys := []string{"states"}
		if exitTypes[typeOf(m)] {
			keys = append(keys, "state")
		}
		if strings.Contains(typeOf(m), "ExecutionStatus") {
			keys = append(keys, "in", "notIn")
		}
		var hits []*yaml.Node
		var from []string
		for _, k := range keys {
			v := mapValue(m, k)
			if v == nil {
				continue
			}
			if scalarString(v) == "CANCELED" {
				hits, from = append(hits, v), append(from, k)
			}
			if v.Kind == yaml.SequenceNode {
				for _, it := range v.Content {
					if scalarString(it) == "CANCELED" {
						hits, from = append(hits, it), append(from, k)
					}
				}
			}
		}
		if len(hits) == 0 {
			return
		}
		o := outcomeAt(m, path)
		for i, n := range hits {
			o.From, o.To = append(o.From, from[i]+": CANCELED"), append(o.To, from[i]+": CANCELLED")
			e, mutate, ok := d.ReplaceScalar(n, "CANCELLED")
			if !ok {
				o.Edits, o.Mutate = nil, nil
				o.Unsupported = fmt.Sprintf("CANCELED under %s is written in a way that cannot be replaced safely (anchored or tagged): change it by hand", from[i])
				break
			}
			o.Edits, o.Mutate = append(o.Edits, e), chain(o.Mutate, mutate)
		}
		out = append(out, o)
	})
	return out
}

// localDeleteTypes: 2.0 flips the task's recursive default to false.
var localDeleteTypes = newTypeSet("io.kestra.plugin.fs.local.Delete")

// LocalDeleteRecursiveRule pins `recursive: true` on a local Delete task that
// does not set it, so a directory is still deleted with its content.
type LocalDeleteRecursiveRule struct{}

// Info implements Rule.
func (LocalDeleteRecursiveRule) Info() RuleInfo {
	return RuleInfo{Name: "local-delete-recursive", URL: GuideV2 + "/local-delete-recursive-default"}
}

// Mentions implements Rule.
func (r LocalDeleteRecursiveRule) Mentions(src []byte) bool { return r.mentionsIn(newScan(src)) }

func (LocalDeleteRecursiveRule) mentionsIn(s *srcScan) bool { return s.typeName(localDeleteScan) }

// Plan implements Rule. Defaults entries are left alone: each task gets the
// pin itself.
func (LocalDeleteRecursiveRule) Plan(d *Document) []Outcome {
	var out []Outcome
	defaults := defaultsEntries(d.Root)
	d.eachMapping(func(m *yaml.Node, path, _ string) {
		if !localDeleteTypes[typeOf(m)] || defaults[m] || mapIndex(m, "recursive") >= 0 {
			return
		}
		o := outcomeAt(m, path)
		o.To = []string{"recursive: true"}
		if mergedKey(m, "recursive") {
			return // the merged mapping sets it
		}
		e, mutate, ok := d.insertAfter(m, "type", "recursive", "true")
		if !ok {
			o.Unsupported = "cannot add recursive: true to this task safely (a multi-line flow mapping): add it by hand"
		} else {
			o.Edits, o.Mutate = []Edit{e}, mutate
		}
		out = append(out, o)
	})
	return out
}

// Types whose properties 2.0 removed (official removeDeprecatedProperties),
// with the old names type-renames turns into them.
var (
	subflowTypes  = newTypeSet("io.kestra.plugin.core.flow.Subflow", "io.kestra.core.tasks.flows.Subflow", "io.kestra.core.tasks.flows.Flow")
	scheduleTypes = newTypeSet("io.kestra.plugin.core.trigger.Schedule", "io.kestra.core.models.triggers.types.Schedule")
)

// removedProperty is one entry the removed-properties rule deletes, and why.
type removedProperty struct {
	m, props *yaml.Node
	path     string
	key, why string
}

// removedProperties lists what the removed-properties rule deletes: Subflow
// `outputs`, Schedule `backfill`/`backfills`, `minLogLevel` of root triggers.
func removedProperties(d *Document) []removedProperty {
	var found []removedProperty
	typedMappings(d, subflowTypes, func(m, props *yaml.Node, path string) {
		if mapIndex(props, "outputs") >= 0 {
			found = append(found, removedProperty{m, props, path, "outputs",
				"2.0 removed Subflow outputs: the subflow's root `outputs` are what outputs.<id>.outputs reads"})
		}
	})
	typedMappings(d, scheduleTypes, func(m, props *yaml.Node, path string) {
		for _, k := range []string{"backfill", "backfills"} {
			if mapIndex(props, k) >= 0 {
				found = append(found, removedProperty{m, props, path, k,
					"2.0 removed Schedule " + k + ": start a backfill from the UI or the API instead"})
			}
		}
	})
	if trig := mapValue(d.Root, "triggers"); trig != nil && trig.Kind == yaml.SequenceNode {
		for i, t := range trig.Content {
			if t.Kind == yaml.MappingNode && mapIndex(t, "minLogLevel") >= 0 {
				found = append(found, removedProperty{t, t, fmt.Sprintf("triggers[%d]", i), "minLogLevel",
					"2.0 removed the trigger's minLogLevel"})
			}
		}
	}
	return found
}

// RemovedPropertiesRule deletes the properties 2.0 removed, saying each time
// what it removed and what replaces it.
type RemovedPropertiesRule struct{}

// Info implements Rule.
func (RemovedPropertiesRule) Info() RuleInfo {
	return RuleInfo{Name: "removed-properties", Keys: []string{"backfill", "backfills", "minLogLevel"}, URL: GuideV2}
}

// Mentions implements Rule.
func (r RemovedPropertiesRule) Mentions(src []byte) bool { return r.mentionsIn(newScan(src)) }

func (RemovedPropertiesRule) mentionsIn(s *srcScan) bool {
	return s.keyOrEscape(keysBackfillBackfillsMinLogLevel) ||
		s.keyOrEscape(keysOutputs) && s.typeName(subflowScan)
}

// Plan implements Rule: one outcome per mapping.
func (RemovedPropertiesRule) Plan(d *Document) []Outcome {
	var out []Outcome
	byMapping := map[*yaml.Node]int{}
	for _, rp := range removedProperties(d) {
		i, seen := byMapping[rp.props]
		if !seen {
			i = len(out)
			byMapping[rp.props] = i
			out = append(out, outcomeAt(rp.m, rp.path))
		}
		o := out[i]
		if o.Unsupported != "" {
			continue
		}
		o.From = append(o.From, rp.key)
		if rp.key == "outputs" {
			if where := readsSubflowOutputs(d, scalarString(mapValue(rp.m, "id")), mapValue(rp.props, "outputs")); where != "" {
				o.Unsupported = fmt.Sprintf("the flow reads this Subflow's outputs (%s), which 2.0 takes from the subflow's root outputs: "+
					"declare them there, then remove the task's outputs by hand", where)
				out[i] = o
				continue
			}
		}
		o = d.removeEntryOutcome(o, rp.props, rp.key)
		if o.Unsupported == "" {
			o.Warnings[len(o.Warnings)-1].Message += " (" + rp.why + ")"
		} else {
			o.Edits, o.Mutate = nil, nil
		}
		out[i] = o
	}
	return out
}

// readsSubflowOutputs finds a scalar outside skip that reads
// outputs.<id>.outputs (or outputs['<id>'].outputs): removing the task's
// `outputs` would break it unless the subflow declares them at its root,
// which one flow's source cannot tell. It returns the path of the first.
func readsSubflowOutputs(d *Document, id string, skip *yaml.Node) string {
	if id == "" {
		return ""
	}
	q := regexp.QuoteMeta(id)
	re := regexp.MustCompile(`outputs\s*(?:\.\s*` + q + `\b|\[\s*['"]` + q + `['"]\s*\])\s*(?:\.\s*outputs\b|\[\s*['"]outputs['"]\s*\])`)
	where := ""
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		if n == nil || n == skip || where != "" {
			return
		}
		switch n.Kind {
		case yaml.ScalarNode:
			if re.MatchString(n.Value) {
				where = orRoot(path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				walk(n.Content[i+1], joinPath(path, n.Content[i].Value))
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, fmt.Sprintf("%s[%d]", path, i))
			}
		}
	}
	walk(d.Root, "")
	return where
}

// the type groups of the properties rules' byte scans (scan.go)
var (
	pauseScan       = scanGroupOfSet(pauseTypes)
	fetchScan       = scanGroupOfSet(fetchTypes)
	localDeleteScan = scanGroupOfSet(localDeleteTypes)
	subflowScan     = scanGroupOfSet(subflowTypes)
)

// the key sets of the byte scans above (scan.go)
var (
	keysMaxAttempt                   = keysOf("maxAttempt")
	keysDelay                        = keysOf("delay")
	keysFetchType                    = keysOf("fetchType")
	keysBackfillBackfillsMinLogLevel = keysOf("backfill", "backfills", "minLogLevel")
	keysOutputs                      = keysOf("outputs")
)
