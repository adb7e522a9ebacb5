package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
	"github.com/kestra-migrator/kestra-migrator/migrator/fleettest"
)

// blueprintFlow is a flow copied from an old blueprint, pushed mid-run.
const blueprintFlow = `id: from-blueprint
namespace: company.team01.sub
tasks:
  - id: py
    type: io.kestra.plugin.scripts.python.Script
    runner: DOCKER
    docker:
      image: python:3.12-slim
    script: print("drifted")
`

// daemonProc is the real binary running as a daemon.
type daemonProc struct {
	cmd    *exec.Cmd
	base   string // http://addr of its endpoints
	mu     sync.Mutex
	stderr strings.Builder
	exited chan error // the exit, once stderr is closed
}

// startDaemon runs bin with args (logs in JSON) and waits until it serves
// its endpoints; the process is killed at cleanup if still running.
func startDaemon(t *testing.T, bin string, args ...string) *daemonProc {
	t.Helper()
	p := &daemonProc{cmd: exec.Command(bin, args...), exited: make(chan error, 1)}
	p.cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+t.TempDir())
	errPipe, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
	})
	addr := make(chan string, 1)
	go p.readLogs(errPipe, addr)
	select {
	case a := <-addr:
		p.base = "http://" + a
	case err := <-p.exited:
		p.exited <- err
		t.Fatalf("daemon exited at start: %v\n%s", err, p.logs())
	case <-time.After(untilDeadline(t)):
		t.Fatalf("daemon did not serve before the test's deadline:\n%s", p.logs())
	}
	return p
}

// readLogs keeps the log records and spots the listen address; it reports
// the exit once stderr is closed.
func (p *daemonProc) readLogs(r io.Reader, addr chan<- string) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		p.mu.Lock()
		p.stderr.WriteString(line + "\n")
		p.mu.Unlock()
		var rec struct{ Msg, Addr string }
		if json.Unmarshal([]byte(line), &rec) == nil && strings.HasPrefix(rec.Msg, "serving ") && rec.Addr != "" {
			addr <- rec.Addr
		}
	}
	p.exited <- p.cmd.Wait()
}

func (p *daemonProc) logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// get returns the status code and body of one endpoint (0 when unreachable).
func (p *daemonProc) get(t *testing.T, path string) (int, string) {
	t.Helper()
	c := http.Client{Timeout: time.Minute} // a bound for a wedged daemon, not a speed test
	resp, err := c.Get(p.base + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metric sums the samples of /metrics whose series starts with prefix.
func (p *daemonProc) metric(t *testing.T, prefix string) float64 {
	t.Helper()
	_, text := p.get(t, "/metrics")
	sum := 0.0
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, prefix) || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		sum += v
	}
	return sum
}

// eventually polls cond every 20ms until the test's deadline.
func (p *daemonProc) eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(untilDeadline(t))
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not before the test's deadline; daemon log:\n%s", what, p.logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func flowMigrated(srv *kestratest.Server, ns, id string) bool {
	f, ok := srv.Flow(ns, id)
	return ok && strings.Contains(f.Source, "taskRunner:") && !strings.Contains(f.Source, "runner: DOCKER") &&
		!strings.Contains(f.Source, "runner: PROCESS")
}

// TestDaemonEndToEnd runs the real binary as a daemon against the fake
// Kestra: it migrates the fleet, then a flow pushed with runner: DOCKER
// mid-run; its metrics move; /readyz follows the server down and up; a
// second daemon on the state file is refused; status reads the state file
// while it runs; SIGHUP reloads the config file (a broken one is refused);
// SIGTERM stops it with exit 0, interrupting the pass.
func TestDaemonEndToEnd(t *testing.T) {
	bin := buildBinary(t)
	flows := fleettest.Generate(40, 4, 0.5, false)
	srv := fakeKestra(t, flows, kestratest.Options{})
	dir := t.TempDir()
	db := filepath.Join(dir, "state.db")
	config := writeFile(t, dir, "config.yaml", "mode: apply\n", 0o600)
	args := append([]string{"daemon", "--all", "--config", config, "--interval", "300ms", "--jitter", "0",
		"--listen", "127.0.0.1:0", "--log-format", "json"}, serverArgs(t, srv, db)...)
	args = append(args, "--retries", "1")
	d := startDaemon(t, bin, args...)

	d.eventually(t, "ready after the first pass", func() bool { code, _ := d.get(t, "/readyz"); return code == http.StatusOK })
	for _, f := range flows {
		if f.Pending() && !flowMigrated(srv, f.Namespace, f.ID) {
			t.Fatalf("%s/%s not migrated by the first apply pass", f.Namespace, f.ID)
		}
	}
	if code, body := d.get(t, "/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	passes := d.metric(t, `kestra_migrator_passes_total{mode="apply",result="success"}`)
	requests := d.metric(t, "kestra_migrator_http_requests_total{")
	migrated := d.metric(t, "kestra_migrator_flows_migrated_total")
	if passes < 1 || requests < 1 || migrated != float64(expectCount(flows, "pending")) {
		t.Errorf("metrics after the first pass: passes %v, requests %v, migrated %v (want %d)", passes, requests, migrated, expectCount(flows, "pending"))
	}

	// drift: a blueprint with runner: DOCKER is pushed while the daemon runs
	if _, err := srv.AddFlow(blueprintFlow); err != nil {
		t.Fatal(err)
	}
	d.eventually(t, "the pushed flow migrated", func() bool { return flowMigrated(srv, "company.team01.sub", "from-blueprint") })
	d.eventually(t, "counters move", func() bool {
		return d.metric(t, `kestra_migrator_passes_total{mode="apply",result="success"}`) > passes &&
			d.metric(t, "kestra_migrator_http_requests_total{") > requests &&
			d.metric(t, "kestra_migrator_flows_migrated_total") == migrated+1
	})
	d.eventually(t, "/status shows the pushed flow", func() bool {
		code, body := d.get(t, "/status")
		var rep jsonReport
		return code == http.StatusOK && json.Unmarshal([]byte(body), &rep) == nil &&
			rep.Summary.Flows == len(flows)+1 && rep.Summary.Pending == 0
	})
	if got := d.metric(t, `kestra_migrator_flows{namespace="company.team01.sub",status="up-to-date"}`); got < 1 {
		t.Errorf("flows gauge for company.team01.sub: %v", got)
	}

	// status reads the state file between passes
	st := exec.Command(bin, "status", "--db", db, "-o", "json")
	st.Env = append(os.Environ(), "XDG_CONFIG_HOME="+t.TempDir())
	if out, err := st.Output(); err != nil || !strings.Contains(string(out), `"company.team01.sub"`) {
		t.Errorf("status while the daemon runs: %v\n%s", err, out)
	}

	// a second daemon on the same state file is refused, naming the first
	second := exec.Command(bin, append(args[:len(args):len(args)], "--once")...)
	second.Env = append(os.Environ(), "XDG_CONFIG_HOME="+t.TempDir())
	out, err := second.CombinedOutput()
	if exitErr, ok := err.(*exec.ExitError); !ok || exitErr.ExitCode() != exitError ||
		!strings.Contains(string(out), fmt.Sprintf("process %d", d.cmd.Process.Pid)) {
		t.Errorf("second daemon: %v\n%s", err, out)
	}

	// the server goes down, then comes back
	srv.SetFaults(kestratest.Faults{Rate503: 1})
	d.eventually(t, "/readyz 503 while the server is down", func() bool {
		code, _ := d.get(t, "/readyz")
		return code == http.StatusServiceUnavailable
	})
	if code, _ := d.get(t, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz while the server is down: %d", code)
	}
	srv.SetFaults(kestratest.Faults{})
	d.eventually(t, "/readyz 200 once the server is back", func() bool { code, _ := d.get(t, "/readyz"); return code == http.StatusOK })
	if d.metric(t, `kestra_migrator_http_retries_total{code="503"`) < 1 || d.metric(t, `kestra_migrator_passes_total{mode="apply",result="failure"}`) < 1 {
		t.Errorf("the outage is not in the metrics")
	}

	// SIGHUP: a broken config file is refused, a good one applies
	writeFile(t, dir, "config.yaml", "mode: [apply\n", 0o600)
	_ = d.cmd.Process.Signal(syscall.SIGHUP)
	d.eventually(t, "the broken config refused", func() bool {
		return d.metric(t, `kestra_migrator_config_reloads_total{result="failure"}`) == 1
	})
	writeFile(t, dir, "config.yaml", "mode: plan\n", 0o600)
	_ = d.cmd.Process.Signal(syscall.SIGHUP)
	d.eventually(t, "plan passes after the reload", func() bool {
		return d.metric(t, `kestra_migrator_passes_total{mode="plan",result="success"}`) >= 1
	})

	// SIGTERM in the middle of a pass: the server stops answering (requests
	// hang until the client gives up), so once a request has reached it a
	// pass is in flight for as long as the test needs, whatever the load
	srv.SetFaults(kestratest.Faults{Hang: true})
	before := srv.TotalRequests() // a request counted after this one hangs
	d.eventually(t, "a pass waiting on the server", func() bool { return srv.TotalRequests() > before })
	start := time.Now()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// the log's "pass interrupted" (below) proves the pass was cancelled,
	// not waited for; no wall-clock bound
	select {
	case err := <-d.exited:
		d.exited <- err // for the cleanup
		t.Logf("SIGTERM -> exit in %s", time.Since(start))
		if err != nil {
			t.Errorf("SIGTERM: %v, want exit 0\n%s", err, d.logs())
		}
	case <-time.After(untilDeadline(t)):
		t.Fatalf("still running after SIGTERM, at the test's deadline\n%s", d.logs())
	}
	if logs := d.logs(); !strings.Contains(logs, `"msg":"pass interrupted`) || !strings.Contains(logs, `"msg":"daemon stopped"`) {
		t.Errorf("no interrupted pass or clean stop in the log:\n%s", logs)
	}
	if strings.Contains(d.logs(), testPassword) {
		t.Error("the password is in the daemon's logs")
	}
}

func TestDaemonUsageErrorsExit2(t *testing.T) {
	db := filepath.Join(t.TempDir(), "state.db")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"daemon"}, "select flows"},
		{[]string{"daemon", "--all", "--mode", "yolo"}, `mode "yolo"`},
		{[]string{"daemon", "--all", "--window", "22:00-06:00 Mars/Olympus"}, "time zone"},
		{[]string{"daemon", "--all", "--window", "10pm-6am"}, "want HH:MM"},
		{[]string{"daemon", "--all", "--interval", "1ms"}, "interval"},
		{[]string{"daemon", "--all", "--jitter", "1.5"}, "jitter"},
		{[]string{"daemon", "--all", "--listen", "9464"}, "HOST:PORT"},
	}
	for _, tt := range tests {
		code, _, stderr := execute(t, append(tt.args, "--db", db)...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", tt.args, code, stderr, exitUsage, tt.want)
		}
	}
	t.Setenv("KESTRA_MIGRATOR_INTERVAL", "soon")
	if code, _, stderr := execute(t, "daemon", "--all", "--db", db); code != exitUsage || !strings.Contains(stderr, `interval "soon"`) {
		t.Errorf("KESTRA_MIGRATOR_INTERVAL=soon: exit %d, %s", code, stderr)
	}
}

// TestDaemonOnce runs one apply pass in-process (the CronJob form): the
// fleet is migrated and the next pass reads no flow source.
func TestDaemonOnce(t *testing.T) {
	flows := fleettest.Generate(24, 3, 0.5, false)
	srv := fakeKestra(t, flows, kestratest.Options{})
	db := filepath.Join(t.TempDir(), "state.db")
	args := append([]string{"daemon", "--once", "--all", "--mode", "apply"}, serverArgs(t, srv, db)...)
	if code, _, stderr := execute(t, args...); code != exitOK {
		t.Fatalf("daemon --once: exit %d\n%s", code, stderr)
	}
	for _, f := range flows {
		if f.Pending() && !flowMigrated(srv, f.Namespace, f.ID) {
			t.Errorf("%s/%s not migrated", f.Namespace, f.ID)
		}
	}
	srv.ResetCounters()
	if code, _, stderr := execute(t, args...); code != exitOK {
		t.Fatalf("second daemon --once: exit %d\n%s", code, stderr)
	}
	got := srv.Requests()
	if got[kestratest.EndpointGet]+got[kestratest.EndpointExport]+got[kestratest.EndpointValidate]+srv.Writes() != 0 {
		t.Errorf("a quiet pass read or wrote flows: %v", got)
	}
	srv.SetFaults(kestratest.Faults{Rate503: 1})
	if code, _, stderr := execute(t, append(args, "--retries", "1")...); code != exitError || !strings.Contains(stderr, "503") {
		t.Errorf("daemon --once, server down: exit %d, %s", code, stderr)
	}
}
