package kestrafake

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// What a server refuses depending on its version, beyond what check.go
// refuses on every version: the constructs Kestra 2.0 removed (refused on a
// 2.x server) and the keys 2.0 added (refused on a 1.x server, whose
// Jackson mapper fails on unknown properties). Older eras (0.x) refuse none
// of these, as before.
//
// How Kestra words a refusal: kestra-io/kestra
// core/src/main/java/io/kestra/core/serializers/YamlParser.java parses with
// FAIL_ON_UNKNOWN_PROPERTIES: an unknown key is Jackson's
// `Unrecognized field "<key>" (class <class>), not marked as ignorable`, an
// unknown polymorphic type id (a task, trigger or input type) is
// `Invalid type: <type>`. The constraints of a flow are joined with ", ".
// The fake reports every refusal it finds, each with its path, where Kestra
// stops at the first parse error.
//
// What 2.0 removed and added: kestra-io/kestra2-flow-migration
// (migration-documentation/flows-changes.md, "v2-incompatible flows" and
// "v2-only compatible changes"; internal/migrate/migrate.go), summed up in
// the issue 13 research notes §6. The `docker` block of script tasks, the
// first 2.0 refusal, stays in check.go (checkTask) with its deprecation path.
//
// Accepted on 2.0 although legacy, hence absent here: root `checks[].condition`
// (a deprecated alias of `when`), PurgeKV `expiredOnly` (still parsed), script
// `runner` (parsed and ignored: check.go reports no deprecation for it).

// era is the server versions a refusal applies to.
type era struct {
	name string
	in   func(version) bool
}

var (
	era2x         = era{"2.x", func(v version) bool { return v.atLeast(2, 0) }}
	era1x         = era{"1.x", func(v version) bool { return v[0] == 1 }}
	eraBefore     = era{"before 2.0", func(v version) bool { return !v.atLeast(2, 0) }}
	era1x2x       = era{"1.x and 2.x", func(v version) bool { return v.atLeast(1, 0) }}
	era1xBefore13 = era{"1.x before 1.3", func(v version) bool { return v[0] == 1 && v[1] < 3 }}
	// PurgeKV's `behavior` exists from 1.3.28 (flows-changes.md); 2.0 has it.
	era1xBefore1328 = era{"1.x before 1.3.28", func(v version) bool { return v[0] == 1 && v.before(1, 3, 28) }}
)

// site is where a mapping sits in a flow, which decides the class Kestra
// deserialises it into.
type site int

const (
	siteFlow    site = iota // the flow itself
	sitePlugin              // a task, a condition, a task runner...: a mapping with a plugin `type`
	siteTrigger             // an item of the root `triggers`
	siteInput               // an input definition: root `inputs`, any `onResume`, a FORM's `inputs`
	siteOutput              // an item of the root `outputs`
	siteCheck               // an item of the root `checks`
	siteRetry               // the value of a `retry` key
	siteOptions             // the `options` of a plugin (HttpConfiguration)
)

// kind is how Kestra words a refusal.
type kind int

const (
	unrecognized kind = iota // the key is unknown to the class
	invalidType              // the value of key is an unknown type id
	invalidEnum              // the value of key is not one of an enum's constants
	custom                   // a validator's message (msg)
)

// refusal is one row of the table: a key that a mapping at a site, of one of
// some types, must not hold on the servers of an era.
type refusal struct {
	era   era
	at    site
	types []string // the mapping's `type` is one of these; nil: any (a plugin must have one)
	key   string   // the refused key
	value string   // refused only when key's value, or one of its items, is this
	kind  kind
	class string                                 // the Java class the message names, when not the `type`
	when  func(m *yaml.Node) bool                // a further condition on the mapping
	msg   func(path string, m *yaml.Node) string // kind custom: the message
}

const (
	typeSubflow  = "io.kestra.plugin.core.flow.Subflow"
	typeSchedule = "io.kestra.plugin.core.trigger.Schedule"
	typeWebhook  = "io.kestra.plugin.core.trigger.Webhook"
	typeLog      = "io.kestra.plugin.core.log.Log"
	typeCheck    = "io.kestra.core.models.flows.check.Check"
	typeHTTPConf = "io.kestra.core.http.client.configurations.HttpConfiguration"
	typeOutput   = "io.kestra.core.models.flows.Output"
	typeState    = "io.kestra.core.models.flows.State$Type"
)

var (
	reservedFlowIDs = []string{"pause", "resume", "force-run", "change-status", "kill", "executions", "search", "source", "disable", "enable"}
	flowTriggers    = []string{"io.kestra.plugin.core.trigger.Flow", "io.kestra.core.models.triggers.types.Flow"}
	// fetchType became store/fetch on these (official normalizeFetchType, fetchTypePlugins).
	fetchTypeTasks = []string{"io.kestra.plugin.datagen.core.Generate", "io.kestra.plugin.googleworkspace.sheets.Read"}
	// Types that need `auth` on 2.0 (official migrate.go sdkAuthRequired; 2.0's message).
	sdkAuthRequired = []string{
		"io.kestra.plugin.git.SyncFlow", "io.kestra.plugin.git.TenantSync", "io.kestra.plugin.git.NamespaceSync",
		"io.kestra.plugin.ee.git.SyncApps", "io.kestra.plugin.ee.git.SyncBlueprints", "io.kestra.plugin.ee.git.SyncUnitTests",
		"io.kestra.plugin.ee.git.SyncDashboards", "io.kestra.plugin.ee.git.PushApps", "io.kestra.plugin.ee.git.PushBlueprints",
		"io.kestra.plugin.ee.git.PushUnitTests", "io.kestra.plugin.ee.git.PushDashboards",
	}
)

// refusals is the table. Keys refused at the flow's root are in flowKeys
// (check.go) so that only this table decides on them.
var refusals = []refusal{
	// ---- Refused by 2.0 (removed). ----
	// Flow-level defaults are gone (flows-changes.md "plugin-defaults-removed"); so is workerGroup,
	// now workerSelector (official migrateWorkerGroupToWorkerSelector, on any mapping).
	{era: era2x, at: siteFlow, key: "pluginDefaults"},
	{era: era2x, at: siteFlow, key: "taskDefaults"},
	{era: era2x, at: siteFlow, key: "workerGroup"},
	{era: era2x, at: sitePlugin, key: "workerGroup"},
	{era: era2x, at: siteTrigger, key: "workerGroup"},
	// Flow ids that clash with 2.0's API paths (flows-changes.md "Reserved flow IDs disallowed",
	// official renameReservedFlowIDs). The wording is ours: Kestra's text was not found.
	{era: era2x, at: siteFlow, key: "id", kind: custom,
		when: func(m *yaml.Node) bool { return slices.Contains(reservedFlowIDs, scalar(lookup(m, "id"))) },
		msg: func(_ string, m *yaml.Node) string {
			return fmt.Sprintf("id: %q is a reserved flow id", scalar(lookup(m, "id")))
		}},
	// Input definitions: `name` is gone (renameInputNameToID), BOOLEAN and ENUM are no input types
	// ("Validation error: Invalid type: BOOLEAN", renameInputTypes), MULTISELECT `options` is `values`.
	{era: era2x, at: siteInput, key: "name"},
	{era: era2x, at: siteInput, key: "type", value: "BOOLEAN", kind: invalidType},
	{era: era2x, at: siteInput, key: "type", value: "ENUM", kind: invalidType},
	{era: era2x, at: siteInput, types: []string{"MULTISELECT"}, key: "options"},
	// The root outputs are checked alike (renameInputTypes, the root `outputs` only).
	{era: era2x, at: siteOutput, key: "type", value: "BOOLEAN", kind: invalidType},
	{era: era2x, at: siteOutput, key: "type", value: "ENUM", kind: invalidType},
	// kestra-io/kestra InputValidator (2.0): a default makes the input required, and excludes a prefill.
	{era: era2x, at: siteInput, key: "defaults", kind: custom,
		when: func(m *yaml.Node) bool {
			v := lookup(m, "required")
			return v != nil && strings.EqualFold(v.Value, "false")
		},
		msg: func(path string, _ *yaml.Node) string {
			return path + ": Inputs with a default value must be required, since the default is always applied."
		}},
	{era: era2x, at: siteInput, key: "defaults", kind: custom,
		when: func(m *yaml.Node) bool { return lookup(m, "prefill") != nil },
		msg: func(path string, _ *yaml.Node) string {
			return path + ": Inputs with a default value cannot also have a prefill."
		}},
	// Trigger conditions were redesigned as `when` / `dependsOn` (flows-changes.md
	// "trigger-conditions-redesign", official removedTriggerConditionProperties), minLogLevel removed.
	{era: era2x, at: siteTrigger, key: "conditions"},
	{era: era2x, at: siteTrigger, key: "scheduleConditions"},
	{era: era2x, at: siteTrigger, key: "preconditions"},
	{era: era2x, at: siteTrigger, key: "timeWindow"},
	{era: era2x, at: siteTrigger, key: "minLogLevel"},
	// Properties removed from core plugins (official removeDeprecatedProperties,
	// renameMaxAttemptToMaxAttempts, renamePauseDelayToPauseDuration, flows-changes.md Pause).
	{era: era2x, at: sitePlugin, types: []string{typeSubflow}, key: "outputs"},
	{era: era2x, at: siteTrigger, types: []string{typeSchedule}, key: "backfill"},
	{era: era2x, at: siteTrigger, types: []string{typeSchedule}, key: "backfills"},
	{era: era2x, at: sitePlugin, types: []string{"io.kestra.plugin.core.flow.Pause"}, key: "delay"},
	{era: era2x, at: sitePlugin, types: []string{"io.kestra.plugin.core.flow.Pause"}, key: "tasks"},
	{era: era2x, at: siteRetry, key: "maxAttempt"},
	// HttpConfiguration (official migrateHTTPBasicAuth, removeDeprecatedHTTPOptions: any task's `options`).
	{era: era2x, at: siteOptions, key: "basicAuthUser", class: typeHTTPConf},
	{era: era2x, at: siteOptions, key: "basicAuthPassword", class: typeHTTPConf},
	{era: era2x, at: siteOptions, key: "connectionPoolIdleTimeout", class: typeHTTPConf},
	{era: era2x, at: sitePlugin, types: fetchTypeTasks, key: "fetchType"},
	// Exit's 2.0 ExitState is SUCCESS, WARNING, KILLED, FAILED, CANCELLED (official renameExitCanceled).
	{era: era2x, at: sitePlugin, types: []string{"io.kestra.plugin.core.execution.Exit"}, key: "state", value: "CANCELED",
		kind: invalidEnum, class: "io.kestra.plugin.core.execution.Exit$ExitState"},
	// SDK tasks must authenticate (official detectSdkAuth; 2.0's message).
	{era: era2x, at: sitePlugin, types: sdkAuthRequired, kind: custom,
		when: func(m *yaml.Node) bool { return lookup(m, "auth") == nil },
		msg: func(_ string, m *yaml.Node) string {
			return fmt.Sprintf("tasks[%s].authConfigured: auth must be set", scalar(lookup(m, "id")))
		}},

	// ---- Refused by 1.x and 2.x: keys these classes never had. ----
	// A type-only rename Echo -> Log or Template -> Subflow (flows-changes.md:
	// `Unrecognized field "format" (class io.kestra.plugin.core.log.Log)`).
	{era: era1x2x, at: sitePlugin, types: []string{typeLog}, key: "format"},
	{era: era1x2x, at: sitePlugin, types: []string{typeSubflow}, key: "templateId"},
	// State.Type never had the single-L CANCELED (official canceled_states_test.go, EE 1.3.41).
	{era: era1x2x, at: siteTrigger, key: "states", value: "CANCELED", kind: invalidEnum, class: typeState},

	// ---- Refused by 1.x before 1.3: what 1.3 added beside the old form. ----
	// Exit's ExitState took CANCELLED beside CANCELED in 1.3 (flows-changes.md "Exit.ExitState.CANCELED
	// removed"; kestra-io/kestra core/.../plugin/core/execution/Exit.java before 1.3 has CANCELED only).
	{era: era1xBefore13, at: sitePlugin, types: []string{"io.kestra.plugin.core.execution.Exit"}, key: "state", value: "CANCELLED",
		kind: invalidEnum, class: "io.kestra.plugin.core.execution.Exit$ExitState"},

	// ---- Refused by 1.x: keys that only 2.0 has. ----
	{era: era1x, at: siteCheck, key: "when", class: typeCheck}, // 1.x Check.java has only `condition`
	// 2.0's Flow trigger (kestra-io/kestra core/.../plugin/core/trigger/Flow.java): dependsOn, window,
	// mode, minSatisfied; `when` on every trigger. (The research notes also name `onMiss`: it is in
	// neither Flow.java nor Window.java, so it is left out.)
	{era: era1x, at: siteTrigger, key: "when"},
	{era: era1x, at: siteTrigger, types: flowTriggers, key: "dependsOn"},
	{era: era1x, at: siteTrigger, types: flowTriggers, key: "window"},
	{era: era1x, at: siteTrigger, types: flowTriggers, key: "mode"},
	{era: era1x, at: siteTrigger, types: flowTriggers, key: "minSatisfied"},
	{era: era1xBefore1328, at: sitePlugin, types: []string{"io.kestra.plugin.core.kv.PurgeKV"}, key: "behavior"},
	// plugin-git 2.0.12's git.Clone has no strictHostKeyChecking (official ee_git_clone.go).
	{era: era1x, at: sitePlugin, types: []string{"io.kestra.plugin.git.Clone"}, key: "strictHostKeyChecking"},
	{era: era1x, at: sitePlugin, key: "workerSelector"},
	{era: era1x, at: siteTrigger, key: "workerSelector"},
	// Root keys of 2.0 (Flow has policyRefs where it had pluginDefaults); refused before 2.0,
	// as they were before this table existed.
	{era: eraBefore, at: siteFlow, key: "policyRefs"},
	{era: eraBefore, at: siteFlow, key: "workerSelector"},
}

// removedTypes are the plugin types a 2.x server does not know (`Invalid
// type: <type>`): a name ending in "." is a prefix.
var removedTypes = []string{
	// Every old name of the official rename table (typeRenames, templateTypes,
	// echoTypes in internal/migrate/migrate.go): 2.0 dropped the aliases.
	"io.kestra.core.tasks.flows.Template", "io.kestra.core.tasks.flows.Pause", "io.kestra.core.tasks.flows.Subflow",
	"io.kestra.core.tasks.flows.Flow", "io.kestra.core.tasks.flows.Switch", "io.kestra.core.tasks.flows.If",
	"io.kestra.core.tasks.flows.Parallel", "io.kestra.core.tasks.flows.Sequential",
	"io.kestra.core.tasks.flows.WorkingDirectory", "io.kestra.core.tasks.flows.Dag",
	"io.kestra.core.tasks.debugs.Echo", "io.kestra.core.tasks.debugs.Return",
	"io.kestra.core.tasks.states.Get", "io.kestra.core.tasks.states.Set", "io.kestra.core.tasks.states.Delete",
	"io.kestra.core.tasks.storages.Purge", "io.kestra.core.tasks.storages.LocalFiles",
	"io.kestra.core.tasks.storages.PurgeExecution", "io.kestra.core.tasks.executions.Fail",
	"io.kestra.core.models.triggers.types.Schedule", "io.kestra.core.models.triggers.types.Flow",
	"io.kestra.core.models.triggers.types.Webhook",
	"io.kestra.plugin.core.flow.Template", "io.kestra.plugin.core.debug.Echo",
	"io.kestra.plugin.core.state.Get", "io.kestra.plugin.core.state.Set", "io.kestra.plugin.core.state.Delete",
	"io.kestra.plugin.core.storage.Purge", "io.kestra.plugin.core.storage.PurgeExecution",
	"io.kestra.plugin.core.storage.LocalFiles", "io.kestra.plugin.core.log.Fetch",
	"io.kestra.plugin.notifications.slack.SlackIncomingWebhook", "io.kestra.plugin.notifications.slack.SlackExecution",
	"io.kestra.plugin.notifications.mail.MailSend", "io.kestra.plugin.notifications.discord.DiscordExecution",
	"io.kestra.plugin.slack.SlackIncomingWebhook", "io.kestra.plugin.slack.SlackExecution",
	"io.kestra.plugin.kubernetes.PodCreate", "io.kestra.plugin.datagen.Generate", "io.kestra.plugin.astradb.Query",
	"io.kestra.plugin.fs.http.Request", "io.kestra.plugin.fs.http.Download",
	// Deleted in plugin-ee-git 2.2.1 (official ee_git_clone.go).
	"io.kestra.plugin.ee.git.Clone",
	// The core script tasks (flows-changes.md "Core script tasks removed").
	"io.kestra.core.tasks.scripts.",
	// Conditions: replaced by `when` expressions (flows-changes.md "trigger-conditions-redesign").
	"io.kestra.core.models.conditions.types.", "io.kestra.plugin.core.condition.",
	// Official removedTypes and removedTypeDocs (removed-type, foreach-loop). The official tool calls
	// them blocking; flows-changes.md says nashorn.* is still published and git.Push only deprecated,
	// so on a real server these two depend on the plugins installed: the fake follows the tool.
	"io.kestra.plugin.core.execution.Count", "io.kestra.plugin.core.execution.Resume",
	"io.kestra.plugin.core.trigger.Toggle", "io.kestra.plugin.git.Push",
	"io.kestra.plugin.scripts.nashorn.Eval", "io.kestra.plugin.scripts.nashorn.FileTransform",
	"io.kestra.plugin.core.flow.ForEach", "io.kestra.plugin.core.flow.ForEachItem",
	"io.kestra.plugin.core.flow.EachSequential", "io.kestra.plugin.core.flow.EachParallel",
	"io.kestra.core.tasks.flows.EachSequential", "io.kestra.core.tasks.flows.EachParallel",
	"io.kestra.core.tasks.flows.ForEachItem",
}

func typeRemoved(typ string) bool {
	for _, r := range removedTypes {
		if typ == r || strings.HasSuffix(r, ".") && strings.HasPrefix(typ, r) {
			return true
		}
	}
	return false
}

// refusedBy lists what this server's version refuses in a flow (its root
// mapping), as constraint messages, in document order.
func (s *Server) refusedBy(root *yaml.Node) []string {
	w := walker{v: s.version}
	w.mapping(root, "", siteFlow)
	if era2x.in(s.version) {
		if v := missingTriggerInputs(root); len(v) > 0 {
			w.problems = append(w.problems, "Invalid Flow: "+strings.Join(v, ", "))
		}
	}
	return w.problems
}

type walker struct {
	v        version
	problems []string
}

// node walks a mapping, or each item of a sequence, at a site.
func (w *walker) node(n *yaml.Node, path string, at site) {
	switch n.Kind {
	case yaml.SequenceNode:
		for i, item := range n.Content {
			w.node(item, fmt.Sprintf("%s[%d]", path, i), at)
		}
	case yaml.MappingNode:
		w.mapping(n, path, at)
	}
}

func (w *walker) mapping(m *yaml.Node, path string, at site) {
	typ := scalar(lookup(m, "type"))
	if (at == sitePlugin || at == siteTrigger) && typ != "" && era2x.in(w.v) && typeRemoved(typ) {
		w.problems = append(w.problems, fmt.Sprintf("%s: Invalid type: %s", path, typ))
		return // Jackson cannot go further into a mapping of an unknown type
	}
	refused := map[string]bool{}
	for i := range refusals {
		r := &refusals[i]
		if r.at != at || !r.era.in(w.v) || !r.typeMatches(at, typ) {
			continue
		}
		v := lookup(m, r.key)
		if r.key != "" && v == nil || r.value != "" && !hasValue(v, r.value) || r.when != nil && !r.when(m) {
			continue
		}
		w.problems = append(w.problems, r.message(path, m, typ))
		refused[r.key] = true
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i].Value, m.Content[i+1]
		if refused[k] {
			continue
		}
		if next, ok := childSite(at, typ, k); ok {
			w.node(v, join(path, k), next)
		}
	}
}

// childSite is the site of the value of key k in a mapping at site at, and
// false for data that holds no plugin (variables, labels, a Subflow's inputs...).
func childSite(at site, typ, k string) (site, bool) {
	switch at {
	case siteFlow:
		switch k {
		case "inputs":
			return siteInput, true
		case "outputs":
			return siteOutput, true
		case "checks":
			return siteCheck, true
		case "triggers":
			return siteTrigger, true
		case "retry":
			return siteRetry, true
		case "tasks", "errors", "finally", "afterExecution", "listeners":
			return sitePlugin, true
		}
	case siteInput:
		if k == "inputs" && typ == "FORM" {
			return siteInput, true
		}
	case sitePlugin, siteTrigger:
		switch k {
		case "retry":
			return siteRetry, true
		case "options":
			return siteOptions, true
		case "onResume":
			return siteInput, true
		case "type", "id", "inputs", "outputs", "variables", "labels", "values", "defaults", "env", "headers":
			return 0, false
		}
		return sitePlugin, true
	}
	return 0, false
}

func (r *refusal) typeMatches(at site, typ string) bool {
	if r.types != nil {
		return slices.Contains(r.types, typ)
	}
	return typ != "" || (at != sitePlugin && at != siteTrigger)
}

func (r *refusal) message(path string, m *yaml.Node, typ string) string {
	class := r.class
	if class == "" {
		class = classOf(r.at, typ)
	}
	switch r.kind {
	case invalidType:
		return fmt.Sprintf("%s: Invalid type: %s", path, r.value)
	case invalidEnum:
		return fmt.Sprintf("%s: Cannot deserialize value of type `%s` from String %q: not one of the values accepted for Enum class",
			join(path, r.key), class, r.value)
	case custom:
		return r.msg(path, m)
	}
	if r.at == siteFlow { // as check.go words unknown root keys
		return fmt.Sprintf("Unrecognized field %q", r.key)
	}
	return fmt.Sprintf("%s: Unrecognized field %q (class %s), not marked as ignorable", path, r.key, class)
}

// classOf names the class Kestra deserialises a mapping at a site into.
func classOf(at site, typ string) string {
	switch at {
	case siteInput: // io.kestra.core.models.flows.input.StringInput, MultiselectInput...
		t := strings.ToLower(typ)
		if t == "" {
			return "io.kestra.core.models.flows.Input"
		}
		return "io.kestra.core.models.flows.input." + strings.ToUpper(t[:1]) + t[1:] + "Input"
	case siteOutput:
		return typeOutput
	case siteRetry: // constant, exponential, random
		t := strings.ToLower(typ)
		if t == "" {
			return "io.kestra.core.models.tasks.retrys.AbstractRetry"
		}
		return "io.kestra.core.models.tasks.retrys." + strings.ToUpper(t[:1]) + t[1:]
	case siteCheck:
		return typeCheck
	case siteOptions:
		return typeHTTPConf
	}
	return typ
}

// missingTriggerInputs is 2.0's FlowValidator.findMissingInputsForTriggers
// (kestra-io/kestra core/.../validations/validator/FlowValidator.java): the
// root inputs no execution fills on its own (no `defaults`, not `required:
// false`; a FORM's children as "<form>.<child>") that a Schedule or Webhook
// trigger does not supply under its `inputs`.
func missingTriggerInputs(root *yaml.Node) []string {
	var needed []string
	var collect func(seq *yaml.Node, prefix string)
	collect = func(seq *yaml.Node, prefix string) {
		if seq == nil || seq.Kind != yaml.SequenceNode {
			return
		}
		for _, in := range seq.Content {
			id := scalar(lookup(in, "id"))
			if id == "" {
				continue
			}
			if scalar(lookup(in, "type")) == "FORM" {
				collect(lookup(in, "inputs"), prefix+id+".")
				continue
			}
			req := lookup(in, "required")
			if lookup(in, "defaults") == nil && (req == nil || !strings.EqualFold(req.Value, "false")) {
				needed = append(needed, prefix+id)
			}
		}
	}
	collect(lookup(root, "inputs"), "")
	triggers := lookup(root, "triggers")
	if len(needed) == 0 || triggers == nil || triggers.Kind != yaml.SequenceNode {
		return nil
	}
	var out []string
	for _, t := range triggers.Content {
		kind := map[string]string{typeSchedule: "Schedule", typeWebhook: "Webhook"}[scalar(lookup(t, "type"))]
		if kind == "" {
			continue
		}
		supplied := lookup(t, "inputs")
		var missing []string
		for _, id := range needed {
			if lookup(supplied, id) == nil {
				missing = append(missing, id)
			}
		}
		if len(missing) > 0 {
			out = append(out, fmt.Sprintf("Missing inputs for %s Trigger '%s', missing inputs: '%s'",
				kind, scalar(lookup(t, "id")), strings.Join(missing, " | ")))
		}
	}
	return out
}

// hasValue reports whether a scalar is v, or a sequence holds v.
func hasValue(n *yaml.Node, v string) bool {
	if n == nil {
		return false
	}
	if n.Kind == yaml.SequenceNode {
		return slices.ContainsFunc(n.Content, func(item *yaml.Node) bool { return hasValue(item, v) })
	}
	return n.Kind == yaml.ScalarNode && n.Value == v
}

// scalar is a scalar node's value, "" for anything else.
func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
