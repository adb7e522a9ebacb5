package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
	"github.com/kestra-migrator/kestra-migrator/migrator/fleettest"
	"github.com/kestra-migrator/kestra-migrator/store"
)

// smallFleet: two flows to migrate and one up to date in company.a, one
// that cannot be migrated (unsupported) in company.b.
func smallFleet() []fleettest.Flow {
	return []fleettest.Flow{
		fleettest.Make("company.a", "p1", fleettest.Process),
		fleettest.Make("company.a", "p2", fleettest.DockerImage),
		fleettest.Make("company.a", "ok", fleettest.UpToDate),
		fleettest.Make("company.b", "bad", fleettest.BadRunner),
	}
}

// cleanFleet has nothing to migrate.
func cleanFleet() []fleettest.Flow {
	return []fleettest.Flow{fleettest.Make("company.a", "ok", fleettest.UpToDate)}
}

// appliedState applies smallFleet's company.a and returns the server, the
// state file and the run id.
func appliedState(t *testing.T) (*kestratest.Server, string, string) {
	t.Helper()
	srv := fakeKestra(t, smallFleet(), kestratest.Options{})
	db := filepath.Join(t.TempDir(), "state.db")
	code, out, errs := execute(t, append([]string{"apply", "-n", "company.a", "-o", "json"}, serverArgs(t, srv, db)...)...)
	if code != exitOK {
		t.Fatalf("apply: exit %d: %s", code, errs)
	}
	return srv, db, decodeReport(t, out).RunID
}

// TestExitCodeTable has a case per row of the README's exit-code table.
func TestExitCodeTable(t *testing.T) {
	dead := kestratest.Start(t, kestratest.Options{})
	deadURL := dead.URL()
	dead.Close()
	cases := []struct {
		name string
		want int
		args func(t *testing.T) []string
	}{
		{"0: plan, nothing pending", exitOK, func(t *testing.T) []string {
			return append([]string{"plan"}, connArgs(t, fakeKestra(t, cleanFleet(), kestratest.Options{}))...)
		}},
		{"0: apply, nothing failed", exitOK, func(t *testing.T) []string {
			srv := fakeKestra(t, smallFleet(), kestratest.Options{})
			return append([]string{"apply", "-n", "company.a"}, serverArgs(t, srv, filepath.Join(t.TempDir(), "s.db"))...)
		}},
		{"1: server unreachable", exitError, func(t *testing.T) []string {
			return []string{"plan", "--server", deadURL, "--retries", "0", "--timeout", "2s"}
		}},
		{"1: auth refused", exitError, func(t *testing.T) []string {
			args := append([]string{"plan"}, connArgs(t, fakeKestra(t, cleanFleet(), kestratest.Options{}))...)
			t.Setenv("KESTRA_MIGRATOR_PASSWORD", "wrong")
			return args
		}},
		{"1: state file locked", exitError, func(t *testing.T) []string {
			db := filepath.Join(t.TempDir(), "s.db")
			release, err := store.Lock(db)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = release() })
			return append([]string{"apply", "--all"}, serverArgs(t, fakeKestra(t, cleanFleet(), kestratest.Options{}), db)...)
		}},
		{"2: unknown flag", exitUsage, func(*testing.T) []string { return []string{"plan", "--no-such-flag"} }},
		{"2: unknown command", exitUsage, func(*testing.T) []string { return []string{"plna"} }},
		{"2: extra argument", exitUsage, func(*testing.T) []string { return []string{"status", "extra"} }},
		{"2: a format the command cannot write", exitUsage, func(*testing.T) []string { return []string{"status", "-o", "diff"} }},
		{"2: bad configuration value", exitUsage, func(*testing.T) []string { return []string{"plan", "--concurrency", "0"} }},
		{"2: apply without a selection", exitUsage, func(t *testing.T) []string {
			return append([]string{"apply"}, serverArgs(t, fakeKestra(t, cleanFleet(), kestratest.Options{}), filepath.Join(t.TempDir(), "s.db"))...)
		}},
		{"3: plan, flows pending", exitPending, func(t *testing.T) []string {
			return append([]string{"plan"}, connArgs(t, fakeKestra(t, smallFleet(), kestratest.Options{}))...)
		}},
		{"3: plan, flows that need attention only", exitPending, func(t *testing.T) []string {
			return append([]string{"plan", "-n", "company.b"}, connArgs(t, fakeKestra(t, smallFleet(), kestratest.Options{}))...)
		}},
		{"4: apply, some flows unsupported", exitIncomplete, func(t *testing.T) []string {
			srv := fakeKestra(t, smallFleet(), kestratest.Options{})
			return append([]string{"apply", "--all"}, serverArgs(t, srv, filepath.Join(t.TempDir(), "s.db"))...)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := c.args(t)
			if code, _, errs := execute(t, args...); code != c.want {
				t.Errorf("%v: exit %d, want %d\n%s", args, code, c.want, errs)
			}
		})
	}
}

// TestEveryCommandRefusesFormatsItCannotWrite: exit 2, nothing on stdout.
func TestEveryCommandRefusesFormatsItCannotWrite(t *testing.T) {
	for _, args := range [][]string{
		{"status", "-o", "diff"},
		{"runs", "-o", "yaml"},
		{"runs", "-o", "markdown"},
		{"snapshots", "list", "-o", "yaml"},
		{"snapshots", "list", "-o", "html"},
		{"demo", "-o", "html"},
		{"plan", "-o", "yaml"},
		{"plan", "--diff"}, // the table shows no diffs
	} {
		code, out, errs := execute(t, args...)
		if code != exitUsage || out != "" || !strings.Contains(errs, "--help") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
	// the usage hint names the subcommand's help
	if _, _, errs := execute(t, "snapshots", "list", "-o", "yaml"); !strings.Contains(errs, "kestra-migrator snapshots list --help") {
		t.Errorf("hint: %s", errs)
	}
}

func TestConfigTyposAreErrorsNamingKeyValueAndSource(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		file string
		env  [2]string
		args []string
		want []string
	}{
		{file: "concurency: 8\n", want: []string{`unknown key "concurency"`, "cfg.yaml", `did you mean "concurrency"`}},
		{file: "concurrency: abc\n", want: []string{`concurrency "abc"`, "config file", "cfg.yaml"}},
		{env: [2]string{"KESTRA_MIGRATOR_CONCURRENCY", "abc"}, want: []string{`"abc"`, "KESTRA_MIGRATOR_CONCURRENCY"}},
		{file: "timeout: 30\n", want: []string{"timeout", "30s", "cfg.yaml"}},
		{env: [2]string{"KESTRA_MIGRATOR_TIMEOUT", "5"}, want: []string{"5s", "KESTRA_MIGRATOR_TIMEOUT"}},
		{file: "interval: 900\n", want: []string{"interval", "900s"}},
		{args: []string{"--timeout", "30"}, want: []string{"30s", "--timeout"}},
		{file: "partial: maybe\n", want: []string{"partial", `"maybe"`, "true or false"}},
	}
	for _, c := range cases {
		cfg := writeFile(t, dir, "cfg.yaml", c.file, 0o600)
		if c.env[0] != "" {
			t.Setenv(c.env[0], c.env[1])
		}
		args := append([]string{"plan", "--config", cfg}, c.args...)
		code, out, errs := execute(t, args...)
		if c.env[0] != "" {
			os.Unsetenv(c.env[0])
		}
		if code != exitUsage || out != "" {
			t.Errorf("%q %v %v: exit %d, stdout %q", c.file, c.env, c.args, code, out)
		}
		for _, w := range c.want {
			if !strings.Contains(errs, w) {
				t.Errorf("%q %v %v: the error lacks %q: %s", c.file, c.env, c.args, w, errs)
			}
		}
	}
}

// TestFailedCommandPrintsNoReport: a command that could not read the server
// writes nothing on stdout, and leaves --output as it was (or absent).
func TestFailedCommandPrintsNoReport(t *testing.T) {
	srv := fakeKestra(t, smallFleet(), kestratest.Options{})
	dir := t.TempDir()
	kept := writeFile(t, dir, "kept.json", "old report", 0o600)
	absent := filepath.Join(dir, "absent.json")
	for _, bad := range [][]string{{"KESTRA_MIGRATOR_PASSWORD", "wrong"}, {"KESTRA_MIGRATOR_TENANT", "nope"}} {
		for _, out := range []string{"", kept, absent} {
			args := append([]string{"plan", "-o", "json"}, connArgs(t, srv)...)
			if out != "" {
				args = append(args, "--output", out)
			}
			t.Setenv(bad[0], bad[1])
			code, stdout, errs := execute(t, args...)
			os.Unsetenv(bad[0])
			if code != exitError || stdout != "" {
				t.Errorf("%v --output %q: exit %d, stdout %q (%s)", bad, out, code, stdout, errs)
			}
		}
	}
	if b, _ := os.ReadFile(kept); string(b) != "old report" {
		t.Errorf("--output of a failed command was changed: %q", b)
	}
	if _, err := os.Stat(absent); !os.IsNotExist(err) {
		t.Errorf("--output of a failed command was created (%v)", err)
	}
}

// TestOutputFileIs0600: reports hold flow sources; an existing file is
// replaced whole.
func TestOutputFileIs0600(t *testing.T) {
	srv := fakeKestra(t, smallFleet(), kestratest.Options{})
	dir := t.TempDir()
	for _, out := range []string{filepath.Join(dir, "new.json"), writeFile(t, dir, "old.json", strings.Repeat("x", 1<<20), 0o644)} {
		code, stdout, errs := execute(t, append([]string{"plan", "-o", "json", "--output", out}, connArgs(t, srv)...)...)
		if code != exitPending || stdout != "" {
			t.Fatalf("plan --output: exit %d, stdout %q: %s", code, stdout, errs)
		}
		info, err := os.Stat(out)
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want 0600", out, err, info)
		}
		b, _ := os.ReadFile(out)
		decodeReport(t, string(b))
	}
}

// TestJSONSpelledOneWay: runs and snapshots are versioned documents whose
// fields and counters are spelled as in the reports.
func TestJSONSpelledOneWay(t *testing.T) {
	_, db, runID := appliedState(t)
	_, out, errs := execute(t, "runs", "-o", "json", "--db", db)
	var runs struct {
		SchemaVersion int
		Runs          []map[string]any
	}
	if err := json.Unmarshal([]byte(out), &runs); err != nil || runs.SchemaVersion != 1 || len(runs.Runs) != 1 {
		t.Fatalf("runs -o json: %v: %s %s", err, out, errs)
	}
	r := runs.Runs[0]
	summary, _ := r["summary"].(map[string]any)
	if r["runId"] != runID || summary["upToDate"] != 1.0 || summary["migrated"] != 2.0 || strings.Contains(out, "up-to-date") {
		t.Errorf("runs: %s", out)
	}
	_, out, _ = execute(t, "snapshots", "list", "-o", "json", "--db", db)
	var snaps struct {
		SchemaVersion int
		Snapshots     []map[string]any
	}
	if err := json.Unmarshal([]byte(out), &snaps); err != nil || snaps.SchemaVersion != 1 || len(snaps.Snapshots) != 2 ||
		snaps.Snapshots[0]["runId"] != runID || snaps.Snapshots[0]["id"] == nil {
		t.Errorf("snapshots list -o json: %v: %s", err, out)
	}
}

func TestTenantSaysNoneOnServersWithoutTenants(t *testing.T) {
	srv := fakeKestra(t, cleanFleet(), kestratest.Options{Mode: kestratest.ModeLegacy})
	_, out, errs := execute(t, append([]string{"plan", "-o", "json"}, connArgs(t, srv)...)...)
	var rep struct{ Tenant *string }
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Tenant == nil || *rep.Tenant != "none" {
		t.Errorf("tenant on a 0.22 server: %v %s %s", err, out, errs)
	}
}
