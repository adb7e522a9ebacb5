package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const legacyFlow = `id: hello
namespace: company.team
tasks:
  - id: sh
    type: io.kestra.plugin.scripts.shell.Commands
    runner: PROCESS
    commands:
      - echo hi
`

const mixedFlow = `id: mixed
namespace: company.team
tasks:
  - id: good
    type: io.kestra.plugin.scripts.shell.Commands
    runner: PROCESS
    commands: [echo a]
  - id: bad
    type: io.kestra.plugin.scripts.shell.Commands
    runner: process
    commands: [echo b]
`

// execute runs the CLI in-process with a clean environment for its keys.
func execute(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // no user config file leaks in
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFixPrintsDiffAndChangesNothing(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "flows/hello.yml", legacyFlow, 0o644)
	code, out, _ := execute(t, "fix", dir)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(out, "-    runner: PROCESS\n+    taskRunner:\n+      type: io.kestra.plugin.core.runner.Process\n") {
		t.Errorf("diff missing:\n%s", out)
	}
	if got, _ := os.ReadFile(p); string(got) != legacyFlow {
		t.Errorf("fix without --write changed the file")
	}
}

func TestFixCheckExitCodes(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.yaml", legacyFlow, 0o644)
	if code, _, _ := execute(t, "fix", "--check", dir); code != exitPending {
		t.Fatalf("pending flow: exit %d, want %d", code, exitPending)
	}
	clean := t.TempDir()
	writeFile(t, clean, "ok.yml", "id: ok\nnamespace: n\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n", 0o644)
	if code, _, _ := execute(t, "fix", "--check", clean); code != exitOK {
		t.Fatalf("clean flows: exit %d, want 0", code)
	}
	unsupported := t.TempDir()
	writeFile(t, unsupported, "u.yml", mixedFlow, 0o644)
	if code, _, _ := execute(t, "fix", "--check", unsupported); code != exitPending {
		t.Fatalf("unsupported flow: exit %d, want %d", code, exitPending)
	}
}

func TestFixWriteKeepsModeAndIsIdempotent(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "hello.yml", legacyFlow, 0o640)
	if code, _, errs := execute(t, "fix", "--write", p); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	got, _ := os.ReadFile(p)
	if strings.Contains(string(got), "runner: PROCESS") || !strings.Contains(string(got), "taskRunner:") {
		t.Fatalf("not rewritten:\n%s", got)
	}
	info, _ := os.Stat(p)
	if info.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", info.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	if code, _, _ := execute(t, "fix", "--check", p); code != 0 {
		t.Errorf("second check: exit %d, want 0", code)
	}
}

func TestFixReportsBrokenFileAndContinues(t *testing.T) {
	dir := t.TempDir()
	broken := writeFile(t, dir, "a-broken.yml", "id: x\nnamespace: n\ntasks:\n  - id: a\n    runner: DOCKER\n   bad: [\n", 0o644)
	good := writeFile(t, dir, "b-good.yml", legacyFlow, 0o644)
	multi := writeFile(t, dir, "c-multi.yml", legacyFlow+"---\n"+strings.Replace(legacyFlow, "id: hello", "id: second", 1), 0o644)
	code, out, _ := execute(t, "fix", "--write", "-o", "json", dir)
	if code != exitIncomplete {
		t.Fatalf("exit %d, want %d", code, exitIncomplete)
	}
	var rep struct {
		SchemaVersion int     `json:"schemaVersion"`
		Server        *string `json:"server"`
		Summary       struct {
			Flows, Migrated, Failed int
		} `json:"summary"`
		Namespaces []struct {
			Items []struct {
				File, ID, Status string
				Reason           *string
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if rep.SchemaVersion != 1 || rep.Server != nil {
		t.Errorf("schemaVersion %d server %v", rep.SchemaVersion, rep.Server)
	}
	if rep.Summary.Flows != 4 || rep.Summary.Migrated != 3 || rep.Summary.Failed != 1 {
		t.Errorf("summary %+v, want 4 flows, 3 migrated, 1 failed", rep.Summary)
	}
	var failedReason string
	for _, ns := range rep.Namespaces {
		for _, it := range ns.Items {
			if it.Status == "failed" {
				if it.File != broken {
					t.Errorf("failed item names %q, want %q", it.File, broken)
				}
				failedReason = *it.Reason
			}
		}
	}
	if !strings.Contains(failedReason, "line 4: did not find expected") { // the block sequence the bad line breaks
		t.Errorf("reason %q does not name the parser's line", failedReason)
	}
	if b, _ := os.ReadFile(good); strings.Contains(string(b), "runner:") {
		t.Errorf("the good file was not migrated")
	}
	if b, _ := os.ReadFile(multi); strings.Count(string(b), "taskRunner:") != 2 || !strings.Contains(string(b), "\n---\nid: second") {
		t.Errorf("multi-document file:\n%s", b)
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{
		{"fix", "--write", "--check", "."},
		{"fix", "--write", "-"},
		{"fix", "-o", "yaml", "."},
		{"fix", "--no-such-flag", "."},
		{"fix"},
		{"no-such-command"},
		{"fix", "--concurrency", "0", "."},
		{"fix", "--log-level", "loud", "."},
	} {
		if code, _, errs := execute(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errs)
		}
	}
}

func TestFixMissingPathExits2(t *testing.T) {
	if code, _, errs := execute(t, "fix", filepath.Join(t.TempDir(), "nope")); code != exitUsage || !strings.Contains(errs, "nope") {
		t.Errorf("exit %d (%s), want 2 naming the path", code, errs)
	}
}

// TestConfigPrecedence: flag > environment > config file > defaults, seen
// through --partial on a flow with one supported and one unsupported task.
func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	flows := filepath.Join(dir, "flows")
	writeFile(t, flows, "mixed.yml", mixedFlow, 0o644)
	cfg := writeFile(t, dir, "cfg.yaml", "partial: true\n", 0o644)
	check := func(want int, args ...string) {
		t.Helper()
		if code, _, errs := execute(t, append([]string{"fix", "--check", "--config", cfg}, append(args, flows)...)...); code != want {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, want, errs)
		}
	}
	// partial from the file: the flow is pending (exit 3 either way), so look
	// at the status in the JSON report instead.
	status := func(args ...string) string {
		t.Helper()
		_, out, _ := execute(t, append([]string{"fix", "-o", "json", "--config", cfg}, append(args, flows)...)...)
		var rep struct {
			Summary struct{ Pending, Unsupported int }
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("json: %v: %s", err, out)
		}
		if rep.Summary.Pending == 1 {
			return "pending"
		}
		return "unsupported"
	}
	if got := status(); got != "pending" {
		t.Errorf("config file partial: true: %s", got)
	}
	t.Setenv("KESTRA_MIGRATOR_PARTIAL", "false")
	if got := status(); got != "unsupported" {
		t.Errorf("env over file: %s", got)
	}
	if got := status("--partial=true"); got != "pending" {
		t.Errorf("flag over env: %s", got)
	}
	check(exitPending)
	if code, _, _ := execute(t, "fix", "--config", filepath.Join(dir, "missing.yaml"), flows); code != exitUsage {
		t.Errorf("missing explicit config: exit %d, want 2", code)
	}
}
