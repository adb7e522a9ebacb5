package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
	"github.com/kestra-migrator/kestra-migrator/migrator/fleettest"
	"github.com/kestra-migrator/kestra-migrator/migrator/report"
)

// TestDemoJSONIsOneDocument: narration on stderr, the four reports in one
// JSON document on stdout or in --output.
func TestDemoJSONIsOneDocument(t *testing.T) {
	out := filepath.Join(t.TempDir(), "demo.json")
	for _, args := range [][]string{{"demo", "-o", "json"}, {"demo", "-o", "json", "--output", out}} {
		code, stdout, errs := execute(t, args...)
		if code != exitOK || !strings.Contains(errs, "Done:") {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
		doc := []byte(stdout)
		if len(args) > 3 {
			if stdout != "" {
				t.Errorf("demo --output also wrote stdout: %q", stdout)
			}
			doc, _ = os.ReadFile(out)
		}
		var demo struct {
			SchemaVersion int
			Reports       []struct{ Command string }
		}
		if err := json.Unmarshal(doc, &demo); err != nil {
			t.Fatalf("%v: not one JSON document: %v\n%s", args, err, doc)
		}
		var cmds []string
		for _, r := range demo.Reports {
			cmds = append(cmds, r.Command)
		}
		if demo.SchemaVersion != 1 || strings.Join(cmds, ",") != "plan,apply,status,rollback" {
			t.Errorf("%v: reports %v", args, cmds)
		}
	}
}

// TestTablesFitTheTerminal: at 80 columns, no line is wider; warnings are
// readable in the table; plurals are right.
func TestTablesFitTheTerminal(t *testing.T) {
	flows := append(smallFleet(), fleettest.Make("company.with.a.rather.long.namespace.name", "another-quite-long-flow-identifier", fleettest.Nested))
	srv := fakeKestra(t, flows, kestratest.Options{})
	t.Setenv("COLUMNS", "80")
	_, out, errs := execute(t, append([]string{"plan"}, connArgs(t, srv)...)...)
	for _, line := range strings.Split(out, "\n") {
		if n := utf8.RuneCountInString(line); n > 80 {
			t.Errorf("line of %d columns: %q", n, line)
		}
	}
	if !strings.Contains(out, "3 namespaces") || strings.Contains(out, "warning(s)") || strings.Contains(out, "task(s)") {
		t.Errorf("plan table:\n%s\n%s", out, errs)
	}
	_, out, _ = execute(t, append([]string{"plan", "-n", "company.b"}, connArgs(t, srv)...)...)
	if !strings.Contains(out, "1 namespace ") && !strings.Contains(out, "1 namespace\n") && !strings.Contains(out, "1 namespace│") {
		t.Errorf("plural of one namespace:\n%s", out)
	}
}

// TestHelpShowsDefaultsEnvironmentAndExamples; server flags only where a
// server is read; --version; -n.
func TestHelpShowsDefaultsEnvironmentAndExamples(t *testing.T) {
	for _, cmd := range [][]string{{"plan"}, {"apply"}, {"rollback"}, {"status"}, {"runs"}, {"snapshots", "list"}, {"snapshots", "show"}, {"daemon"}, {"fix"}, {"demo"}, {"version"}} {
		_, out, _ := execute(t, append(cmd, "--help")...)
		if !strings.Contains(out, "Examples:") {
			t.Errorf("%v --help has no examples", cmd)
		}
		talks := cmd[0] == "plan" || cmd[0] == "apply" || cmd[0] == "rollback" || cmd[0] == "daemon"
		if strings.Contains(out, "--server") != talks || strings.Contains(out, "--token") != talks {
			t.Errorf("%v --help: server flags shown %v, want %v", cmd, strings.Contains(out, "--server"), talks)
		}
	}
	_, out, _ := execute(t, "plan", "--help")
	for _, want := range []string{"(default 30s)", "$KESTRA_MIGRATOR_TIMEOUT", "$KESTRA_MIGRATOR_SERVER", `(default "http://localhost:8080")`,
		"(default 4)", "$KESTRA_MIGRATOR_CONCURRENCY", "-n, --namespace", "$KESTRA_MIGRATOR_LOG_LEVEL", "(default: auto"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan --help lacks %q", want)
		}
	}
	_, out, _ = execute(t, "daemon", "--help")
	for _, want := range []string{"(default 15m)", "$KESTRA_MIGRATOR_INTERVAL", `(default "plan")`, "$KESTRA_MIGRATOR_MODE"} {
		if !strings.Contains(out, want) {
			t.Errorf("daemon --help lacks %q", want)
		}
	}
	if code, out, _ := execute(t, "--version"); code != exitOK || !strings.HasPrefix(out, "kestra-migrator ") {
		t.Errorf("--version: exit %d %q", code, out)
	}
	srv := fakeKestra(t, smallFleet(), kestratest.Options{})
	code, out, _ := execute(t, append([]string{"plan", "-n", "company.b", "-o", "json"}, connArgs(t, srv)...)...)
	if rep := decodeReport(t, out); code != exitPending || rep.Summary.Flows != 1 {
		t.Errorf("-n company.b: exit %d %+v", code, rep.Summary)
	}
}

// TestShellCompletion completes -o values per command, --mode, --state,
// --source, run ids and namespaces (from the state file).
func TestShellCompletion(t *testing.T) {
	_, db, runID := appliedState(t)
	cases := []struct {
		args       []string
		want, lack []string
	}{
		{[]string{"plan", "-o", ""}, []string{"table", "json", "markdown", "diff", "html"}, nil},
		{[]string{"status", "-o", ""}, []string{"table", "json"}, []string{"diff"}},
		{[]string{"runs", "-o", ""}, []string{"table", "json"}, []string{"markdown", "html"}},
		{[]string{"daemon", "--mode", ""}, []string{"plan", "apply"}, nil},
		{[]string{"snapshots", "list", "--state", ""}, []string{"saved", "written", "abandoned", "rolled-back"}, nil},
		{[]string{"snapshots", "show", "--source", ""}, []string{"original", "migrated", "diff"}, nil},
		{[]string{"rollback", "--db", db, "--run", ""}, []string{runID}, nil},
		{[]string{"snapshots", "show", "--db", db, ""}, []string{runID}, nil},
		{[]string{"rollback", "--db", db, "-n", ""}, []string{"company.a"}, nil},
	}
	for _, c := range cases {
		code, out, errs := execute(t, append([]string{"__complete"}, c.args...)...)
		if code != exitOK {
			t.Errorf("%v: exit %d: %s", c.args, code, errs)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: %q not offered:\n%s", c.args, w, out)
			}
		}
		for _, w := range c.lack {
			if strings.Contains(out, w+"\n") {
				t.Errorf("%v: %q offered:\n%s", c.args, w, out)
			}
		}
	}
}

// TestErrorsThatHelp: each error names the setting that fixes it.
func TestErrorsThatHelp(t *testing.T) {
	srv := fakeKestra(t, cleanFleet(), kestratest.Options{})
	cases := []struct {
		args []string
		env  [2]string
		code int
		want []string
	}{
		{[]string{"plan", "--server", "127.0.0.1:8080"}, [2]string{}, exitUsage, []string{"http://127.0.0.1:8080"}},
		{[]string{"plan", "--server", ""}, [2]string{}, exitUsage, []string{"--server", "KESTRA_MIGRATOR_SERVER"}},
		{append([]string{"plan", "--tenant", "nope"}, connArgs(t, srv)...), [2]string{}, exitError, []string{"--tenant"}},
		{append([]string{"plan"}, connArgs(t, srv)...), [2]string{"KESTRA_MIGRATOR_PASSWORD", "wrong"}, exitError, []string{"--password"}},
		{[]string{"plan", "--config", writeFile(t, t.TempDir(), "c.yaml", "server: \"\"\n", 0o600)}, [2]string{}, exitUsage, []string{"--server", "KESTRA_MIGRATOR_SERVER"}},
		{[]string{"apply", "--all", "--bogus"}, [2]string{}, exitUsage, []string{"kestra-migrator apply --help"}},
		// https against a plain HTTP server: said at once, not after six attempts
		{[]string{"plan", "--server", strings.Replace(srv.URL(), "http://", "https://", 1), "--username", testUser, "--timeout", "5s"}, [2]string{}, exitError, []string{"--server http://"}},
	}
	for _, c := range cases {
		if c.env[0] != "" {
			t.Setenv(c.env[0], c.env[1])
		}
		code, _, errs := execute(t, c.args...)
		if c.env[0] != "" {
			os.Unsetenv(c.env[0])
			t.Setenv("KESTRA_MIGRATOR_PASSWORD", testPassword)
		}
		if code != c.code {
			t.Errorf("%v: exit %d, want %d: %s", c.args, code, c.code, errs)
		}
		for _, w := range c.want {
			if !strings.Contains(errs, w) {
				t.Errorf("%v: the error lacks %q: %s", c.args, w, errs)
			}
		}
		if strings.Contains(errs, "giving up after") { // retried what no retry fixes
			t.Errorf("%v: retried: %s", c.args, errs)
		}
	}
}

// TestProgressCountsFlowsAndLogLinesDoNotTearIt: the bar (drawn only on a
// terminal) counts flows, and a log line clears it before it is written.
func TestProgressCountsFlowsAndLogLinesDoNotTearIt(t *testing.T) {
	var buf bytes.Buffer
	p := &progress{w: &buf}
	p.NamespacesFound(1)
	for range 300 {
		p.FlowDone("company.a", report.StatusMigrated)
	}
	if p.flows() != 300 {
		t.Errorf("the bar counted %d, want 300 flows", p.flows())
	}
	p.NamespaceDone("company.a", report.Counts{})
	buf.Reset()
	a := &app{stderr: &buf, bar: p}
	line := "time=now level=INFO msg=hello\n"
	if _, err := (&logWriter{a: a}).Write([]byte(line)); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	i := strings.Index(got, line)
	if i < 0 || !strings.Contains(got[:i], "\r") {
		t.Errorf("the log line was not written on a cleared line: %q", got)
	}
}
