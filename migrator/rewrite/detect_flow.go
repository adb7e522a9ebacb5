package rewrite

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Detections keyed off the flow's structure: flow-level defaults, trigger
// conditions and inputs, worker groups, the flow id.

// Names of the structural detection rules (--rules, reports).
const (
	DetectPluginDefaultsName    = "detect-plugin-defaults"
	DetectTriggerConditionsName = "detect-trigger-conditions"
	DetectTriggerInputsName     = "detect-trigger-inputs"
	DetectWorkerGroupName       = "detect-worker-group"
	DetectReservedFlowIDName    = "detect-reserved-flow-id"
)

// NewPluginDefaultsRule reports a flow-level `pluginDefaults` or its older
// name `taskDefaults` (code plugin-defaults-removed, blocking): 2.0's flow
// model has neither (official detectPluginDefaults: one warning per key;
// flows-changes.md "`taskDefaults` / `pluginDefaults` removed entirely").
// The replacement (an EE Policy, or the values inlined on each task) cannot
// be derived from the flow alone.
func NewPluginDefaultsRule() Rule {
	keys := []string{"pluginDefaults", "taskDefaults"}
	keySet := keysOf(keys...)
	return &detectRule{name: DetectPluginDefaultsName, keys: keys, url: guidePluginDefaults,
		mentions: func(s *srcScan) bool { return s.keyOrEscape(keySet) },
		detect: func(d *Document, f *detectFindings) {
			for _, k := range keys {
				if mergedValue(d.Root, k) == nil {
					continue
				}
				f.add(d.Root, k, CodePluginDefaults, SeverityBlocking, guidePluginDefaults,
					"flow-level `%s` is removed in 2.0 and must be rewritten by hand (EE: a Policy with `Add` rules, "+
						"referenced via `policyRefs:`; OSS: inline the values onto each task or use flow `variables:`)", k)
			}
		}}
}

// removedTriggerKeys are the trigger properties the 2.0 conditions
// redesign removes, with the official reasons
// (migrate.go removedTriggerConditionProperties). Only items of the root
// `triggers` list count: `conditions` also exists on tasks (Assert).
var removedTriggerKeys = []struct{ key, reason string }{
	{"scheduleConditions", "removed; rewrite as a top-level `when` Pebble expression on the trigger"},
	{"conditions", "removed; rewrite as a top-level `when` Pebble expression (all triggers) or `dependsOn` entries (Flow trigger)"},
	{"preconditions", "removed; rewrite as top-level `dependsOn` + `window` on the Flow trigger"},
	{"timeWindow", "removed; rewrite as top-level `window` on the Flow trigger (deadline / from+to / every+offset / lookback)"},
}

// NewTriggerConditionsRule reports trigger `scheduleConditions`,
// `conditions`, `preconditions` and `timeWindow` (code trigger-conditions,
// blocking: 2.0 refuses the unknown property). The official tool rewrites
// most shapes into `when`/`dependsOn` and warns on the rest; until that
// rewrite exists here, every occurrence is reported.
func NewTriggerConditionsRule() Rule {
	keys := make([]string, len(removedTriggerKeys))
	for i, k := range removedTriggerKeys {
		keys[i] = k.key
	}
	keySet := keysOf(keys...)
	return &detectRule{name: DetectTriggerConditionsName, keys: keys, url: guideTriggerConditions,
		// "ditions" is in conditions, scheduleConditions and preconditions;
		// both needles start with rarer bytes than 'c' or 't'.
		mentions: func(s *srcScan) bool { return s.keyOrEscape(keySet) },
		detect: func(d *Document, f *detectFindings) {
			eachRootTrigger(d, func(t *yaml.Node, path string) {
				id := idOrUnknown(scalarText(mergedValue(t, "id")))
				for _, k := range removedTriggerKeys {
					if mergedValue(t, k.key) != nil {
						f.add(t, path+"."+k.key, CodeTriggerConditions, SeverityBlocking, guideTriggerConditions,
							"%s uses trigger.%s (%s)", id, k.key, k.reason)
					}
				}
			})
		}}
}

// eachRootTrigger visits the mappings of the root `triggers` list.
func eachRootTrigger(d *Document, visit func(t *yaml.Node, path string)) {
	triggers := mergedValue(d.Root, "triggers")
	if triggers == nil || triggers.Kind != yaml.SequenceNode {
		return
	}
	for i, t := range triggers.Content {
		if t = unalias(t); t != nil && t.Kind == yaml.MappingNode {
			visit(t, "triggers["+strconv.Itoa(i)+"]")
		}
	}
}

// inputTriggers are the triggers 2.0 requires to supply every required input
// without defaults, with the kind its message names (official
// triggerInputKinds, after FlowValidator.inputsSuppliedBy: Schedule and
// AbstractWebhookTrigger). The old names are accepted as aliases until the
// type rename rule rewrites them, so they count too.
var inputTriggers = map[string]string{
	"io.kestra.plugin.core.trigger.Schedule":        "Schedule",
	"io.kestra.core.models.triggers.types.Schedule": "Schedule",
	"io.kestra.plugin.core.trigger.Webhook":         "Webhook",
	"io.kestra.core.models.triggers.types.Webhook":  "Webhook",
}

var inputTriggersScan = scanGroupOfMatcher(inputTriggersMatcher())

func inputTriggersMatcher() typeMatcher {
	var names []string
	for t := range inputTriggers {
		names = append(names, t)
	}
	return newTypeMatcher(names...)
}

var (
	inputsKey      = keysOf("inputs")
	workerGroupKey = keysOf("workerGroup")
)

// triggerInput is an input a Schedule or Webhook trigger must supply.
type triggerInput struct {
	id      string // the input id, or "<formId>.<childId>" for a FORM child
	prefill bool
}

// NewTriggerInputsRule reports Schedule and Webhook triggers that do not
// supply a required input without defaults (code missing-trigger-input,
// blocking: 2.0's FlowValidator refuses the flow with "Missing inputs for
// <kind> Trigger"). Official detectMissingTriggerInputs and
// neededTriggerInputs: an input is needed when it has an id, no `defaults`
// and is not `required: false` (a `prefill` does not exempt it); a FORM's
// children count as "<formId>.<childId>"; a trigger supplies the keys of its
// `inputs` mapping. An input still written with the old `name` counts under
// that name (the inputs rule renames it to `id`).
func NewTriggerInputsRule() Rule {
	return &detectRule{name: DetectTriggerInputsName, url: Kestra2GuideURL,
		mentions: func(s *srcScan) bool { return s.typeMatch(inputTriggersScan) && s.keyOrEscape(inputsKey) },
		detect: func(d *Document, f *detectFindings) {
			needed := triggerNeededInputs(mergedValue(d.Root, "inputs"))
			if len(needed) == 0 {
				return
			}
			eachRootTrigger(d, func(t *yaml.Node, path string) {
				kind, ok := inputTriggers[scalarText(mergedValue(t, "type"))]
				if !ok {
					return
				}
				supplied := map[string]bool{}
				for _, k := range mergedKeys(mergedValue(t, "inputs")) {
					supplied[k] = true
				}
				id := idOrUnknown(scalarText(mergedValue(t, "id")))
				for _, in := range needed {
					if supplied[in.id] {
						continue
					}
					f.add(t, path, CodeMissingTriggerInput, SeverityBlocking, Kestra2GuideURL,
						"%s trigger '%s' does not supply required input '%s': 2.0 refuses the flow (\"Missing inputs for %s Trigger '%s', "+
							"missing inputs: '%s'\"); %s", kind, id, in.id, kind, id, in.id, in.remedy())
				}
			})
		}}
}

// remedy words the fixes that are valid for the input's shape (official
// neededInput.remedy): 2.0 refuses `defaults` together with `prefill`.
func (n triggerInput) remedy() string {
	const supply = "supply it under the trigger's `inputs:`"
	const optional = "or mark the input `required: false` (it then resolves to null at run time)"
	if n.prefill {
		return supply + ", replace the input's `prefill` with `defaults` (2.0 refuses an input declaring both), " + optional
	}
	return supply + ", add a `defaults` to the input, " + optional
}

func triggerNeededInputs(inputs *yaml.Node) []triggerInput {
	if inputs == nil || inputs.Kind != yaml.SequenceNode {
		return nil
	}
	var needed []triggerInput
	for _, in := range inputs.Content {
		id := inputDefID(in)
		if id == "" {
			continue
		}
		if scalarText(mergedValue(in, "type")) == "FORM" {
			children := mergedValue(in, "inputs")
			if children == nil || children.Kind != yaml.SequenceNode {
				continue
			}
			for _, c := range children.Content {
				if cid := inputDefID(c); cid != "" && inputNeedsValue(c) {
					needed = append(needed, triggerInput{id: id + "." + cid, prefill: mergedValue(c, "prefill") != nil})
				}
			}
			continue
		}
		if inputNeedsValue(in) {
			needed = append(needed, triggerInput{id: id, prefill: mergedValue(in, "prefill") != nil})
		}
	}
	return needed
}

// inputDefID is an input definition's id, or its pre-0.x `name`.
func inputDefID(in *yaml.Node) string {
	if id := scalarText(mergedValue(in, "id")); id != "" {
		return id
	}
	return scalarText(mergedValue(in, "name"))
}

// inputNeedsValue: no defaults (a null `defaults:` is none) and not required: false.
func inputNeedsValue(in *yaml.Node) bool {
	if def := mergedValue(in, "defaults"); def != nil && !isNullNode(def) {
		return false
	}
	return !kestraFalse(mergedValue(in, "required"))
}

// mergedKeys lists the scalar keys of mapping m, merged keys included.
func mergedKeys(m *yaml.Node) []string {
	m = unalias(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	var keys []string
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if k.Kind != yaml.ScalarNode {
			continue
		}
		if k.Value == "<<" && k.Tag == "!!merge" {
			v := unalias(m.Content[i+1])
			if v != nil && v.Kind == yaml.SequenceNode {
				for _, c := range v.Content {
					keys = append(keys, mergedKeys(c)...)
				}
			} else {
				keys = append(keys, mergedKeys(v)...)
			}
			continue
		}
		keys = append(keys, k.Value)
	}
	return keys
}

// workerTagPattern is what a 2.0 workerSelector tag must be (official
// migrateWorkerGroupToWorkerSelector, rfc1123Label).
var workerTagPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// NewWorkerGroupRule reports every `workerGroup` (code worker-group,
// blocking: 2.0 refuses the property). The official tool converts a
// mapping with a plain RFC 1123 `key` to `workerSelector` (a 2.0-only
// construct, advisory worker-group-converted) and flags the rest; without
// that rewrite every occurrence is reported, with the conversion to make by
// hand when there is one.
func NewWorkerGroupRule() Rule {
	return &detectRule{name: DetectWorkerGroupName, keys: []string{"workerGroup"}, url: guideWorkerGroupMigration,
		mentions: func(s *srcScan) bool { return s.keyOrEscape(workerGroupKey) },
		detect: func(d *Document, f *detectFindings) {
			eachPluginMapping(d, func(m *yaml.Node, path string) {
				wg := mergedValue(m, "workerGroup")
				if wg == nil {
					return
				}
				id := idOrUnknown(scalarText(mergedValue(m, "id")))
				f.add(m, detectChildPath(path, "workerGroup"), CodeWorkerGroup, SeverityBlocking, guideWorkerGroupMigration,
					"%s uses workerGroup, removed in 2.0 (EE: routing moves to workerSelector and Worker Queues): %s", id, workerGroupAdvice(wg))
			})
		}}
}

func workerGroupAdvice(wg *yaml.Node) string {
	if wg.Kind != yaml.MappingNode {
		return "rewrite by hand"
	}
	key, fallback := scalarText(mergedValue(wg, "key")), scalarText(mergedValue(wg, "fallback"))
	switch {
	case key == "":
		return "it has no key, and 2.0's workerSelector refuses a fallback without tags; rewrite by hand"
	case strings.Contains(key, "{{"):
		return fmt.Sprintf("its key %q is templated and cannot become a workerSelector tag; rewrite by hand", key)
	case !workerTagPattern.MatchString(key):
		return fmt.Sprintf("its key %q is not an RFC 1123 label, which workerSelector tags must be; rename the worker group and rewrite by hand", key)
	}
	if fallback == "" {
		fallback = "WAIT" // 1.x waited by default, 2.0 fails by default
	}
	return fmt.Sprintf("on 2.0 write `workerSelector: {tags: [%s], fallback: %s}` and create a Worker Queue tagged %q", key, fallback, key)
}

// reservedIDs are the ids 2.0 refuses for a flow (official
// renameReservedFlowIDs, reservedFlowIDs; flows-changes.md "Reserved flow
// IDs disallowed"): they clash with API paths.
var reservedIDList = []string{"pause", "resume", "force-run", "change-status", "kill",
	"executions", "search", "source", "disable", "enable"}

var reservedIDs = func() map[string]bool {
	m := map[string]bool{}
	for _, id := range reservedIDList {
		m[id] = true
	}
	return m
}()

// NewReservedFlowIDRule reports a flow whose id 2.0 refuses (code
// reserved-flow-id, ours, blocking). The official tool appends "-flow" to
// the id; on a server that would not rename the flow but create another one
// beside it (its executions, trigger states and the references of other
// flows keep the old id), so the engine never renames: the user does.
func NewReservedFlowIDRule() Rule {
	return &detectRule{name: DetectReservedFlowIDName, url: Kestra2GuideURL,
		mentions: rootIDMayBeReservedScan,
		detect: func(d *Document, f *detectFindings) {
			id := scalarText(mergedValue(d.Root, "id"))
			if !reservedIDs[id] {
				return
			}
			f.add(d.Root, "id", CodeReservedFlowID, SeverityBlocking, Kestra2GuideURL,
				"flow id '%s' is reserved in 2.0 (it clashes with an API path): 2.0 refuses to save the flow. Not renamed: "+
					"a flow with another id is a new flow on the server, while executions, trigger states and other flows' "+
					"references keep '%s'; create the flow under a new id by hand, move its references, then delete this one", id, id)
		}}
}

// rootIDMayBeReserved is the reserved-id rule's byte scan: it reads the
// `id:` lines at column 0 (plain, quoted or with a comment) and answers
// true when one is reserved, or when it cannot be sure: no such line (an
// indented or flow-style root), a value it cannot read on its own line
// (anchor, alias, tag, block, escape, empty), an explicit `? ` key or a
// value on the `---` line. No allocation.
func rootIDMayBeReserved(src []byte) bool {
	found := false
	for len(src) > 0 {
		line := src
		if i := bytes.IndexByte(src, '\n'); i >= 0 {
			line, src = src[:i], src[i+1:]
		} else {
			src = nil
		}
		if rootIDLine(line, &found) {
			return true
		}
	}
	return !found
}

// rootIDLineStart: a line starting with c may matter to rootIDLine (every
// other line is skipped there).
func rootIDLineStart(c byte) bool {
	switch c {
	case '?', '{', '[', '-', 'i', '"', '\'':
		return true
	}
	return false
}

// rootIDMayBeReservedScan is rootIDMayBeReserved over the lines the shared
// key pass found starting with a byte rootIDLine reads (or the whole
// source when they were too many to keep).
func rootIDMayBeReservedScan(s *srcScan) bool {
	s.collectKeys()
	if s.linesOver {
		return rootIDMayBeReserved(s.src)
	}
	found := false
	for _, start := range s.lines[:s.nLines] {
		line := s.src[start:]
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line = line[:i]
		}
		if rootIDLine(line, &found) {
			return true
		}
	}
	return !found
}

// rootIDLine reads one line (without its '\n') for rootIDMayBeReserved:
// true when the answer is surely yes; found is set when the line is a
// root `id:` line.
func rootIDLine(line []byte, found *bool) bool {
	line = bytes.TrimSuffix(line, []byte{'\r'})
	if len(line) == 0 {
		return false
	}
	switch line[0] {
	case '?', '{', '[':
		return true
	case '-':
		if bytes.HasPrefix(line, []byte("---")) && len(bytes.TrimSpace(line[3:])) > 0 && bytes.TrimSpace(line[3:])[0] != '#' {
			return true
		}
		return false
	case 'i', '"', '\'':
	default:
		return false
	}
	v, ok := rootLineValue(line, "id")
	if !ok {
		return false
	}
	*found = true
	for i := 1; i < len(v); i++ { // a comment starts at '#' after a blank
		if v[i] == '#' && (v[i-1] == ' ' || v[i-1] == '\t') {
			v = v[:i]
			break
		}
	}
	v = bytes.TrimSpace(v)
	if len(v) == 0 || bytes.ContainsAny(v[:1], "&*!|>%@`") || bytes.IndexByte(v, '\\') >= 0 {
		return true
	}
	if q := v[0]; q == '"' || q == '\'' {
		if len(v) < 2 || v[len(v)-1] != q {
			return true
		}
		v = v[1 : len(v)-1]
	}
	if reservedIDs[string(v)] {
		return true
	}
	return false
}

// rootLineValue matches `key:` (plain or quoted, spaces before ':') at the
// start of line and returns what follows the ':'.
func rootLineValue(line []byte, key string) ([]byte, bool) {
	rest := line
	switch {
	case len(rest) >= len(key) && string(rest[:len(key)]) == key:
		rest = rest[len(key):]
	case len(rest) >= len(key)+2 && (rest[0] == '"' || rest[0] == '\'') && string(rest[1:1+len(key)]) == key && rest[1+len(key)] == rest[0]:
		rest = rest[len(key)+2:]
	default:
		return nil, false
	}
	rest = bytes.TrimLeft(rest, " \t")
	if len(rest) == 0 || rest[0] != ':' || len(rest) > 1 && rest[1] != ' ' && rest[1] != '\t' {
		return nil, false
	}
	return rest[1:], true
}
