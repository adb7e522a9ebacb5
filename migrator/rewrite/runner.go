package rewrite

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Default target types and scope of the runner rule (docs/migration-rules.md).
const (
	DefaultProcessType = "io.kestra.plugin.core.runner.Process"
	DefaultDockerType  = "io.kestra.plugin.scripts.runner.docker.Docker"
)

// DefaultScope lists the task types (a trailing '.' makes a prefix) whose
// runner/docker properties the rule migrates.
var DefaultScope = []string{
	"io.kestra.plugin.scripts.",
	"io.kestra.plugin.dbt.cli.DbtCLI",
	"io.kestra.plugin.dbt.cli.Setup",
	"io.kestra.plugin.spark.SparkCLI",
	"io.kestra.plugin.databricks.cli.DatabricksCLI",
	"io.kestra.plugin.databricks.cli.DatabricksSQLCLI",
	"io.kestra.plugin.dlt.",
	"io.kestra.plugin.docker.cli.Compose",
	"io.kestra.plugin.modal.cli.ModalCLI",
	"io.kestra.plugin.terraform.cli.TerraformCLI",
	"io.kestra.plugin.ansible.cli.AnsibleCLI",
	"io.kestra.plugin.sqlmesh.cli.SQLMeshCLI",
	"io.kestra.plugin.gcp.cli.GCloudCLI",
	"io.kestra.plugin.aws.cli.AwsCLI",
	"io.kestra.plugin.azure.cli.AzCLI",
	"io.kestra.plugin.cloudquery.",
}

// knownProcessTypes and knownDockerTypes recognise an explicit taskRunner,
// including the 0.16 names (renamed in 0.17 with no alias).
var (
	knownProcessTypes = []string{DefaultProcessType, "io.kestra.core.models.tasks.runners.types.ProcessTaskRunner"}
	knownDockerTypes  = []string{DefaultDockerType, "io.kestra.plugin.scripts.runner.docker.DockerTaskRunner"}
)

// dockerKeys maps the legacy DockerOptions keys to the Docker task runner's;
// "" marks a key with no counterpart.
var dockerKeys = map[string]string{
	"image": "containerImage", "host": "host", "config": "config", "credentials": "credentials", "user": "user",
	"entryPoint": "entryPoint", "extraHosts": "extraHosts", "networkMode": "networkMode",
	"volumes": "volumes", "pullPolicy": "pullPolicy", "deviceRequests": "deviceRequests",
	"cpu": "cpu", "memory": "memory", "shmSize": "shmSize", "privileged": "privileged",
	"dockerHost": "host", "dockerConfig": "config", // old setter aliases
	"configPath": "", "pullImage": "",
}

// RunnerOptions configure the runner rule; zero values take the defaults.
type RunnerOptions struct {
	Scope       []string
	ProcessType string
	DockerType  string
}

// RunnerRule rewrites `runner` / `docker` into `taskRunner` / `containerImage`.
type RunnerRule struct {
	scope       []string
	processType string
	dockerType  string
}

// NewRunnerRule builds the rule, filling defaults.
func NewRunnerRule(o RunnerOptions) *RunnerRule {
	r := &RunnerRule{scope: o.Scope, processType: o.ProcessType, dockerType: o.DockerType}
	if len(r.scope) == 0 {
		r.scope = DefaultScope
	}
	if r.processType == "" {
		r.processType = DefaultProcessType
	}
	if r.dockerType == "" {
		r.dockerType = DefaultDockerType
	}
	return r
}

// RunnerRuleName is the runner rule's name in reports and --rules.
const RunnerRuleName = "runner-to-task-runner"

// Info implements Rule.
func (r *RunnerRule) Info() RuleInfo {
	return RuleInfo{Name: RunnerRuleName, Keys: runnerKeys,
		URL: "https://kestra.io/docs/task-runners"}
}

// runnerKeys are the legacy keys the rule migrates (runner, docker) or
// reports as unsupported where no rule migrates them (dockerOptions).
var runnerKeys = []string{"runner", "docker", "dockerOptions"}

// Mentions implements Rule.
func (r *RunnerRule) Mentions(src []byte) bool { return r.mentionsIn(newScan(src)) }

func (r *RunnerRule) mentionsIn(s *srcScan) bool { return s.key(runnerKeySet) }

var runnerKeySet = keysOf(runnerKeys...)

// Plan implements Rule.
func (r *RunnerRule) Plan(d *Document) []Outcome {
	var out []Outcome
	tasks := map[*yaml.Node]string{}
	walkTasks(d.Root, "", func(t *yaml.Node, path string) {
		tasks[t] = path
		if o, ok := r.planTask(d, t, path); ok {
			out = append(out, o)
		}
	})
	return append(out, r.planDefaults(d, tasks)...)
}

// inScope reports whether a task type is migrated by this rule.
func (r *RunnerRule) inScope(typ string) bool {
	for _, s := range r.scope {
		if typ == s || (strings.HasSuffix(s, ".") && strings.HasPrefix(typ, s)) {
			return true
		}
	}
	return false
}

// outOfScopeReason explains why a task type with legacy keys is left alone.
func outOfScopeReason(typ string) string {
	switch {
	case strings.HasPrefix(typ, "io.kestra.core.tasks.scripts."):
		return fmt.Sprintf("%s is an old core script task: migrating it is a change of task type (its default runner is PROCESS)", typ)
	case strings.HasPrefix(typ, "io.kestra.plugin.dbt.cli."), strings.HasPrefix(typ, "io.kestra.plugin.soda."),
		strings.HasPrefix(typ, "io.kestra.plugin.singer."), strings.HasPrefix(typ, "io.kestra.plugin.spark."):
		return fmt.Sprintf("%s has its own legacy runner/dockerOptions: migrate it by hand", typ)
	}
	return fmt.Sprintf("type %s is not in the migration scope: its runner/docker keys are not ours to touch", typ)
}

func typeIn(typ string, list []string) bool {
	for _, t := range list {
		if typ == t {
			return true
		}
	}
	return false
}
