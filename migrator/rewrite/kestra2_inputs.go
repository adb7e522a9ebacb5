package rewrite

import (
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// The input rules (official renameInputNameToID, renameInputTypes,
// renameMultiselectOptions, removeRequiredFalseWithDefaults in
// kestra-io/kestra2-flow-migration internal/migrate/migrate.go). They act on
// input definitions: the root `inputs` list, every `onResume` list (Pause),
// and the `inputs` of a FORM item in either place. Subflow and trigger
// `inputs` are maps of values, not definitions: never touched.

// placed is a mapping with its path.
type placed struct {
	m    *yaml.Node
	path string
}

// inputDefinitions lists the input definitions of the document.
func inputDefinitions(d *Document) []placed {
	root := d.Root
	var defs []placed
	addList := func(seq *yaml.Node, path string) {
		if seq == nil || seq.Kind != yaml.SequenceNode {
			return
		}
		for i, it := range seq.Content {
			if it.Kind != yaml.MappingNode {
				continue
			}
			p := path + "[" + strconv.Itoa(i) + "]"
			defs = append(defs, placed{it, p})
			if typeOf(it) == "FORM" {
				if kids := mapValue(it, "inputs"); kids != nil && kids.Kind == yaml.SequenceNode {
					for j, k := range kids.Content {
						if k.Kind == yaml.MappingNode {
							defs = append(defs, placed{k, p + ".inputs[" + strconv.Itoa(j) + "]"})
						}
					}
				}
			}
		}
	}
	addList(mapValue(root, "inputs"), "inputs")
	d.eachMapping(func(m *yaml.Node, path, _ string) {
		addList(mapValue(m, "onResume"), joinPath(path, "onResume"))
	})
	return defs
}

// describeInput names an input definition in a change.
func inputOutcome(def placed) Outcome {
	id := scalarString(mapValue(def.m, "id"))
	if id == "" {
		id = scalarString(mapValue(def.m, "name"))
	}
	return Outcome{Change: Change{Path: def.path, TaskID: id, Type: typeOf(def.m)}}
}

// InputIDRule renames `name` to `id` on input definitions.
type InputIDRule struct{}

// Info implements Rule.
func (InputIDRule) Info() RuleInfo {
	return RuleInfo{Name: "input-id", URL: GuideV2}
}

// Mentions implements Rule.
func (r InputIDRule) Mentions(src []byte) bool { return r.mentionsIn(newScan(src)) }

func (InputIDRule) mentionsIn(s *srcScan) bool {
	return s.keyOrEscape(keysInputsOnResume) && s.keyOrEscape(keysName)
}

// Plan implements Rule.
func (InputIDRule) Plan(d *Document) []Outcome {
	var out []Outcome
	for _, def := range inputDefinitions(d) {
		if mapIndex(def.m, "name") < 0 {
			continue
		}
		out = append(out, d.renameKeyOutcome(inputOutcome(def), def.m, "name", "id"))
	}
	return out
}

// inputTypeRenames: 2.0 refuses the old names ("Invalid type: BOOLEAN");
// ENUM becomes SELECT as the official tool does (MULTISELECT is the other
// choice flows-changes.md names, for several values).
var inputTypeRenames = map[string]string{"BOOLEAN": "BOOL", "ENUM": "SELECT"}

// InputTypesRule renames the input types BOOLEAN -> BOOL and ENUM -> SELECT
// on input definitions and on the items of the flow's root `outputs`.
type InputTypesRule struct{}

// Info implements Rule.
func (InputTypesRule) Info() RuleInfo {
	return RuleInfo{Name: "input-types", URL: GuideV2}
}

// Mentions implements Rule.
func (r InputTypesRule) Mentions(src []byte) bool { return r.mentionsIn(newScan(src)) }

func (InputTypesRule) mentionsIn(s *srcScan) bool { return s.word("BOOLEAN", "ENUM") }

// Plan implements Rule.
func (InputTypesRule) Plan(d *Document) []Outcome {
	defs := inputDefinitions(d)
	if outs := mapValue(d.Root, "outputs"); outs != nil && outs.Kind == yaml.SequenceNode {
		for i, it := range outs.Content {
			if it.Kind == yaml.MappingNode {
				defs = append(defs, placed{it, "outputs[" + strconv.Itoa(i) + "]"})
			}
		}
	}
	var out []Outcome
	for _, def := range defs {
		typ := mapValue(def.m, "type")
		to, ok := inputTypeRenames[scalarString(typ)]
		if !ok {
			continue
		}
		o := inputOutcome(def)
		o.From, o.To = []string{"type: " + typ.Value}, []string{"type: " + to}
		if e, mutate, ok := d.ReplaceScalar(typ, to); ok {
			o.Edits, o.Mutate = []Edit{e}, mutate
		} else {
			o.Unsupported = fmt.Sprintf("the type %s is written in a way that cannot be replaced safely: change it by hand", typ.Value)
		}
		out = append(out, o)
	}
	return out
}

// MultiselectValuesRule renames `options` to `values` on MULTISELECT inputs
// (SELECT keeps `options`).
type MultiselectValuesRule struct{}

// Info implements Rule.
func (MultiselectValuesRule) Info() RuleInfo {
	return RuleInfo{Name: "multiselect-values", URL: GuideV2}
}

// Mentions implements Rule.
func (r MultiselectValuesRule) Mentions(src []byte) bool { return r.mentionsIn(newScan(src)) }

func (MultiselectValuesRule) mentionsIn(s *srcScan) bool {
	return s.word("MULTISELECT") && s.keyOrEscape(keysOptions)
}

// Plan implements Rule.
func (MultiselectValuesRule) Plan(d *Document) []Outcome {
	var out []Outcome
	for _, def := range inputDefinitions(d) {
		if typeOf(def.m) != "MULTISELECT" || mapIndex(def.m, "options") < 0 {
			continue
		}
		out = append(out, d.renameKeyOutcome(inputOutcome(def), def.m, "options", "values"))
	}
	return out
}

// InputRequiredDefaultsRule removes `required: false` from an input that has
// `defaults`: 2.0 refuses the pair ("Inputs with a default value must be
// required", flows-changes.md). The input had a value anyway; on 1.3 it now
// also counts as required, which only matters when a caller sends null.
type InputRequiredDefaultsRule struct{}

// Info implements Rule.
func (InputRequiredDefaultsRule) Info() RuleInfo {
	return RuleInfo{Name: "input-required-defaults", URL: GuideV2}
}

// Mentions implements Rule.
func (r InputRequiredDefaultsRule) Mentions(src []byte) bool { return r.mentionsIn(newScan(src)) }

func (InputRequiredDefaultsRule) mentionsIn(s *srcScan) bool {
	return s.keyOrEscape(keysRequired) && s.keyOrEscape(keysDefaults)
}

// Plan implements Rule.
func (InputRequiredDefaultsRule) Plan(d *Document) []Outcome {
	var out []Outcome
	for _, def := range inputDefinitions(d) {
		if mapIndex(def.m, "defaults") < 0 || !isFalse(mapValue(def.m, "required")) {
			continue
		}
		o := inputOutcome(def)
		o.From = []string{"required: false"}
		out = append(out, d.removeEntryOutcome(o, def.m, "required"))
	}
	return out
}

// the key sets of the byte scans above (scan.go)
var (
	keysInputsOnResume = keysOf("inputs", "onResume")
	keysName           = keysOf("name")
	keysOptions        = keysOf("options")
	keysRequired       = keysOf("required")
	keysDefaults       = keysOf("defaults")
)
