package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kestra-migrator/kestra-migrator/client/kestrafake"
	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
	"github.com/kestra-migrator/kestra-migrator/migrator/fleettest"
	"github.com/kestra-migrator/kestra-migrator/store"
)

const (
	testUser     = "admin@kestra.io"
	testPassword = "s3cr3t-Pa55word"
)

// fakeKestra starts a fake server with basic auth, seeded with flows.
func fakeKestra(t *testing.T, flows []fleettest.Flow, opts kestratest.Options) *kestratest.Server {
	t.Helper()
	opts.Username, opts.Password = testUser, testPassword
	srv := kestratest.Start(t, opts)
	if err := fleettest.Seed(srv, flows); err != nil {
		t.Fatal(err)
	}
	return srv
}

// serverArgs are the connection flags and the state file of apply,
// rollback and daemon; the password comes from the environment.
func serverArgs(t *testing.T, srv *kestratest.Server, db string) []string {
	return append(connArgs(t, srv), "--db", db)
}

// connArgs are the connection flags alone (plan).
func connArgs(t *testing.T, srv *kestratest.Server) []string {
	t.Setenv("KESTRA_MIGRATOR_PASSWORD", testPassword)
	// no per-request timeout a loaded machine can reach: go test's -timeout catches a hang
	return []string{"--server", srv.URL(), "--username", testUser, "--retries", "2", "--timeout", "10m"}
}

// untilDeadline is how long a test may wait for something that must
// happen: up to the test binary's own deadline (-timeout), less a margin
// to report. A loaded machine is slow, never wrong: no shorter bound.
func untilDeadline(t *testing.T) time.Duration {
	if deadline, ok := t.Deadline(); ok {
		return time.Until(deadline) - 15*time.Second
	}
	return 24 * time.Hour
}

type jsonReport struct {
	RunID   string `json:"runId"`
	Summary struct {
		Namespaces, Flows, UpToDate, Pending, Migrated, Invalid, Conflict, Unsupported, Failed, Restored int
	} `json:"summary"`
	Namespaces []struct {
		Namespace string
		Flows     int
	} `json:"namespaces"`
	Warnings []string `json:"warnings"`
	Runs     []struct {
		ID              string `json:"runId"`
		Command, Status string
	}
}

func decodeReport(t *testing.T, out string) jsonReport {
	t.Helper()
	var r jsonReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out)
	}
	return r
}

func expectCount(flows []fleettest.Flow, status string) int {
	n := 0
	for _, f := range flows {
		if f.Expect == status {
			n++
		}
	}
	return n
}

func TestPlanApplyStatusRollbackThroughTheCLI(t *testing.T) {
	flows := fleettest.Generate(120, 6, 0.5, true)
	srv := fakeKestra(t, flows, kestratest.Options{})
	db := filepath.Join(t.TempDir(), "state", "state.db")
	args := serverArgs(t, srv, db)

	code, out, errs := execute(t, append([]string{"plan", "-o", "json"}, connArgs(t, srv)...)...)
	if code != exitPending {
		t.Fatalf("plan: exit %d, want 3: %s", code, errs)
	}
	plan := decodeReport(t, out)
	if plan.Summary.Pending != expectCount(flows, "pending") || plan.Summary.Flows != len(flows) {
		t.Errorf("plan summary %+v", plan.Summary)
	}
	if srv.Writes() != 0 {
		t.Errorf("plan wrote %d times", srv.Writes())
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("plan created the state file (%v)", err)
	}
	if strings.Contains(out+errs, testPassword) {
		t.Errorf("the password leaked into the output")
	}

	if code, _, errs := execute(t, append([]string{"apply"}, args...)...); code != exitUsage || !strings.Contains(errs, "--all") {
		t.Errorf("apply without a selector: exit %d (%s)", code, errs)
	}
	code, out, errs = execute(t, append([]string{"apply", "--all", "-o", "json"}, args...)...)
	if code != exitIncomplete { // the fleet has invalid, unsupported and broken flows
		t.Fatalf("apply: exit %d, want 4: %s", code, errs)
	}
	applied := decodeReport(t, out)
	if applied.Summary.Migrated != expectCount(flows, "pending") {
		t.Errorf("apply migrated %d, want %d", applied.Summary.Migrated, expectCount(flows, "pending"))
	}
	if info, err := os.Stat(db); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("state file: %v %v", err, info)
	}
	if raw, _ := os.ReadFile(db); strings.Contains(string(raw), testPassword) {
		t.Errorf("the password is in the state file")
	}

	code, out, errs = execute(t, "status", "-o", "json", "--db", db)
	if code != 0 {
		t.Fatalf("status: exit %d: %s", code, errs)
	}
	status := decodeReport(t, out)
	if status.Summary.Migrated != applied.Summary.Migrated || len(status.Runs) != 1 || status.Runs[0].ID != applied.RunID {
		t.Errorf("status %+v runs %+v", status.Summary, status.Runs)
	}
	if code, out, _ := execute(t, "snapshots", "list", "--run", applied.RunID, "--db", db); code != 0 ||
		strings.Count(out, applied.RunID) != applied.Summary.Migrated {
		t.Errorf("snapshots list: exit %d, %d rows", code, strings.Count(out, applied.RunID))
	}

	code, out, _ = execute(t, append([]string{"rollback", "--dry-run", "--run", applied.RunID, "-o", "json"}, args...)...)
	if dry := decodeReport(t, out); code != 0 || dry.Summary.Pending != applied.Summary.Migrated {
		t.Errorf("rollback --dry-run: exit %d %+v", code, dry.Summary)
	}
	code, out, errs = execute(t, append([]string{"rollback", "--run", applied.RunID, "-o", "json"}, args...)...)
	if rb := decodeReport(t, out); code != 0 || rb.Summary.Restored != applied.Summary.Migrated {
		t.Fatalf("rollback: exit %d %+v %s", code, rb.Summary, errs)
	}
	for _, f := range flows {
		if cur, _ := srv.Flow(f.Namespace, f.ID); cur.Source != f.Source {
			t.Errorf("%s/%s not restored byte for byte", f.Namespace, f.ID)
		}
	}
}

func TestServerErrorsExit1(t *testing.T) {
	srv := fakeKestra(t, fleettest.Generate(4, 1, 0.5, false), kestratest.Options{})
	db := filepath.Join(t.TempDir(), "state.db")
	args := serverArgs(t, srv, db)
	planArgs := append([]string{"plan"}, connArgs(t, srv)...)

	t.Setenv("KESTRA_MIGRATOR_PASSWORD", "wrong-password")
	code, _, errs := execute(t, planArgs...)
	if code != exitError || !strings.Contains(strings.ToLower(errs), "unauthorized") || strings.Contains(errs, "wrong-password") {
		t.Errorf("bad password: exit %d: %s", code, errs)
	}
	t.Setenv("KESTRA_MIGRATOR_PASSWORD", testPassword)

	t.Setenv("KESTRA_MIGRATOR_PASSWORD", "")
	dead := kestrafake.New(kestrafake.Options{})
	url := dead.URL()
	dead.Close()
	if code, _, errs := execute(t, "plan", "--server", url, "--retries", "0", "--timeout", "2s"); code != exitError {
		t.Errorf("unreachable server: exit %d: %s", code, errs)
	}

	t.Setenv("KESTRA_MIGRATOR_PASSWORD", testPassword)
	release, err := store.Lock(db)
	if err != nil {
		t.Fatal(err)
	}
	code, _, errs = execute(t, append([]string{"apply", "--all"}, args...)...)
	_ = release()
	if code != exitError || !strings.Contains(errs, "lock") {
		t.Errorf("state file held by another process: exit %d: %s", code, errs)
	}
}

func TestOldServerRefusesApply(t *testing.T) {
	srv := fakeKestra(t, fleettest.Generate(4, 1, 0.5, false), kestratest.Options{Version: "0.15.3"})
	args := serverArgs(t, srv, filepath.Join(t.TempDir(), "state.db"))
	code, out, _ := execute(t, append([]string{"plan", "-o", "json"}, connArgs(t, srv)...)...)
	if rep := decodeReport(t, out); code != exitPending || len(rep.Warnings) == 0 || !strings.Contains(rep.Warnings[0], "0.15.3") {
		t.Errorf("plan on 0.15: exit %d warnings %v", code, rep.Warnings)
	}
	code, _, errs := execute(t, append([]string{"apply", "--all"}, args...)...)
	if code != exitError || !strings.Contains(errs, "taskRunner") || srv.Writes() != 0 {
		t.Errorf("apply on 0.15: exit %d, %d writes: %s", code, srv.Writes(), errs)
	}
}

// TestStatusWaitsOutABusyStateFile: a daemon holds the bbolt file during a
// pass; status waits for the pass to end instead of failing.
func TestStatusWaitsOutABusyStateFile(t *testing.T) {
	db := filepath.Join(t.TempDir(), "state.db")
	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(1500 * time.Millisecond)
		st.Close()
	}()
	code, out, errs := execute(t, "status", "--db", db, "-o", "json")
	if code != 0 {
		t.Fatalf("status: exit %d: %s", code, errs)
	}
	decodeReport(t, out)
}

func TestDemoRunsTheWholeJob(t *testing.T) {
	code, out, errs := execute(t, "demo", "-o", "markdown")
	if code != 0 {
		t.Fatalf("demo: exit %d: %s", code, errs)
	}
	for _, want := range []string{"plan --all", "apply --all", "status", "rollback --run", "Done: 8 flows migrated, then 8 restored"} {
		if !strings.Contains(errs, want) {
			t.Errorf("demo narration (stderr) lacks %q", want)
		}
	}
	for _, want := range []string{"# kestra-migrator plan", "# kestra-migrator apply", "# kestra-migrator status", "# kestra-migrator rollback"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo reports (stdout) lack %q", want)
		}
	}
}

func TestSnapshotsShow(t *testing.T) {
	flows := fleettest.Generate(6, 1, 0.5, false)
	srv := fakeKestra(t, flows, kestratest.Options{})
	db := filepath.Join(t.TempDir(), "state.db")
	args := serverArgs(t, srv, db)
	code, out, _ := execute(t, append([]string{"apply", "--all", "-o", "json"}, args...)...)
	rep := decodeReport(t, out)
	if code != 0 || rep.Summary.Migrated == 0 {
		t.Fatalf("apply: exit %d %+v", code, rep.Summary)
	}
	var f fleettest.Flow
	for _, fl := range flows {
		if fl.Pending() {
			f = fl
			break
		}
	}
	ref := f.Namespace + "/" + f.ID
	if code, out, _ := execute(t, "snapshots", "show", rep.RunID, ref, "--db", db); code != 0 || out != f.Source {
		t.Errorf("show original: exit %d, byte-identical %v", code, out == f.Source)
	}
	if code, out, _ := execute(t, "snapshots", "show", rep.RunID, ref, "--source", "diff", "--db", db); code != 0 || !strings.Contains(out, "+    taskRunner:") {
		t.Errorf("show diff: exit %d:\n%s", code, out)
	}
	if code, _, errs := execute(t, "snapshots", "show", "no-such-run", ref, "--db", db); code != exitError || !strings.Contains(errs, "not found") {
		t.Errorf("unknown snapshot: exit %d: %s", code, errs)
	}
}

// TestStatusDuringARunReadsItsLiveProgress: a long apply holds the state
// file for its whole run; status answers from what the run publishes.
func TestStatusDuringARunReadsItsLiveProgress(t *testing.T) {
	db := filepath.Join(t.TempDir(), "state.db")
	st, err := store.Open(db, store.Options{PublishLive: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.BindServer(store.ServerID{URL: "http://kestra.test:8080", Tenant: "main"}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateRun(store.Run{ID: "20261127T100000Z-abcdef", Command: "apply"}); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordNamespace(nil, store.NamespaceProgress{Namespace: "company", Counts: map[string]int{"migrated": 5, "up-to-date": 2},
		Complete: true, RunID: "20261127T100000Z-abcdef"}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(untilDeadline(t)); ; time.Sleep(20 * time.Millisecond) { // published within a second
		if live, err := store.ReadLive(db); err == nil && len(live.Progress) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the live progress was not published")
		}
	}
	code, out, errs := execute(t, "status", "--db", db, "-o", "json")
	if code != 0 {
		t.Fatalf("status: exit %d: %s", code, errs)
	}
	rep := decodeReport(t, out)
	// the warning proves status read the live progress instead of waiting for the file
	if rep.Summary.Migrated != 5 || len(rep.Runs) != 1 || len(rep.Warnings) == 0 || !strings.Contains(rep.Warnings[0], "held by a running process") {
		t.Errorf("status from the live progress: %+v runs %v warnings %v", rep.Summary, rep.Runs, rep.Warnings)
	}
}
