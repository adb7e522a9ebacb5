package kestrafake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// A construct and what the servers say of it.
type construct struct {
	name string
	body string // the flow after its id and namespace
	// refusedBy is "2.0" (removed in 2.0), "1.3" (2.0 only) or "both"
	// (keys no version had); "" when every server accepts it.
	refusedBy string
	want      string // in the constraints and in the 422 message of the servers that refuse it
}

const logTask = "tasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"

var constructs = []construct{
	// Removed in 2.0: the old type names, and what the 2.0 types lost.
	{"old task type", "tasks:\n  - id: seq\n    type: io.kestra.core.tasks.flows.Sequential\n    tasks:\n      - id: log\n        type: io.kestra.plugin.core.log.Log\n        message: hi\n",
		"2.0", "tasks[0]: Invalid type: io.kestra.core.tasks.flows.Sequential"},
	{"old type inside a flowable task", "tasks:\n  - id: seq\n    type: io.kestra.plugin.core.flow.Sequential\n    tasks:\n      - id: ret\n        type: io.kestra.core.tasks.debugs.Return\n        format: x\n",
		"2.0", "tasks[0].tasks[0]: Invalid type: io.kestra.core.tasks.debugs.Return"},
	{"old type in errors", logTask + "errors:\n  - id: fail\n    type: io.kestra.core.tasks.executions.Fail\n",
		"2.0", "errors[0]: Invalid type: io.kestra.core.tasks.executions.Fail"},
	{"old trigger type", logTask + "triggers:\n  - id: hourly\n    type: io.kestra.core.models.triggers.types.Schedule\n    cron: \"0 * * * *\"\n",
		"2.0", "triggers[0]: Invalid type: io.kestra.core.models.triggers.types.Schedule"},
	{"moved plugin type", "tasks:\n  - id: gen\n    type: io.kestra.plugin.datagen.Generate\n",
		"2.0", "tasks[0]: Invalid type: io.kestra.plugin.datagen.Generate"},
	{"core script task", "tasks:\n  - id: bash\n    type: io.kestra.core.tasks.scripts.Bash\n    commands:\n      - echo hi\n",
		"2.0", "tasks[0]: Invalid type: io.kestra.core.tasks.scripts.Bash"},
	{"removed ForEach loop", "tasks:\n  - id: each\n    type: io.kestra.plugin.core.flow.EachSequential\n    value: [1, 2]\n    tasks:\n      - id: log\n        type: io.kestra.plugin.core.log.Log\n        message: hi\n",
		"2.0", "tasks[0]: Invalid type: io.kestra.plugin.core.flow.EachSequential"},
	{"EE git Clone", "tasks:\n  - id: clone\n    type: io.kestra.plugin.ee.git.Clone\n    url: https://example.com/r.git\n",
		"2.0", "tasks[0]: Invalid type: io.kestra.plugin.ee.git.Clone"},
	{"input name without id", "inputs:\n  - name: who\n    type: STRING\n    defaults: world\n" + logTask,
		"2.0", `inputs[0]: Unrecognized field "name" (class io.kestra.core.models.flows.input.StringInput)`},
	{"input type BOOLEAN", "inputs:\n  - id: flag\n    type: BOOLEAN\n    defaults: true\n" + logTask,
		"2.0", "inputs[0]: Invalid type: BOOLEAN"},
	{"input type ENUM", "inputs:\n  - id: color\n    type: ENUM\n    values: [red, blue]\n    defaults: red\n" + logTask,
		"2.0", "inputs[0]: Invalid type: ENUM"},
	{"root output type ENUM", logTask + "outputs:\n  - id: color\n    type: ENUM\n    value: red\n",
		"2.0", "outputs[0]: Invalid type: ENUM"},
	{"root output type BOOLEAN", logTask + "outputs:\n  - id: ok\n    type: BOOLEAN\n    value: true\n",
		"2.0", "outputs[0]: Invalid type: BOOLEAN"},
	{"onResume BOOLEAN", "tasks:\n  - id: wait\n    type: io.kestra.plugin.core.flow.Pause\n    onResume:\n      - id: approved\n        type: BOOLEAN\n",
		"2.0", "tasks[0].onResume[0]: Invalid type: BOOLEAN"},
	{"FORM child name", "inputs:\n  - id: form\n    type: FORM\n    inputs:\n      - name: who\n        type: STRING\n        defaults: x\n" + logTask,
		"2.0", `inputs[0].inputs[0]: Unrecognized field "name"`},
	{"MULTISELECT options", "inputs:\n  - id: colors\n    type: MULTISELECT\n    options: [red, blue]\n    defaults: [red]\n" + logTask,
		"2.0", `inputs[0]: Unrecognized field "options" (class io.kestra.core.models.flows.input.MultiselectInput)`},
	{"defaults with required false", "inputs:\n  - id: who\n    type: STRING\n    defaults: world\n    required: false\n" + logTask,
		"2.0", "inputs[0]: Inputs with a default value must be required, since the default is always applied."},
	{"defaults with prefill", "inputs:\n  - id: who\n    type: STRING\n    defaults: world\n    prefill: you\n" + logTask,
		"2.0", "inputs[0]: Inputs with a default value cannot also have a prefill."},
	{"trigger conditions", logTask + "triggers:\n  - id: monday\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: \"0 9 * * *\"\n    conditions:\n      - type: io.kestra.plugin.core.condition.DayWeek\n        dayOfWeek: MONDAY\n",
		"2.0", `triggers[0]: Unrecognized field "conditions" (class io.kestra.plugin.core.trigger.Schedule)`},
	{"trigger scheduleConditions", logTask + "triggers:\n  - id: monday\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: \"0 9 * * *\"\n    scheduleConditions:\n      - type: io.kestra.plugin.core.condition.DayWeek\n        dayOfWeek: MONDAY\n",
		"2.0", `triggers[0]: Unrecognized field "scheduleConditions"`},
	{"trigger preconditions", logTask + "triggers:\n  - id: after\n    type: io.kestra.plugin.core.trigger.Flow\n    preconditions:\n      id: up\n      flows:\n        - namespace: company\n          flowId: upstream\n",
		"2.0", `triggers[0]: Unrecognized field "preconditions" (class io.kestra.plugin.core.trigger.Flow)`},
	{"old condition type in a listener", logTask + "listeners:\n  - conditions:\n      - type: io.kestra.core.models.conditions.types.ExecutionStatusCondition\n        in: [FAILED]\n    tasks:\n      - id: log2\n        type: io.kestra.plugin.core.log.Log\n        message: failed\n",
		"2.0", "listeners[0].conditions[0]: Invalid type: io.kestra.core.models.conditions.types.ExecutionStatusCondition"},
	{"trigger timeWindow", logTask + "triggers:\n  - id: after\n    type: io.kestra.plugin.core.trigger.Flow\n    timeWindow:\n      type: DURATION_WINDOW\n",
		"2.0", `triggers[0]: Unrecognized field "timeWindow"`},
	{"trigger minLogLevel", logTask + "triggers:\n  - id: hourly\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: \"0 * * * *\"\n    minLogLevel: WARN\n",
		"2.0", `triggers[0]: Unrecognized field "minLogLevel"`},
	{"flow-level pluginDefaults", logTask + "pluginDefaults:\n  - type: io.kestra.plugin.core.log.Log\n    values:\n      level: WARN\n",
		"2.0", `Unrecognized field "pluginDefaults"`},
	{"flow-level taskDefaults", logTask + "taskDefaults:\n  - type: io.kestra.plugin.core.log.Log\n    values:\n      level: WARN\n",
		"2.0", `Unrecognized field "taskDefaults"`},
	{"task retry maxAttempt", "tasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n    retry:\n      type: constant\n      interval: PT1M\n      maxAttempt: 3\n",
		"2.0", `tasks[0].retry: Unrecognized field "maxAttempt" (class io.kestra.core.models.tasks.retrys.Constant)`},
	{"flow retry maxAttempt", logTask + "retry:\n  type: exponential\n  interval: PT1M\n  maxInterval: PT1H\n  maxAttempt: 3\n",
		"2.0", `retry: Unrecognized field "maxAttempt" (class io.kestra.core.models.tasks.retrys.Exponential)`},
	{"Pause delay", "tasks:\n  - id: wait\n    type: io.kestra.plugin.core.flow.Pause\n    delay: PT1M\n",
		"2.0", `tasks[0]: Unrecognized field "delay" (class io.kestra.plugin.core.flow.Pause)`},
	{"Pause tasks", "tasks:\n  - id: wait\n    type: io.kestra.plugin.core.flow.Pause\n    tasks:\n      - id: log\n        type: io.kestra.plugin.core.log.Log\n        message: hi\n",
		"2.0", `tasks[0]: Unrecognized field "tasks" (class io.kestra.plugin.core.flow.Pause)`},
	{"Subflow outputs", "tasks:\n  - id: child\n    type: io.kestra.plugin.core.flow.Subflow\n    namespace: company\n    flowId: child\n    outputs:\n      x: \"{{ outputs.a.value }}\"\n",
		"2.0", `tasks[0]: Unrecognized field "outputs" (class io.kestra.plugin.core.flow.Subflow)`},
	{"Schedule backfill", logTask + "triggers:\n  - id: hourly\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: \"0 * * * *\"\n    backfill:\n      start: 2024-01-01T00:00:00Z\n",
		"2.0", `triggers[0]: Unrecognized field "backfill" (class io.kestra.plugin.core.trigger.Schedule)`},
	{"Schedule backfills", logTask + "triggers:\n  - id: hourly\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: \"0 * * * *\"\n    backfills: []\n",
		"2.0", `triggers[0]: Unrecognized field "backfills"`},
	{"docker on a script task", "tasks:\n  - id: py\n    type: io.kestra.plugin.scripts.python.Script\n    docker:\n      image: python\n    script: print(1)\n",
		"2.0", `tasks[0]: Unrecognized field "docker"`},
	{"HTTP basicAuthUser", "tasks:\n  - id: get\n    type: io.kestra.plugin.core.http.Request\n    uri: https://example.com\n    options:\n      basicAuthUser: me\n      basicAuthPassword: \"{{ secret('PW') }}\"\n",
		"2.0", `tasks[0].options: Unrecognized field "basicAuthUser" (class io.kestra.core.http.client.configurations.HttpConfiguration)`},
	{"HTTP connectionPoolIdleTimeout", "tasks:\n  - id: get\n    type: io.kestra.plugin.core.http.Request\n    uri: https://example.com\n    options:\n      connectionPoolIdleTimeout: PT10S\n",
		"2.0", `tasks[0].options: Unrecognized field "connectionPoolIdleTimeout"`},
	{"fetchType on Generate", "tasks:\n  - id: gen\n    type: io.kestra.plugin.datagen.core.Generate\n    fetchType: STORE\n",
		"2.0", `tasks[0]: Unrecognized field "fetchType" (class io.kestra.plugin.datagen.core.Generate)`},
	{"task workerGroup", "tasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n    workerGroup:\n      key: gpu\n",
		"2.0", `tasks[0]: Unrecognized field "workerGroup"`},
	{"trigger workerGroup", logTask + "triggers:\n  - id: hourly\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: \"0 * * * *\"\n    workerGroup:\n      key: gpu\n",
		"2.0", `triggers[0]: Unrecognized field "workerGroup"`},
	{"flow workerGroup", logTask + "workerGroup:\n  key: gpu\n",
		"2.0", `Unrecognized field "workerGroup"`},
	{"Exit CANCELED", "tasks:\n  - id: stop\n    type: io.kestra.plugin.core.execution.Exit\n    state: CANCELED\n",
		"2.0", "tasks[0].state: Cannot deserialize value of type `io.kestra.plugin.core.execution.Exit$ExitState` from String \"CANCELED\""},
	{"SDK task without auth", "tasks:\n  - id: sync\n    type: io.kestra.plugin.git.SyncFlow\n    url: https://example.com/r.git\n",
		"2.0", "tasks[sync].authConfigured: auth must be set"},
	{"Schedule missing an input", "inputs:\n  - id: day\n    type: STRING\n  - id: hour\n    type: INT\n  - id: who\n    type: STRING\n    defaults: me\n" + logTask +
		"triggers:\n  - id: daily\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: \"0 9 * * *\"\n    inputs:\n      hour: 9\n",
		"2.0", "Invalid Flow: Missing inputs for Schedule Trigger 'daily', missing inputs: 'day'"},

	// Keys that no version had (a type-only rename): refused by 1.x and 2.x.
	{"Log format", "tasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    format: hi\n",
		"both", `tasks[0]: Unrecognized field "format" (class io.kestra.plugin.core.log.Log)`},
	{"Subflow templateId", "tasks:\n  - id: child\n    type: io.kestra.plugin.core.flow.Subflow\n    namespace: company\n    templateId: child\n",
		"both", `tasks[0]: Unrecognized field "templateId"`},
	{"trigger states CANCELED", logTask + "triggers:\n  - id: after\n    type: io.kestra.plugin.core.trigger.Flow\n    states: [FAILED, CANCELED]\n",
		"both", "triggers[0].states: Cannot deserialize value of type `io.kestra.core.models.flows.State$Type` from String \"CANCELED\""},

	// Keys that only 2.0 has: refused by 1.x.
	{"checks when", logTask + "checks:\n  - when: \"{{ inputs.ok }}\"\n    message: not ok\n",
		"1.3", `checks[0]: Unrecognized field "when" (class io.kestra.core.models.flows.check.Check)`},
	{"trigger when", logTask + "triggers:\n  - id: monday\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: \"0 9 * * *\"\n    when: \"{{ trigger.date | date('E') == 'Mon' }}\"\n",
		"1.3", `triggers[0]: Unrecognized field "when" (class io.kestra.plugin.core.trigger.Schedule)`},
	{"Flow trigger dependsOn", logTask + "triggers:\n  - id: after\n    type: io.kestra.plugin.core.trigger.Flow\n    dependsOn:\n      - namespace: company\n        flowId: upstream\n        states: [SUCCESS]\n",
		"1.3", `triggers[0]: Unrecognized field "dependsOn" (class io.kestra.plugin.core.trigger.Flow)`},
	{"Flow trigger window", logTask + "triggers:\n  - id: after\n    type: io.kestra.plugin.core.trigger.Flow\n    window: P1D\n",
		"1.3", `triggers[0]: Unrecognized field "window"`},
	{"Flow trigger mode, minSatisfied", logTask + "triggers:\n  - id: after\n    type: io.kestra.plugin.core.trigger.Flow\n    mode: AT_LEAST\n    minSatisfied: 2\n",
		"1.3", `triggers[0]: Unrecognized field "mode" (class io.kestra.plugin.core.trigger.Flow), not marked as ignorable, ` +
			`triggers[0]: Unrecognized field "minSatisfied" (class io.kestra.plugin.core.trigger.Flow)`},
	{"trigger workerSelector", logTask + "triggers:\n  - id: hourly\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: \"0 * * * *\"\n    workerSelector:\n      tags: [gpu]\n",
		"1.3", `triggers[0]: Unrecognized field "workerSelector"`},
	{"PurgeKV behavior", "tasks:\n  - id: purge\n    type: io.kestra.plugin.core.kv.PurgeKV\n    behavior:\n      type: key\n      expiredOnly: true\n",
		"1.3", `tasks[0]: Unrecognized field "behavior" (class io.kestra.plugin.core.kv.PurgeKV)`},
	{"git Clone strictHostKeyChecking", "tasks:\n  - id: clone\n    type: io.kestra.plugin.git.Clone\n    url: git@example.com:r.git\n    strictHostKeyChecking: true\n",
		"1.3", `tasks[0]: Unrecognized field "strictHostKeyChecking" (class io.kestra.plugin.git.Clone)`},
	{"task workerSelector", "tasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n    workerSelector:\n      key: gpu\n",
		"1.3", `tasks[0]: Unrecognized field "workerSelector"`},
	{"root policyRefs", logTask + "policyRefs:\n  - retention\n",
		"1.3", `Unrecognized field "policyRefs"`},
	{"root workerSelector", logTask + "workerSelector:\n  tags: [gpu]\n",
		"1.3", `Unrecognized field "workerSelector"`},

	// Legacy forms that 2.0 still accepts.
	{"checks condition", logTask + "checks:\n  - condition: \"{{ inputs.ok }}\"\n    message: not ok\n", "", ""},
	{"Exit CANCELLED", "tasks:\n  - id: stop\n    type: io.kestra.plugin.core.execution.Exit\n    state: CANCELLED\n", "", ""},
	{"PurgeKV expiredOnly", "tasks:\n  - id: purge\n    type: io.kestra.plugin.core.kv.PurgeKV\n    expiredOnly: true\n", "", ""},
	{"script runner", "tasks:\n  - id: sh\n    type: io.kestra.plugin.scripts.shell.Commands\n    runner: PROCESS\n    commands:\n      - echo hi\n", "", ""},
	// What 2.0 refuses only in some places.
	{"task condition and Subflow inputs", "tasks:\n  - id: if\n    type: io.kestra.plugin.core.flow.If\n    condition: \"{{ true }}\"\n    then:\n      - id: child\n        type: io.kestra.plugin.core.flow.Subflow\n        namespace: company\n        flowId: child\n        inputs:\n          name: x\n          type: BOOLEAN\n", "", ""},
	{"Webhook supplying its inputs", "inputs:\n  - id: day\n    type: STRING\n  - id: form\n    type: FORM\n    inputs:\n      - id: who\n        type: STRING\n" + logTask +
		"triggers:\n  - id: hook\n    type: io.kestra.plugin.core.trigger.Webhook\n    key: abc\n    inputs:\n      day: monday\n      form.who: me\n", "", ""},
}

// refused reports whether a server of version v refuses c.
func (c construct) refused(v string) bool {
	switch c.refusedBy {
	case "both":
		return true
	case "2.0":
		return strings.HasPrefix(v, "2.")
	case "1.3":
		return strings.HasPrefix(v, "1.")
	}
	return false
}

// TestVersionRefusals sends each construct to 1.3 and 2.0 servers through
// the validate and update endpoints: the server that refuses it says so in
// the constraints and answers 422 without storing it, the other validates
// and stores it.
func TestVersionRefusals(t *testing.T) {
	for _, version := range []string{"1.3.0", "2.0.0"} {
		s := New(Options{Version: version})
		defer s.Close()
		for i, c := range constructs {
			t.Run(version+"/"+c.name, func(t *testing.T) {
				id := fmt.Sprintf("flow-%d", i)
				src := "id: " + id + "\nnamespace: company.team\n" + c.body
				if _, err := s.AddFlow("id: " + id + "\nnamespace: company.team\n" + logTask); err != nil {
					t.Fatal(err)
				}
				constraints := validate(t, s, src)
				status, msg := put(t, s, "company.team", id, src)
				f, _ := s.Flow("company.team", id)
				if c.refused(version) {
					if !strings.Contains(constraints, c.want) {
						t.Errorf("validate: constraints %q, want %q", constraints, c.want)
					}
					if status != http.StatusUnprocessableEntity || !strings.Contains(msg, c.want) {
						t.Errorf("update = %d %q, want 422 %q", status, msg, c.want)
					}
					if f.Revision != 1 {
						t.Errorf("a refused update stored revision %d", f.Revision)
					}
					return
				}
				if constraints != "" {
					t.Errorf("validate: constraints %q, want none", constraints)
				}
				if status != http.StatusOK || f.Revision != 2 || f.Source != src {
					t.Errorf("update = %d %q, stored revision %d", status, msg, f.Revision)
				}
			})
		}
	}
}

func TestCreateRefusesWhatTheVersionRefuses(t *testing.T) {
	legacy := "id: legacy\nnamespace: company\ninputs:\n  - name: who\n    type: STRING\n" + logTask
	modern := "id: modern\nnamespace: company\n" + logTask + "checks:\n  - when: \"{{ true }}\"\n    message: m\n"
	for _, tc := range []struct {
		version, src, want string
	}{
		{"2.0.0", legacy, `Unrecognized field "name"`},
		{"1.3.0", modern, `Unrecognized field "when"`},
	} {
		s := New(Options{Version: tc.version})
		defer s.Close()
		status, body := send(t, s, http.MethodPost, "/api/v1/main/flows", tc.src)
		if msg := message(body); status != http.StatusUnprocessableEntity || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: create = %d %q, want 422 %q", tc.version, status, msg, tc.want)
		}
		if n := len(s.Flows()); n != 0 {
			t.Errorf("%s: %d flows stored", tc.version, n)
		}
	}
}

func TestReservedFlowIDs(t *testing.T) {
	src := "id: pause\nnamespace: company\n" + logTask
	for version, want := range map[string]string{"1.3.0": "", "2.0.0": `id: "pause" is a reserved flow id`} {
		s := New(Options{Version: version})
		defer s.Close()
		if got := validate(t, s, src); got != want {
			t.Errorf("%s: constraints %q, want %q", version, got, want)
		}
		if _, err := s.AddFlow(src); (err != nil) != (want != "") {
			t.Errorf("%s: AddFlow: %v", version, err)
		}
		if f, err := s.Seed("pause.yml", src); err != nil || f.Invalid != want {
			t.Errorf("%s: Seed = %+v, %v", version, f, err)
		}
	}
	s := NewHandler(Options{Version: "2.0.0"})
	if _, err := s.AddFlow("id: pause-flow\nnamespace: company\n" + logTask); err != nil {
		t.Errorf("a flow id that only starts with a reserved word: %v", err)
	}
}

func TestExitCancelledFrom13(t *testing.T) {
	src := "id: stop\nnamespace: company\ntasks:\n  - id: stop\n    type: io.kestra.plugin.core.execution.Exit\n    state: CANCELLED\n"
	for version, refused := range map[string]bool{"0.22.0": false, "1.0.0": true, "1.2.9": true, "1.3.0": false, "2.0.0": false} {
		got := NewHandler(Options{Version: version}).check(src).constraints
		if want := "tasks[0].state: Cannot deserialize value of type `io.kestra.plugin.core.execution.Exit$ExitState` from String \"CANCELLED\""; refused != strings.Contains(got, want) || !refused && got != "" {
			t.Errorf("%s: constraints %q, want refused %v", version, got, refused)
		}
	}
}

func TestPurgeKVBehaviorFrom1328(t *testing.T) {
	src := "id: purge\nnamespace: company\ntasks:\n  - id: purge\n    type: io.kestra.plugin.core.kv.PurgeKV\n    behavior:\n      type: key\n      expiredOnly: true\n"
	for version, refused := range map[string]bool{"1.2.9": true, "1.3.27": true, "1.3.28": false, "1.4.0": false, "2.0.0": false} {
		s := NewHandler(Options{Version: version})
		_, err := s.AddFlow(src)
		if got := err != nil; got != refused {
			t.Errorf("%s: AddFlow error %v, want refused %v", version, err, refused)
		}
	}
}

// TestOlderErasKeepTheirBehaviour: a 0.x server refuses none of the
// constructs above, but the 2.0 root keys it always refused.
func TestOlderErasKeepTheirBehaviour(t *testing.T) {
	s := New(Options{Version: "0.19.4"})
	defer s.Close()
	for _, c := range constructs {
		src := "id: old\nnamespace: company\n" + c.body
		got := validate(t, s, src)
		if c.name == "root policyRefs" || c.name == "root workerSelector" {
			if !strings.Contains(got, c.want) {
				t.Errorf("%s: constraints %q, want %q", c.name, got, c.want)
			}
			continue
		}
		if got != "" {
			t.Errorf("%s: constraints %q, want none", c.name, got)
		}
	}
}

// TestSeedStoresWhatTheVersionRefuses: seeding keeps a flow the server's
// version refuses, byte for byte, and says why.
func TestSeedStoresWhatTheVersionRefuses(t *testing.T) {
	for _, version := range []string{"1.3.0", "2.0.0"} {
		s := NewHandler(Options{Version: version})
		for i, c := range constructs {
			src := fmt.Sprintf("id: seed-%d\nnamespace: company\n%s", i, c.body)
			f, err := s.Seed(c.name, src)
			if err != nil {
				t.Fatalf("%s %s: %v", version, c.name, err)
			}
			if refused := c.refused(version); refused != (f.Invalid != "") || refused && !strings.Contains(f.Invalid, c.want) {
				t.Errorf("%s %s: seed says invalid %q, want %q (refused: %v)", version, c.name, f.Invalid, c.want, c.refused(version))
			}
			if got, ok := s.Flow("company", f.ID); !ok || got.Source != src || got.Revision != 1 {
				t.Errorf("%s %s: stored %+v", version, c.name, got)
			}
		}
	}
}

func validate(t *testing.T, s *Server, src string) string {
	t.Helper()
	status, body := send(t, s, http.MethodPost, "/api/v1/main/flows/validate", src)
	var v []map[string]any
	if err := json.Unmarshal([]byte(body), &v); status != http.StatusOK || err != nil || len(v) != 1 {
		t.Fatalf("validate = %d %s (%v)", status, body, err)
	}
	c, _ := v[0]["constraints"].(string)
	return c
}

// put updates a flow and returns the status and the error message, if any.
func put(t *testing.T, s *Server, ns, id, src string) (int, string) {
	t.Helper()
	status, body := send(t, s, http.MethodPut, "/api/v1/main/flows/"+ns+"/"+id, src)
	return status, message(body)
}

func send(t *testing.T, s *Server, method, path, src string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL()+path, strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-yaml")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// message is the message of an error answer.
func message(body string) string {
	var e struct{ Message string }
	_ = json.Unmarshal([]byte(body), &e)
	return e.Message
}

// TestEveryRefusalIsExercised: each row of the table, alone, refuses at
// least one of the constructs above on a server of its era, so that no row
// goes untested.
func TestEveryRefusalIsExercised(t *testing.T) {
	all, types := refusals, removedTypes
	defer func() { refusals, removedTypes = all, types }()
	removedTypes = nil
	versions := map[string]string{era2x.name: "2.0.0", era1x.name: "1.3.0", era1x2x.name: "1.3.0",
		eraBefore.name: "1.3.0", era1xBefore1328.name: "1.3.0", era1xBefore13.name: "1.2.0"}
	sources := []string{"id: pause\nnamespace: company\n" + logTask}
	for _, c := range constructs {
		sources = append(sources, "id: f\nnamespace: company\n"+c.body)
	}
	for i, r := range all {
		refusals = []refusal{r}
		w := walker{v: parseVersion(versions[r.era.name])}
		for _, src := range sources {
			root, err := parseRoot(src)
			if err != nil {
				t.Fatal(err)
			}
			w.mapping(root, "", siteFlow)
		}
		if len(w.problems) == 0 {
			t.Errorf("row %d (%s, key %q, types %v) refuses none of the constructs", i, r.era.name, r.key, r.types)
		}
	}
}

// TestRemovedTypes: each removed type (a prefix with a name added) is
// refused by 2.0 as a task and as a trigger, and accepted by 1.3.
func TestRemovedTypes(t *testing.T) {
	v13, v20 := NewHandler(Options{Version: "1.3.0"}), NewHandler(Options{Version: "2.0.0"})
	for _, typ := range removedTypes {
		if strings.HasSuffix(typ, ".") {
			typ += "Any"
		}
		for _, src := range []string{
			"id: f\nnamespace: company\ntasks:\n  - id: t\n    type: " + typ + "\n",
			"id: f\nnamespace: company\n" + logTask + "triggers:\n  - id: t\n    type: " + typ + "\n",
		} {
			want := "[0]: Invalid type: " + typ
			if got := v20.check(src).constraints; !strings.Contains(got, want) {
				t.Errorf("2.0: %s: constraints %q, want %q", typ, got, want)
			}
			if got := v13.check(src).constraints; got != "" {
				t.Errorf("1.3: %s: constraints %q, want none", typ, got)
			}
		}
	}
	if got := v20.check("id: f\nnamespace: company\n" + logTask).constraints; got != "" {
		t.Errorf("2.0 refuses a current flow: %q", got)
	}
}
