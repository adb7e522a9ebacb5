package rewrite

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// Detections keyed off a mapping's `type`: types 2.0 no longer knows
// (removed-type, foreach-loop), State Store tasks (state-to-kv), and the
// tasks that need SDK credentials on 2.0 (sdk-auth-required/-advisory).
// Like the official detectors they look at the `type` of every mapping:
// tasks at any depth, triggers, trigger conditions, pluginDefaults entries.

// Names of the type detection rules (--rules, reports).
const (
	DetectRemovedTypesName = "detect-removed-types"
	DetectStateStoreName   = "detect-state-store"
	DetectSDKAuthName      = "detect-sdk-auth"
)

// loopRewriteReason is the official loopReplacementReason (migrate.go).
const loopRewriteReason = "removed in 2.0; rewrite by hand as io.kestra.plugin.core.flow.Loop " +
	"(taskrun.value -> item.value, taskrun.iteration -> item.index, declare outputs, AllowFailure -> transmitFailed)"

// removedTypeInfo is a type 2.0 refuses, the reason and the guide page.
type removedTypeInfo struct{ reason, code, url string }

// removedTypeReasons is the official removedTypes/removedTypeDocs table
// (migrate.go detectRemovedTypes), plus:
//   - the old names Kestra 1.x still accepted as aliases of the same
//     classes (kestra-io/kestra core/src/main/java/io/kestra/plugin/core/
//     execution/Count.java `aliases = "io.kestra.core.tasks.executions.Counts"`,
//     trigger/Toggle.java `aliases = "io.kestra.core.tasks.trigger.Toggle"`,
//     condition/MultipleCondition.java
//     `aliases = "io.kestra.core.models.conditions.types.MultipleCondition"`):
//     2.0 drops the class, so the alias goes with it;
//   - LocalFiles: the official tool renames it to WorkingDirectory, a
//     flowable with other properties, which the server rejects
//     (kestra-io/kestra core/.../plugin/core/storage/LocalFiles.java is a
//     runnable task with `inputs` and `outputs`); we report it instead.
var removedTypeReasons = func() map[string]removedTypeInfo {
	const (
		multiple = "removed; rewrite as `dependsOn` entries on the Flow trigger (one per upstream flow) and move `window` to the trigger-level `window:` block"
		count    = "removed; use KV Store or custom logic"
		toggle   = "removed; use the API or SDK to enable/disable triggers"
		nashorn  = "removed; migrate to GraalJS or other script tasks"
		local    = "removed: LocalFiles is a runnable task with `inputs`/`outputs`, WorkingDirectory a flowable with `tasks` and " +
			"`inputFiles`/`outputFiles`, so a rename is rejected; move the files to the enclosing WorkingDirectory's inputFiles/outputFiles by hand"
	)
	m := map[string]removedTypeInfo{
		"io.kestra.plugin.core.condition.MultipleCondition":        {multiple, CodeRemovedType, guideTriggerConditions},
		"io.kestra.core.models.conditions.types.MultipleCondition": {multiple, CodeRemovedType, guideTriggerConditions},
		"io.kestra.plugin.core.execution.Count":                    {count, CodeRemovedType, Kestra2GuideURL},
		"io.kestra.core.tasks.executions.Counts":                   {count, CodeRemovedType, Kestra2GuideURL},
		"io.kestra.plugin.core.execution.Resume":                   {"removed; use the SDK to manipulate execution states", CodeRemovedType, Kestra2GuideURL},
		"io.kestra.plugin.core.trigger.Toggle":                     {toggle, CodeRemovedType, Kestra2GuideURL},
		"io.kestra.core.tasks.trigger.Toggle":                      {toggle, CodeRemovedType, Kestra2GuideURL},
		"io.kestra.plugin.git.Push":                                {"deprecated; use io.kestra.plugin.git.SyncFlows or Git API tasks", CodeRemovedType, Kestra2GuideURL},
		"io.kestra.plugin.scripts.nashorn.Eval":                    {nashorn, CodeRemovedType, Kestra2GuideURL},
		"io.kestra.plugin.scripts.nashorn.FileTransform":           {nashorn, CodeRemovedType, Kestra2GuideURL},
		"io.kestra.core.tasks.storages.LocalFiles":                 {local, CodeRemovedType, Kestra2GuideURL},
		"io.kestra.plugin.core.storage.LocalFiles":                 {local, CodeRemovedType, Kestra2GuideURL},
	}
	for _, t := range []string{
		"io.kestra.plugin.core.flow.ForEach", "io.kestra.plugin.core.flow.ForEachItem",
		"io.kestra.plugin.core.flow.EachSequential", "io.kestra.plugin.core.flow.EachParallel",
		"io.kestra.core.tasks.flows.EachSequential", "io.kestra.core.tasks.flows.EachParallel",
		"io.kestra.core.tasks.flows.ForEachItem",
	} {
		m[t] = removedTypeInfo{loopRewriteReason, CodeForEachLoop, guideForEachLoop}
	}
	return m
}()

// coreScriptPrefix is the old core script tasks (Bash, Python, Node...). The
// official tool neither rewrites nor flags them; 2.0 has no such class
// (flows-changes.md "Core script tasks removed"). We report them under
// removed-type: like the other removed types, 2.0 refuses the flow as an
// unknown type and the guide's landing page lists the replacement, so the
// report's grouping by code and its link stay right.
const coreScriptPrefix = "io.kestra.core.tasks.scripts."

const coreScriptReason = "an old core script task, removed in 2.0; rewrite as io.kestra.plugin.scripts.{shell,python,node}.{Commands,Script}: " +
	"a change of task type, and the old task's default runner was PROCESS (set taskRunner io.kestra.plugin.core.runner.Process to keep that)"

var removedTypesScan = scanGroupOfMatcher(removedTypeMatcher())

func removedTypeMatcher() typeMatcher {
	names := []string{coreScriptPrefix}
	for t := range removedTypeReasons {
		names = append(names, t)
	}
	return newTypeMatcher(names...)
}

// NewRemovedTypesRule reports the types 2.0 refuses and the tool cannot
// rewrite: codes removed-type and foreach-loop, blocking.
func NewRemovedTypesRule() Rule {
	return &detectRule{name: DetectRemovedTypesName, url: Kestra2GuideURL, mentions: func(s *srcScan) bool { return s.typeMatch(removedTypesScan) },
		detect: func(d *Document, f *detectFindings) {
			eachPluginMapping(d, func(m *yaml.Node, path string) {
				t := scalarText(mergedValue(m, "type"))
				id := idOrUnknown(scalarText(mergedValue(m, "id")))
				if rt, ok := removedTypeReasons[t]; ok {
					f.add(m, path, rt.code, SeverityBlocking, rt.url, "%s uses %s (%s)", id, t, rt.reason)
				} else if strings.HasPrefix(t, coreScriptPrefix) {
					f.add(m, path, CodeRemovedType, SeverityBlocking, Kestra2GuideURL, "%s uses %s (%s)", id, t, coreScriptReason)
				}
			})
		}}
}

// stateStoreTaskTypes are the official stateTaskKinds
// (kestra-io/kestra2-flow-migration internal/migrate/state_kv.go).
var stateStoreScan = scanGroupOfMatcher(stateStoreTaskTypes)

var stateStoreTaskTypes = newTypeMatcher(
	"io.kestra.plugin.core.state.Get", "io.kestra.plugin.core.state.Set", "io.kestra.plugin.core.state.Delete",
	"io.kestra.core.tasks.states.Get", "io.kestra.core.tasks.states.Set", "io.kestra.core.tasks.states.Delete",
)

// NewStateStoreRule reports State Store tasks (code state-to-kv). The
// official tool rewrites them to kv.* (migrateStateToKV) and warns on the
// cases whose meaning changes; unrewritten, 2.0 refuses the type (the State
// Store is gone) and a type-only rename is refused too (kv.Set has no
// `name`: state_kv.go), so here the code is blocking until that rewrite
// exists.
func NewStateStoreRule() Rule {
	return &detectRule{name: DetectStateStoreName, url: Kestra2GuideURL, mentions: func(s *srcScan) bool { return s.typeMatch(stateStoreScan) },
		detect: func(d *Document, f *detectFindings) {
			eachPluginMapping(d, func(m *yaml.Node, path string) {
				t := scalarText(mergedValue(m, "type"))
				if !stateStoreTaskTypes.has(t) {
					return
				}
				kind := t[strings.LastIndexByte(t, '.')+1:]
				f.add(m, path, CodeStateToKV, SeverityBlocking, Kestra2GuideURL,
					"%s uses %s: the State Store is removed in 2.0; rewrite as io.kestra.plugin.core.kv.%s "+
						"(`name` and the flow become a KV `key`, Set's `data` a `value` that replaces the stored map instead of merging into it, "+
						"Get's outputs.<id>.data and .count come from outputs.<id>.value)", idOrUnknown(scalarText(mergedValue(m, "id"))), t, kind)
			})
		}}
}

// SDK authentication (official detectSdkAuth, sdkAuthRequired,
// sdkAuthAdvisory, sdkAuthConditional, sdkAuthPrefix in migrate.go): tasks
// calling the Kestra API need credentials on 2.0. Where `auth` is @NotNull on
// the task model 2.0 refuses to save the flow without it (blocking); where
// it is optional the flow saves and gets a 401 at run time unless the server
// or namespace supplies credentials (advisory).
var (
	sdkAuthMandatory = newTypeMatcher(
		"io.kestra.plugin.git.SyncFlow", "io.kestra.plugin.git.TenantSync", "io.kestra.plugin.git.NamespaceSync",
		"io.kestra.plugin.ee.git.SyncApps", "io.kestra.plugin.ee.git.SyncBlueprints", "io.kestra.plugin.ee.git.SyncUnitTests",
		"io.kestra.plugin.ee.git.SyncDashboards", "io.kestra.plugin.ee.git.PushApps", "io.kestra.plugin.ee.git.PushBlueprints",
		"io.kestra.plugin.ee.git.PushUnitTests", "io.kestra.plugin.ee.git.PushDashboards",
		// Not io.kestra.plugin.ee.git.Clone, which the official list has: it
		// is deleted in plugin-ee-git 2.2.1 and issue 13's 2.0-only rule
		// rewrites it to io.kestra.plugin.git.Clone (optional auth), as the
		// official ee_clone rule does before its detectors run; reporting
		// the task as needing auth would send users to the wrong fix.
	)
	sdkAuthOptional = newTypeMatcher(
		"io.kestra.plugin.git.SyncFlows", "io.kestra.plugin.git.Sync", "io.kestra.plugin.git.PushFlows",
		"io.kestra.plugin.ai.tool.KestraFlow", "io.kestra.plugin.kestra.",
		// Ours: the official rename table moves core.log.Fetch into
		// plugin-kestra (io.kestra.plugin.kestra.logs.Fetch), which then
		// needs credentials like every io.kestra.plugin.kestra.* task.
		logFetchType,
	)
	// sdkAuthWhen: the task calls the API only when this property is
	// true (or templated: it may render true).
	sdkAuthWhen = map[string]string{"io.kestra.plugin.git.SyncNamespaceFiles": "includeChildNamespaces"}
)

const logFetchType = "io.kestra.plugin.core.log.Fetch"

var sdkAuthScan = scanGroupOfMatcher(sdkAuthMatcher())

func sdkAuthMatcher() typeMatcher {
	s := newTypeMatcher("io.kestra.plugin.git.SyncNamespaceFiles")
	for _, set := range []typeMatcher{sdkAuthMandatory, sdkAuthOptional} {
		for t := range set.exact {
			s.add(t)
		}
		for _, p := range set.prefixes {
			s.add(p)
		}
	}
	return s
}

// NewSDKAuthRule reports API-calling tasks without an inline `auth`: codes
// sdk-auth-required (blocking) and sdk-auth-advisory (advisory).
func NewSDKAuthRule() Rule {
	types := sdkAuthMatcher()
	return &detectRule{name: DetectSDKAuthName, url: guideSDKAuth, mentions: func(s *srcScan) bool { return s.typeMatch(sdkAuthScan) },
		detect: func(d *Document, f *detectFindings) {
			eachPluginMapping(d, func(m *yaml.Node, path string) {
				t := scalarText(mergedValue(m, "type"))
				if t == "" || !types.has(t) || mergedValue(m, "auth") != nil || isDefaultsListEntry(path) {
					return
				}
				id := idOrUnknown(scalarText(mergedValue(m, "id")))
				switch {
				case sdkAuthMandatory.has(t):
					f.add(m, path, CodeSDKAuthRequired, SeverityBlocking, guideSDKAuth,
						"%s: %s has a mandatory `auth` property in 2.0: 2.0 refuses the flow on save (\"auth must be set\") "+
							"and server or namespace credentials cannot stand in; add an inline `auth:` block", id, t)
				case t == logFetchType:
					f.add(m, path, CodeSDKAuthAdvisory, SeverityAdvisory, guideSDKAuth,
						"%s: %s becomes io.kestra.plugin.kestra.logs.Fetch, which calls the Kestra API and needs SDK "+
							"authentication in 2.0: add an `auth:` block, or configure credentials at namespace/tenant or server level", id, t)
				case sdkAuthOptional.has(t):
					f.add(m, path, CodeSDKAuthAdvisory, SeverityAdvisory, guideSDKAuth,
						"%s: %s calls the Kestra API and needs SDK authentication in 2.0: add an `auth:` block, "+
							"or configure credentials at namespace/tenant or server level", id, t)
				default:
					prop := sdkAuthWhen[t]
					v := mergedValue(m, prop)
					if kestraTrue(v) || strings.Contains(scalarText(v), "{{") {
						f.add(m, path, CodeSDKAuthAdvisory, SeverityAdvisory, guideSDKAuth,
							"%s: %s with %s calls the Kestra API and needs SDK authentication in 2.0: add an `auth:` block, "+
								"or configure credentials at namespace/tenant or server level", id, t, prop)
					}
				}
			})
		}}
}

// isDefaultsListEntry reports whether path is an entry of the root
// pluginDefaults/taskDefaults list: its `type` names the tasks it applies
// to, it is not a task, so it needs no `auth` of its own (and 2.0 refuses
// the whole list anyway: plugin-defaults-removed).
func isDefaultsListEntry(path string) bool {
	for _, k := range []string{"pluginDefaults[", "taskDefaults["} {
		if rest, ok := strings.CutPrefix(path, k); ok {
			return strings.IndexByte(rest, '.') < 0 && strings.HasSuffix(rest, "]")
		}
	}
	return false
}
