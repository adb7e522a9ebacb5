package deploy_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
	"github.com/kestra-migrator/kestra-migrator/configs"
	"github.com/kestra-migrator/kestra-migrator/migrator/daemon"
	"github.com/kestra-migrator/kestra-migrator/migrator/rewrite"
)

// nonRootUID is the user of the image, the pods and the volume.
const nonRootUID = 65532

// docs decodes every YAML document of a file.
func docs(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var out []map[string]any
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if doc != nil {
			out = append(out, doc)
		}
	}
}

// get walks a decoded document: keys for maps, ints for lists.
func get(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %v: %q is not in a map (%T)", path, k, v)
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				t.Fatalf("at %v: no item %d", path, k)
			}
			v = l[k]
		}
	}
	return v
}

func TestEveryYAMLParses(t *testing.T) {
	n := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || (!strings.HasSuffix(path, ".yaml") && !strings.HasSuffix(path, ".yml")) {
			return err
		}
		for _, doc := range docs(t, path) {
			n++
			if strings.HasPrefix(path, "kubernetes"+string(filepath.Separator)) {
				if doc["apiVersion"] == nil || doc["kind"] == nil {
					t.Errorf("%s: a document without apiVersion or kind", path)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 7 {
		t.Errorf("only %d YAML documents found", n)
	}
}

// manifests indexes the Kubernetes objects by kind/name.
func manifests(t *testing.T) map[string]map[string]any {
	t.Helper()
	files, err := filepath.Glob("kubernetes/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for _, f := range files {
		for _, doc := range docs(t, f) {
			if doc["kind"] == "Kustomization" {
				for _, r := range get(t, doc, "resources").([]any) {
					if _, err := os.Stat(filepath.Join("kubernetes", r.(string))); err != nil {
						t.Errorf("kustomization: %v", err)
					}
				}
				continue
			}
			out[doc["kind"].(string)+"/"+get(t, doc, "metadata", "name").(string)] = doc
		}
	}
	return out
}

func TestKubernetesDaemon(t *testing.T) {
	m := manifests(t)
	dep := m["Deployment/kestra-migrator"]
	if dep == nil {
		t.Fatalf("no Deployment kestra-migrator in %v", keys(m))
	}
	if r := get(t, dep, "spec", "replicas"); r != 1 {
		t.Errorf("replicas %v: one daemon per state file", r)
	}
	if s := get(t, dep, "spec", "strategy", "type"); s != "Recreate" {
		t.Errorf("strategy %v: a rolling update would start a second daemon on the state file", s)
	}
	pod := get(t, dep, "spec", "template", "spec")
	c := get(t, pod, "containers", 0)
	if args := get(t, c, "args").([]any); args[0] != "daemon" || !slices.Contains(args, any("--all")) {
		t.Errorf("daemon args %v", args)
	}
	if p := get(t, c, "livenessProbe", "httpGet", "path"); p != "/healthz" {
		t.Errorf("liveness probe %v", p)
	}
	if p := get(t, c, "readinessProbe", "httpGet", "path"); p != "/readyz" {
		t.Errorf("readiness probe %v", p)
	}
	if port := get(t, c, "ports", 0, "containerPort"); port != 9464 {
		t.Errorf("container port %v", port)
	}
	if l := env(t, c)["KESTRA_MIGRATOR_LISTEN"]; !strings.HasSuffix(l, ":9464") || strings.HasPrefix(l, "127.") {
		t.Errorf("KESTRA_MIGRATOR_LISTEN %q: a pod must listen beyond loopback on 9464", l)
	}
	svc := m["Service/kestra-migrator"]
	if svc == nil || get(t, svc, "spec", "ports", 0, "targetPort") != "http" {
		t.Errorf("Service: %v", svc)
	}
	checkPod(t, m, "Deployment", pod)
}

func TestKubernetesCronJob(t *testing.T) {
	m := manifests(t)
	cj := m["CronJob/kestra-migrator"]
	if cj == nil {
		t.Fatalf("no CronJob kestra-migrator in %v", keys(m))
	}
	if p := get(t, cj, "spec", "concurrencyPolicy"); p != "Forbid" {
		t.Errorf("concurrencyPolicy %v: two jobs would compete for the state file", p)
	}
	pod := get(t, cj, "spec", "jobTemplate", "spec", "template", "spec")
	c := get(t, pod, "containers", 0)
	if args := get(t, c, "args").([]any); args[0] != "apply" || !slices.Contains(args, any("--all")) {
		t.Errorf("cronjob args %v", args)
	}
	checkPod(t, m, "CronJob", pod)
}

// checkPod: non-root, the state on the PVC at KESTRA_MIGRATOR_DB, the
// credentials from the Secret, the config from the ConfigMap.
func checkPod(t *testing.T, m map[string]map[string]any, what string, pod any) {
	t.Helper()
	if get(t, pod, "securityContext", "runAsNonRoot") != true || get(t, pod, "securityContext", "runAsUser") != nonRootUID {
		t.Errorf("%s: not run as non-root user %d", what, nonRootUID)
	}
	c := get(t, pod, "containers", 0)
	e := env(t, c)
	if db := e["KESTRA_MIGRATOR_DB"]; filepath.Dir(db) != "/var/lib/kestra-migrator" {
		t.Errorf("%s: KESTRA_MIGRATOR_DB %q", what, db)
	}
	if secret := get(t, c, "envFrom", 0, "secretRef", "name"); m["Secret/"+secret.(string)] == nil {
		t.Errorf("%s: secret %v is not defined", what, secret)
	}
	mounts := map[string]string{}
	for _, vm := range get(t, c, "volumeMounts").([]any) {
		mounts[get(t, vm, "name").(string)] = get(t, vm, "mountPath").(string)
	}
	for _, v := range get(t, pod, "volumes").([]any) {
		name := get(t, v, "name").(string)
		if claim, ok := v.(map[string]any)["persistentVolumeClaim"]; ok {
			if m["PersistentVolumeClaim/"+get(t, claim, "claimName").(string)] == nil || mounts[name] != "/var/lib/kestra-migrator" {
				t.Errorf("%s: the state volume %s is not the PVC at /var/lib/kestra-migrator", what, name)
			}
		}
		if cm, ok := v.(map[string]any)["configMap"]; ok {
			if m["ConfigMap/"+get(t, cm, "name").(string)] == nil || mounts[name]+"/config.yaml" != e["KESTRA_MIGRATOR_CONFIG"] {
				t.Errorf("%s: the config volume %s does not hold KESTRA_MIGRATOR_CONFIG %q", what, name, e["KESTRA_MIGRATOR_CONFIG"])
			}
		}
	}
}

func env(t *testing.T, container any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, e := range get(t, container, "env").([]any) {
		out[get(t, e, "name").(string)], _ = get(t, e, "value").(string)
	}
	return out
}

func keys(m map[string]map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestKubernetesConfigUsesKnownKeys: every key of the ConfigMap's config
// file is a key of the binary's defaults, and its window parses.
func TestKubernetesConfigUsesKnownKeys(t *testing.T) {
	var defaults map[string]any
	if err := yaml.Unmarshal(configs.Default, &defaults); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"interval", "jitter", "mode", "listen", "window", "window-timezone"} {
		if _, ok := defaults[k]; !ok {
			t.Errorf("configs/default.yaml lacks the daemon key %s", k)
		}
	}
	cm := manifests(t)["ConfigMap/kestra-migrator"]
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(get(t, cm, "data", "config.yaml").(string)), &cfg); err != nil {
		t.Fatalf("config.yaml: %v", err)
	}
	for k := range cfg {
		if _, ok := defaults[k]; !ok {
			t.Errorf("config.yaml: unknown key %q", k)
		}
	}
	w, _ := cfg["window"].(string)
	tz, _ := cfg["window-timezone"].(string)
	if _, err := daemon.ParseWindow(w, tz); err != nil {
		t.Errorf("config.yaml: %v", err)
	}
}

// TestKestraFlowIsMigrated: the flow that runs the migrator is on task
// runners itself (what `fix --check` checks) and a Kestra server takes it.
func TestKestraFlowIsMigrated(t *testing.T) {
	src, err := os.ReadFile("kestra/kestra-migrator.yml")
	if err != nil {
		t.Fatal(err)
	}
	res, err := rewrite.MustRewriter(rewrite.Options{}).Rewrite(src)
	if err != nil || res.Status != rewrite.StatusUpToDate {
		t.Fatalf("the Kestra flow is %s (%v): %+v", res.Status, err, res)
	}
	task := get(t, docs(t, "kestra/kestra-migrator.yml")[0], "tasks", 0)
	if get(t, task, "containerImage") == nil || get(t, task, "taskRunner", "type") != "io.kestra.plugin.scripts.runner.docker.Docker" {
		t.Errorf("the task does not run in the migrator's image: %v", task)
	}
	srv := kestratest.Start(t, kestratest.Options{})
	if _, err := srv.AddFlow(string(src)); err != nil {
		t.Errorf("the fake Kestra refuses the flow: %v", err)
	}
}

func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{"FROM golang:1.26 AS build", "CGO_ENABLED=0", "-trimpath", `-s -w -X main.version=${VERSION}`,
		"VOLUME /var/lib/kestra-migrator", "KESTRA_MIGRATOR_DB=/var/lib/kestra-migrator/state.db", "EXPOSE 9464",
		"./cmd/kestra-migrator"} {
		if !strings.Contains(s, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	users := regexp.MustCompile(`(?m)^USER (\d+)`).FindAllStringSubmatch(s, -1)
	if len(users) == 0 || users[len(users)-1][1] != "65532" {
		t.Errorf("the final stage does not run as the non-root user %d: %v", nonRootUID, users)
	}
}

func TestSystemdUnit(t *testing.T) {
	b, err := os.ReadFile("systemd/kestra-migrator.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := map[string][]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			unit[k] = append(unit[k], v)
		}
	}
	checks := map[string]string{"ExecStart": "/usr/local/bin/kestra-migrator daemon --all", "ExecReload": "/bin/kill -HUP $MAINPID",
		"Restart": "on-failure", "DynamicUser": "yes", "StateDirectory": "kestra-migrator", "RestartPreventExitStatus": "2"}
	for k, want := range checks {
		if !slices.Contains(unit[k], want) {
			t.Errorf("%s=%v, want %s", k, unit[k], want)
		}
	}
	if !slices.Contains(unit["Environment"], "KESTRA_MIGRATOR_DB=/var/lib/kestra-migrator/state.db") {
		t.Errorf("the state file is not in the StateDirectory: %v", unit["Environment"])
	}
}
