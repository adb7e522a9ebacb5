package rewrite

// Type renames of the official 1.3 -> 2.0 tool: typeRenames, templateTypes and
// echoTypes in kestra-io/kestra2-flow-migration internal/migrate/migrate.go
// (commit 7ef6c94f61d88e7275bfc7a2181e3e4b8b956328), applied by renameTypes to
// the `type` of every mapping (tasks, triggers, pluginDefaults entries...).
// The official tool runs them on both paths (also under --stay-v1-compatible):
// 1.3 still carries every old name as an alias, so the output is valid on 1.3.
// No New is also an Old, so one pass is enough and a second changes nothing.

// PropRename renames a property key on the mapping whose type is renamed.
type PropRename struct{ From, To string }

// TypeRename is one row of the table.
type TypeRename struct {
	Old, New string
	// Props come with the rename (official templateTypes, echoTypes): a
	// type-only rename would be rejected on save (`Unrecognized field`).
	Props []PropRename
	// Refuse is set when renaming the type (even with Props) is known to give
	// a flow the server rejects or that runs differently; the rename rule
	// must then leave the task alone and a detection reports Refuse instead.
	// The official tool renames these anyway.
	Refuse string
}

// Why the rename of a Refuse row is not made. Facts: the official
// state_kv.go (a type-only rename is rejected on save: Unrecognized field
// "name" (class io.kestra.plugin.core.kv.Set)) and kestra-io/kestra
// core/src/main/java/io/kestra/plugin/core/storage/LocalFiles.java (a runnable
// task with `inputs`/`outputs`; WorkingDirectory is a flowable with required
// `tasks` and `inputFiles`/`outputFiles`). The detections report both.
const (
	refuseStateStore = "a State Store task: kv.* takes a key and a value, not name/data, so the rename alone is rejected on save (reported as state-to-kv)"
	refuseLocalFiles = "LocalFiles is a runnable task, WorkingDirectory a flowable with tasks and inputFiles/outputFiles, so the rename alone is rejected (reported as removed-type)"
)

var (
	templateProps = []PropRename{{"templateId", "flowId"}} // official templateTypes
	echoProps     = []PropRename{{"format", "message"}}    // official echoTypes: Log has no `format`
)

// TypeRenames is the official table, row for row (order: as in migrate.go).
var TypeRenames = []TypeRename{
	// Old io.kestra.core.* paths: flows.
	{Old: "io.kestra.core.tasks.flows.Template", New: "io.kestra.plugin.core.flow.Subflow", Props: templateProps},
	{Old: "io.kestra.core.tasks.flows.Pause", New: "io.kestra.plugin.core.flow.Pause"},
	{Old: "io.kestra.core.tasks.flows.Subflow", New: "io.kestra.plugin.core.flow.Subflow"},
	{Old: "io.kestra.core.tasks.flows.Flow", New: "io.kestra.plugin.core.flow.Subflow"},
	{Old: "io.kestra.core.tasks.flows.Switch", New: "io.kestra.plugin.core.flow.Switch"},
	{Old: "io.kestra.core.tasks.flows.If", New: "io.kestra.plugin.core.flow.If"},
	{Old: "io.kestra.core.tasks.flows.Parallel", New: "io.kestra.plugin.core.flow.Parallel"},
	{Old: "io.kestra.core.tasks.flows.Sequential", New: "io.kestra.plugin.core.flow.Sequential"},
	{Old: "io.kestra.core.tasks.flows.WorkingDirectory", New: "io.kestra.plugin.core.flow.WorkingDirectory"},
	{Old: "io.kestra.core.tasks.flows.Dag", New: "io.kestra.plugin.core.flow.Dag"},
	// Debug / log.
	{Old: "io.kestra.core.tasks.debugs.Echo", New: "io.kestra.plugin.core.log.Log", Props: echoProps},
	{Old: "io.kestra.core.tasks.debugs.Return", New: "io.kestra.plugin.core.debug.Return"},
	// States -> KV.
	{Old: "io.kestra.core.tasks.states.Get", New: "io.kestra.plugin.core.kv.Get", Refuse: refuseStateStore},
	{Old: "io.kestra.core.tasks.states.Set", New: "io.kestra.plugin.core.kv.Set", Refuse: refuseStateStore},
	{Old: "io.kestra.core.tasks.states.Delete", New: "io.kestra.plugin.core.kv.Delete", Refuse: refuseStateStore},
	// Storage (PurgeExecutions lives in the `execution` subpackage).
	{Old: "io.kestra.core.tasks.storages.Purge", New: "io.kestra.plugin.core.execution.PurgeExecutions"},
	{Old: "io.kestra.core.tasks.storages.LocalFiles", New: "io.kestra.plugin.core.flow.WorkingDirectory", Refuse: refuseLocalFiles},
	{Old: "io.kestra.core.tasks.storages.PurgeExecution", New: "io.kestra.plugin.core.storage.PurgeCurrentExecutionFiles"},
	// Execution.
	{Old: "io.kestra.core.tasks.executions.Fail", New: "io.kestra.plugin.core.execution.Fail"},
	// Triggers (old condition types are deliberately absent: trigger-conditions).
	{Old: "io.kestra.core.models.triggers.types.Schedule", New: "io.kestra.plugin.core.trigger.Schedule"},
	{Old: "io.kestra.core.models.triggers.types.Flow", New: "io.kestra.plugin.core.trigger.Flow"},
	{Old: "io.kestra.core.models.triggers.types.Webhook", New: "io.kestra.plugin.core.trigger.Webhook"},

	// New io.kestra.plugin.core.* names that are still deprecated.
	{Old: "io.kestra.plugin.core.flow.Template", New: "io.kestra.plugin.core.flow.Subflow", Props: templateProps},
	{Old: "io.kestra.plugin.core.debug.Echo", New: "io.kestra.plugin.core.log.Log", Props: echoProps},
	{Old: "io.kestra.plugin.core.state.Get", New: "io.kestra.plugin.core.kv.Get", Refuse: refuseStateStore},
	{Old: "io.kestra.plugin.core.state.Set", New: "io.kestra.plugin.core.kv.Set", Refuse: refuseStateStore},
	{Old: "io.kestra.plugin.core.state.Delete", New: "io.kestra.plugin.core.kv.Delete", Refuse: refuseStateStore},
	{Old: "io.kestra.plugin.core.storage.Purge", New: "io.kestra.plugin.core.execution.PurgeExecutions"},
	{Old: "io.kestra.plugin.core.storage.PurgeExecution", New: "io.kestra.plugin.core.storage.PurgeCurrentExecutionFiles"},
	{Old: "io.kestra.plugin.core.storage.LocalFiles", New: "io.kestra.plugin.core.flow.WorkingDirectory", Refuse: refuseLocalFiles},
	// Moves into plugin-kestra (then needs SDK auth on 2.0: sdk-auth-advisory).
	{Old: "io.kestra.plugin.core.log.Fetch", New: "io.kestra.plugin.kestra.logs.Fetch"},

	// Third-party plugin renames (found via the 1.3.10 deprecated-tasks API).
	{Old: "io.kestra.plugin.notifications.slack.SlackIncomingWebhook", New: "io.kestra.plugin.slack.notifications.SlackIncomingWebhook"},
	{Old: "io.kestra.plugin.notifications.slack.SlackExecution", New: "io.kestra.plugin.slack.notifications.SlackExecution"},
	{Old: "io.kestra.plugin.notifications.mail.MailSend", New: "io.kestra.plugin.email.MailSend"},
	{Old: "io.kestra.plugin.notifications.discord.DiscordExecution", New: "io.kestra.plugin.discord.DiscordExecution"},
	{Old: "io.kestra.plugin.slack.SlackIncomingWebhook", New: "io.kestra.plugin.slack.notifications.SlackIncomingWebhook"},
	{Old: "io.kestra.plugin.slack.SlackExecution", New: "io.kestra.plugin.slack.notifications.SlackExecution"},
	{Old: "io.kestra.plugin.kubernetes.PodCreate", New: "io.kestra.plugin.kubernetes.core.PodCreate"},
	{Old: "io.kestra.plugin.datagen.Generate", New: "io.kestra.plugin.datagen.core.Generate"},
	{Old: "io.kestra.plugin.astradb.Query", New: "io.kestra.plugin.cassandra.astradb.Query"},
	{Old: "io.kestra.plugin.fs.http.Request", New: "io.kestra.plugin.core.http.Request"},
	{Old: "io.kestra.plugin.fs.http.Download", New: "io.kestra.plugin.core.http.Download"},
}

// EEGitClone is the official 2.0-only rename (internal/migrate/ee_git_clone.go,
// gated: skipped under --stay-v1-compatible): io.kestra.plugin.ee.git.Clone was
// deleted in plugin-ee-git 2.2.1 and becomes the OSS git.Clone, pinning
// `strictHostKeyChecking: true` (the EE default; git.Clone defaults to false)
// right after `url` (or at the end) unless the task already sets it. Invalid
// on 1.3: plugin-git 2.0.12's git.Clone has no strictHostKeyChecking.
var EEGitClone = struct {
	Old, New        string
	PinKey, PinText string // key added when absent, and its value text
	PinAfter        string // the key it is inserted after, else at the end
}{"io.kestra.plugin.ee.git.Clone", "io.kestra.plugin.git.Clone", "strictHostKeyChecking", "true", "url"}

var typeRenameIndex = func() map[string]*TypeRename {
	m := make(map[string]*TypeRename, len(TypeRenames))
	for i := range TypeRenames {
		m[TypeRenames[i].Old] = &TypeRenames[i]
	}
	return m
}()

// LookupTypeRename returns the row for an old type name (exact match, as the
// official renameTypes does; no prefix matching).
func LookupTypeRename(old string) (TypeRename, bool) {
	r, ok := typeRenameIndex[old]
	if !ok {
		return TypeRename{}, false
	}
	return *r, true
}
