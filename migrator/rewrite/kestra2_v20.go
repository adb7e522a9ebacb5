package rewrite

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The rules whose output only Kestra 2.0 accepts (Since: Target20): the
// official tool runs them on its default path only, never under
// --stay-v1-compatible (kestra-io/kestra2-flow-migration
// internal/migrate/migrate.go Apply).

// ChecksWhenRule renames `condition` to `when` on the flow's root `checks`
// (never the `condition` of If, Fail, LoopUntil...). 1.3's Check has only
// `condition` (kestra-io/kestra core/.../models/flows/check/Check.java).
type ChecksWhenRule struct{}

// Info implements Rule.
func (ChecksWhenRule) Info() RuleInfo {
	return RuleInfo{Name: "checks-when", Since: Target20,
		URL: GuideV2 + "/checks-condition-renamed-when"}
}

// Mentions implements Rule.
func (r ChecksWhenRule) Mentions(src []byte) bool { return r.mentionsIn(newScan(src)) }

func (ChecksWhenRule) mentionsIn(s *srcScan) bool {
	return s.keyOrEscape(keysChecks) && s.keyOrEscape(keysCondition)
}

// Plan implements Rule.
func (ChecksWhenRule) Plan(d *Document) []Outcome {
	checks := mapValue(d.Root, "checks")
	if checks == nil || checks.Kind != yaml.SequenceNode {
		return nil
	}
	var out []Outcome
	for i, c := range checks.Content {
		if c.Kind != yaml.MappingNode || mapIndex(c, "condition") < 0 {
			continue
		}
		o := Outcome{Change: Change{Path: fmt.Sprintf("checks[%d]", i)}}
		out = append(out, d.renameKeyOutcome(o, c, "condition", "when"))
	}
	return out
}

var purgeKVTypes = newTypeSet("io.kestra.plugin.core.kv.PurgeKV")

var purgeKVScan = scanGroupOfSet(purgeKVTypes)

// PurgeKVBehaviorRule replaces PurgeKV `expiredOnly: X` by `behavior: {type:
// key, expiredOnly: X}` (official migratePurgeKVExpiredOnly), the value's
// text kept. A task that already sets behavior is left as it is. behavior
// exists from 1.3.28 only: a 2.0 rule.
type PurgeKVBehaviorRule struct{}

// Info implements Rule.
func (PurgeKVBehaviorRule) Info() RuleInfo {
	return RuleInfo{Name: "purgekv-behavior", Since: Target20, URL: GuideV2}
}

// Mentions implements Rule.
func (r PurgeKVBehaviorRule) Mentions(src []byte) bool { return r.mentionsIn(newScan(src)) }

func (PurgeKVBehaviorRule) mentionsIn(s *srcScan) bool {
	return s.keyOrEscape(keysExpiredOnly) && s.typeName(purgeKVScan)
}

// Plan implements Rule.
func (PurgeKVBehaviorRule) Plan(d *Document) []Outcome {
	var out []Outcome
	typedMappings(d, purgeKVTypes, func(m, props *yaml.Node, path string) {
		if mapIndex(props, "expiredOnly") < 0 || mapIndex(props, "behavior") >= 0 || mergedKey(props, "behavior") {
			return
		}
		o := outcomeAt(m, path)
		o.From, o.To = []string{"expiredOnly"}, []string{"behavior"}
		if why := d.refuseShared(props, "expiredOnly"); why != "" {
			o.Unsupported = why
			out = append(out, o)
			return
		}
		text, ok := d.oneLineValue(props, "expiredOnly")
		if !ok {
			o.Unsupported = "expiredOnly is written on several lines: move it into behavior by hand"
			out = append(out, o)
			return
		}
		pad := strings.Repeat(" ", d.stepNear(props))
		e, mutate, ok := d.replaceEntryLines(props, "expiredOnly", []string{"behavior:", pad + "type: key", pad + "expiredOnly: " + text})
		if !ok {
			o.Unsupported = "cannot write behavior in place of expiredOnly safely (flow style): change it by hand"
		} else {
			o.Edits, o.Mutate = []Edit{e}, mutate
		}
		out = append(out, o)
	})
	return out
}

// EEGitCloneRule turns io.kestra.plugin.ee.git.Clone (deleted in
// plugin-ee-git 2.2.1) into io.kestra.plugin.git.Clone, pinning
// `strictHostKeyChecking: true` after `url`: the EE task checked host keys,
// git.Clone does not by default (official ee_git_clone.go). Defaults entries
// of that type are renamed without the pin, and a task whose defaults set
// strictHostKeyChecking is not pinned. 1.3's git.Clone has no
// strictHostKeyChecking: a 2.0 rule.
type EEGitCloneRule struct{}

// Info implements Rule.
func (EEGitCloneRule) Info() RuleInfo {
	return RuleInfo{Name: "ee-git-clone", Since: Target20, URL: GuideV2}
}

// Mentions implements Rule.
func (r EEGitCloneRule) Mentions(src []byte) bool { return r.mentionsIn(newScan(src)) }

func (EEGitCloneRule) mentionsIn(s *srcScan) bool { return s.mentionsEEGitClone() }

// Plan implements Rule.
func (EEGitCloneRule) Plan(d *Document) []Outcome {
	var out []Outcome
	defaults := defaultsEntries(d.Root)
	pinnedByDefaults := false
	for _, e := range defaultsList(d.Root) {
		if t := typeOf(e); t != "" && strings.HasPrefix(EEGitClone.Old, t) && mapValue(mapValue(e, "values"), EEGitClone.PinKey) != nil {
			pinnedByDefaults = true
		}
	}
	d.eachMapping(func(m *yaml.Node, path, _ string) {
		typ := mapValue(m, "type")
		if scalarString(typ) != EEGitClone.Old {
			return
		}
		o := outcomeAt(m, path)
		o.From, o.To = []string{"type: " + EEGitClone.Old}, []string{"type: " + EEGitClone.New}
		e, mutate, ok := d.ReplaceScalar(typ, EEGitClone.New)
		if !ok {
			o.Unsupported = "the type is written in a way that cannot be replaced safely: rename it by hand"
			out = append(out, o)
			return
		}
		if !defaults[m] {
			if why := defaultsShift(d, EEGitClone.Old, EEGitClone.New, func(t string) string {
				if t == EEGitClone.Old {
					return EEGitClone.New
				}
				return t
			}); why != "" {
				o.Unsupported = why + ": migrate the task and its defaults by hand"
				out = append(out, o)
				return
			}
		}
		o.Edits, o.Mutate = []Edit{e}, mutate
		if !defaults[m] && !pinnedByDefaults && mapIndex(m, EEGitClone.PinKey) < 0 && !mergedKey(m, EEGitClone.PinKey) {
			after := EEGitClone.PinAfter
			if mapIndex(m, after) < 0 {
				after = "type"
			}
			pin, pinMutate, ok := d.insertAfter(m, after, EEGitClone.PinKey, EEGitClone.PinText)
			if !ok {
				o.Edits, o.Mutate = nil, nil
				o.Unsupported = "cannot add strictHostKeyChecking: true safely (a multi-line flow mapping): migrate the task by hand"
			} else {
				o.Edits, o.Mutate = append(o.Edits, pin), chain(o.Mutate, pinMutate)
				o.To = append(o.To, EEGitClone.PinKey+": "+EEGitClone.PinText)
			}
		}
		out = append(out, o)
	})
	return out
}

// PluginDefaultsNameRule renames the flow's root `taskDefaults` to
// `pluginDefaults` (the name since 0.18; official renameTaskDefaults). Valid
// on 1.3; 2.0 removes flow-level defaults altogether, which the
// plugin-defaults-removed detection reports. `forced` is kept: dropping it
// (as the official 1.3 path does) would change what the tasks run with.
type PluginDefaultsNameRule struct{}

// Info implements Rule.
func (PluginDefaultsNameRule) Info() RuleInfo {
	return RuleInfo{Name: "plugin-defaults-name", Keys: []string{"taskDefaults"}, URL: GuideV2 + "/plugin-defaults-removed"}
}

// Mentions implements Rule.
func (r PluginDefaultsNameRule) Mentions(src []byte) bool { return r.mentionsIn(newScan(src)) }

func (PluginDefaultsNameRule) mentionsIn(s *srcScan) bool { return s.keyOrEscape(keysTaskDefaults) }

// Plan implements Rule.
func (PluginDefaultsNameRule) Plan(d *Document) []Outcome {
	if d.Root == nil || d.Root.Kind != yaml.MappingNode || mapIndex(d.Root, "taskDefaults") < 0 {
		return nil
	}
	return []Outcome{d.renameKeyOutcome(Outcome{Change: Change{Path: "taskDefaults"}}, d.Root, "taskDefaults", "pluginDefaults")}
}

// the key sets of the byte scans above (scan.go)
var (
	keysChecks       = keysOf("checks")
	keysCondition    = keysOf("condition")
	keysExpiredOnly  = keysOf("expiredOnly")
	keysTaskDefaults = keysOf("taskDefaults")
)
