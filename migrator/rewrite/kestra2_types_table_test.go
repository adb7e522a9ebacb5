package rewrite

import (
	"strings"
	"testing"
)

// officialTypeRenames is typeRenames transcribed from kestra-io/kestra2-flow-migration
// internal/migrate/migrate.go @ 7ef6c94f61d88e7275bfc7a2181e3e4b8b956328
// (identical at 073bbfced5847ec2eced4a2df1d4277fdd17a667 and 69eb0279...).
var officialTypeRenames = map[string]string{
	"io.kestra.core.tasks.flows.Template":                       "io.kestra.plugin.core.flow.Subflow",
	"io.kestra.core.tasks.flows.Pause":                          "io.kestra.plugin.core.flow.Pause",
	"io.kestra.core.tasks.flows.Subflow":                        "io.kestra.plugin.core.flow.Subflow",
	"io.kestra.core.tasks.flows.Flow":                           "io.kestra.plugin.core.flow.Subflow",
	"io.kestra.core.tasks.flows.Switch":                         "io.kestra.plugin.core.flow.Switch",
	"io.kestra.core.tasks.flows.If":                             "io.kestra.plugin.core.flow.If",
	"io.kestra.core.tasks.flows.Parallel":                       "io.kestra.plugin.core.flow.Parallel",
	"io.kestra.core.tasks.flows.Sequential":                     "io.kestra.plugin.core.flow.Sequential",
	"io.kestra.core.tasks.flows.WorkingDirectory":               "io.kestra.plugin.core.flow.WorkingDirectory",
	"io.kestra.core.tasks.flows.Dag":                            "io.kestra.plugin.core.flow.Dag",
	"io.kestra.core.tasks.debugs.Echo":                          "io.kestra.plugin.core.log.Log",
	"io.kestra.core.tasks.debugs.Return":                        "io.kestra.plugin.core.debug.Return",
	"io.kestra.core.tasks.states.Get":                           "io.kestra.plugin.core.kv.Get",
	"io.kestra.core.tasks.states.Set":                           "io.kestra.plugin.core.kv.Set",
	"io.kestra.core.tasks.states.Delete":                        "io.kestra.plugin.core.kv.Delete",
	"io.kestra.core.tasks.storages.Purge":                       "io.kestra.plugin.core.execution.PurgeExecutions",
	"io.kestra.core.tasks.storages.LocalFiles":                  "io.kestra.plugin.core.flow.WorkingDirectory",
	"io.kestra.core.tasks.storages.PurgeExecution":              "io.kestra.plugin.core.storage.PurgeCurrentExecutionFiles",
	"io.kestra.core.tasks.executions.Fail":                      "io.kestra.plugin.core.execution.Fail",
	"io.kestra.core.models.triggers.types.Schedule":             "io.kestra.plugin.core.trigger.Schedule",
	"io.kestra.core.models.triggers.types.Flow":                 "io.kestra.plugin.core.trigger.Flow",
	"io.kestra.core.models.triggers.types.Webhook":              "io.kestra.plugin.core.trigger.Webhook",
	"io.kestra.plugin.core.flow.Template":                       "io.kestra.plugin.core.flow.Subflow",
	"io.kestra.plugin.core.debug.Echo":                          "io.kestra.plugin.core.log.Log",
	"io.kestra.plugin.core.state.Get":                           "io.kestra.plugin.core.kv.Get",
	"io.kestra.plugin.core.state.Set":                           "io.kestra.plugin.core.kv.Set",
	"io.kestra.plugin.core.state.Delete":                        "io.kestra.plugin.core.kv.Delete",
	"io.kestra.plugin.core.storage.Purge":                       "io.kestra.plugin.core.execution.PurgeExecutions",
	"io.kestra.plugin.core.storage.PurgeExecution":              "io.kestra.plugin.core.storage.PurgeCurrentExecutionFiles",
	"io.kestra.plugin.core.storage.LocalFiles":                  "io.kestra.plugin.core.flow.WorkingDirectory",
	"io.kestra.plugin.core.log.Fetch":                           "io.kestra.plugin.kestra.logs.Fetch",
	"io.kestra.plugin.notifications.slack.SlackIncomingWebhook": "io.kestra.plugin.slack.notifications.SlackIncomingWebhook",
	"io.kestra.plugin.notifications.slack.SlackExecution":       "io.kestra.plugin.slack.notifications.SlackExecution",
	"io.kestra.plugin.notifications.mail.MailSend":              "io.kestra.plugin.email.MailSend",
	"io.kestra.plugin.notifications.discord.DiscordExecution":   "io.kestra.plugin.discord.DiscordExecution",
	"io.kestra.plugin.slack.SlackIncomingWebhook":               "io.kestra.plugin.slack.notifications.SlackIncomingWebhook",
	"io.kestra.plugin.slack.SlackExecution":                     "io.kestra.plugin.slack.notifications.SlackExecution",
	"io.kestra.plugin.kubernetes.PodCreate":                     "io.kestra.plugin.kubernetes.core.PodCreate",
	"io.kestra.plugin.datagen.Generate":                         "io.kestra.plugin.datagen.core.Generate",
	"io.kestra.plugin.astradb.Query":                            "io.kestra.plugin.cassandra.astradb.Query",
	"io.kestra.plugin.fs.http.Request":                          "io.kestra.plugin.core.http.Request",
	"io.kestra.plugin.fs.http.Download":                         "io.kestra.plugin.core.http.Download",
}

// Official templateTypes (templateId -> flowId) and echoTypes (format -> message).
var officialPropRenames = map[string]PropRename{
	"io.kestra.plugin.core.flow.Template": {"templateId", "flowId"},
	"io.kestra.core.tasks.flows.Template": {"templateId", "flowId"},
	"io.kestra.plugin.core.debug.Echo":    {"format", "message"},
	"io.kestra.core.tasks.debugs.Echo":    {"format", "message"},
}

func TestTypeRenamesMatchOfficialTable(t *testing.T) {
	if len(TypeRenames) != len(officialTypeRenames) {
		t.Errorf("%d rows, official table has %d", len(TypeRenames), len(officialTypeRenames))
	}
	seen := map[string]bool{}
	for _, r := range TypeRenames {
		if seen[r.Old] {
			t.Errorf("duplicate row for %s", r.Old)
		}
		seen[r.Old] = true
		want, ok := officialTypeRenames[r.Old]
		if !ok {
			t.Errorf("%s is not in the official table", r.Old)
			continue
		}
		if r.New != want {
			t.Errorf("%s -> %s, official -> %s", r.Old, r.New, want)
		}
		p, hasProp := officialPropRenames[r.Old]
		switch {
		case hasProp && (len(r.Props) != 1 || r.Props[0] != p):
			t.Errorf("%s props = %v, official %v", r.Old, r.Props, p)
		case !hasProp && len(r.Props) != 0:
			t.Errorf("%s has props %v, official none", r.Old, r.Props)
		}
	}
	for old := range officialTypeRenames {
		if !seen[old] {
			t.Errorf("official row %s missing", old)
		}
	}
}

func TestTypeRenamesOnePassIsEnough(t *testing.T) {
	for _, r := range TypeRenames {
		if _, ok := LookupTypeRename(r.New); ok {
			t.Errorf("%s -> %s, which is itself renamed: a second run would change it", r.Old, r.New)
		}
		if r.New == EEGitClone.Old || r.Old == EEGitClone.Old {
			t.Errorf("ee.git.Clone must stay out of the 1.3-valid table: %+v", r)
		}
	}
}

func TestRefusedRows(t *testing.T) {
	refused := 0
	for _, r := range TypeRenames {
		isState := strings.Contains(r.Old, ".states.") || strings.Contains(r.Old, ".core.state.")
		isLocalFiles := strings.HasSuffix(r.Old, ".LocalFiles")
		if (isState || isLocalFiles) != (r.Refuse != "") {
			t.Errorf("%s: Refuse = %q", r.Old, r.Refuse)
		}
		if r.Refuse != "" {
			refused++
		}
	}
	if refused != 8 {
		t.Errorf("%d refused rows, want 8 (6 State Store, 2 LocalFiles)", refused)
	}
}

func TestLookupTypeRename(t *testing.T) {
	r, ok := LookupTypeRename("io.kestra.core.tasks.debugs.Echo")
	if !ok || r.New != "io.kestra.plugin.core.log.Log" || r.Props[0] != (PropRename{"format", "message"}) {
		t.Errorf("got %+v %v", r, ok)
	}
	for _, miss := range []string{"io.kestra.core.tasks.debugs", "io.kestra.core.tasks.debugs.Echo2", "io.kestra.plugin.core.log.Log", ""} {
		if _, ok := LookupTypeRename(miss); ok {
			t.Errorf("%q should not match (exact names only)", miss)
		}
	}
}
