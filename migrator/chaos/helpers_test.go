package chaos_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kestra-migrator/kestra-migrator/client/kestrafake"
	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
	"github.com/kestra-migrator/kestra-migrator/migrator/fleettest"
	"github.com/kestra-migrator/kestra-migrator/migrator/report"
)

// sizes are the suite's dimensions: the full form of issue 6, or the reduced
// form CI runs in well under a minute.
type sizes struct {
	full       bool
	flows      int
	namespaces int
	kills      int
}

// legacyShare is the share of flows with legacy runner/docker usage.
const legacyShare = 0.3

func suiteSizes() sizes {
	if os.Getenv("KESTRA_MIGRATOR_CHAOS") == "full" {
		return sizes{full: true, flows: 2000, namespaces: 40, kills: 20}
	}
	return sizes{flows: 300, namespaces: 10, kills: 3}
}

func (s sizes) String() string {
	form := "reduced"
	if s.full {
		form = "full"
	}
	return fmt.Sprintf("%s form: %d flows over %d namespaces", form, s.flows, s.namespaces)
}

var (
	buildDir  string
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// migratorBinary builds the real kestra-migrator once per test binary.
func migratorBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: builds and runs the binary")
	}
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "chaos-bin-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(buildDir, "kestra-migrator")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/kestra-migrator/kestra-migrator/cmd/kestra-migrator").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// sandbox is a private directory tree for one binary invocation: home,
// XDG directories, TMPDIR and the working directory all live in it, so a
// test can tell whether anything was written where it should not be.
type sandbox struct {
	root, work, tmp, stateDir string
	env                       []string // besides PATH and the sandbox directories
}

func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	root := t.TempDir()
	sb := &sandbox{root: root, work: filepath.Join(root, "work"), tmp: filepath.Join(root, "tmp"),
		stateDir: filepath.Join(root, "state")}
	for _, d := range []string{sb.work, sb.tmp, filepath.Join(root, "home"), filepath.Join(root, "config")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	return sb
}

func (sb *sandbox) db() string { return filepath.Join(sb.stateDir, "state.db") }

// result is one finished invocation of the binary.
type result struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

func (r result) String() string {
	return fmt.Sprintf("exit %d after %s\nstderr:\n%s", r.code, r.took.Round(time.Millisecond), tail(r.stderr, 3000))
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// command prepares the binary in the sandbox with a clean environment:
// nothing from the caller's KESTRA_MIGRATOR_* settings leaks in.
func (sb *sandbox) command(ctx context.Context, bin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = sb.work
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + filepath.Join(sb.root, "home"),
		"XDG_CONFIG_HOME=" + filepath.Join(sb.root, "config"),
		"XDG_STATE_HOME=" + filepath.Join(sb.root, "xdg-state"),
		"TMPDIR=" + sb.tmp,
		"CI=1",
	}, sb.env...)
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// run executes the binary to completion (5 minutes at most).
func (sb *sandbox) run(t *testing.T, bin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := sb.command(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start)}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr) && exitErr.Exited():
		r.code = exitErr.ExitCode()
	default:
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, r)
	}
	return r
}

// jsonReport is the part of the JSON report (docs/cli.md) the suite reads.
type jsonReport struct {
	RunID   string        `json:"runId"`
	Command string        `json:"command"`
	Summary report.Counts `json:"summary"`
	// Namespaces hold the items, with their statuses and reasons.
	Namespaces []struct {
		Namespace string        `json:"namespace"`
		Items     []report.Item `json:"items"`
	} `json:"namespaces"`
	Warnings []string `json:"warnings"`
}

func decodeReport(t *testing.T, r result) jsonReport {
	t.Helper()
	var rep jsonReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("the report is not JSON: %v\nstdout:\n%s\n%s", err, tail(r.stdout, 2000), r)
	}
	return rep
}

// fleet is the fleet harness with the suite's own checks as methods.
type fleet struct{ *fleettest.Fleet }

// wrapped serves a fake Kestra behind hook, which may answer a request
// itself (returning true) or let the fake answer it.
func wrapped(t *testing.T, opts kestratest.Options, hook func(w http.ResponseWriter, r *http.Request, srv *kestratest.Server) bool) (*kestratest.Server, string) {
	t.Helper()
	srv := kestrafake.NewHandler(opts)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hook != nil && hook(w, r, srv) {
			return
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		srv.Close() // releases hanging requests first
		ts.CloseClientConnections()
		ts.Close()
	})
	return srv, ts.URL
}

// call is what a request to the flows API does, from its method and path.
type call struct {
	endpoint string // a kestratest.Endpoint* label
	ns, id   string
}

func classify(r *http.Request) call {
	if r.URL.Path == "/api/v1/configs" {
		return call{endpoint: kestratest.EndpointConfigs}
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/api/v1/main/flows")
	if !ok {
		rest, ok = strings.CutPrefix(r.URL.Path, "/api/v1/flows")
	}
	if !ok {
		return call{endpoint: kestratest.EndpointUnknown}
	}
	seg := strings.Split(strings.Trim(rest, "/"), "/")
	switch {
	case len(seg) == 1 && seg[0] == "search":
		return call{endpoint: kestratest.EndpointSearch}
	case len(seg) == 1 && seg[0] == "distinct-namespaces":
		return call{endpoint: kestratest.EndpointNamespaces}
	case len(seg) == 1 && seg[0] == "validate":
		return call{endpoint: kestratest.EndpointValidate}
	case len(seg) == 2 && seg[0] == "export":
		return call{endpoint: kestratest.EndpointExport, ns: r.URL.Query().Get("namespace")}
	case len(seg) == 3 && seg[2] == "revisions":
		return call{endpoint: kestratest.EndpointRevisions, ns: seg[0], id: seg[1]}
	case len(seg) == 2 && r.Method == http.MethodPut:
		return call{endpoint: kestratest.EndpointUpdate, ns: seg[0], id: seg[1]}
	case len(seg) == 2 && r.Method == http.MethodGet && r.URL.Query().Has("revision"):
		return call{endpoint: kestratest.EndpointRevision, ns: seg[0], id: seg[1]}
	case len(seg) == 2 && r.Method == http.MethodGet:
		return call{endpoint: kestratest.EndpointGet, ns: seg[0], id: seg[1]}
	}
	return call{endpoint: kestratest.EndpointUnknown}
}

// assertEditsKept: every human edit's marker is still in the current source.
func assertEditsKept(t *testing.T, srv *kestratest.Server, edits []kestratest.Edit) (lost int) {
	t.Helper()
	for _, e := range edits {
		var edited string
		for _, r := range srv.Revisions(e.Namespace, e.ID) {
			if r.Revision == e.Revision {
				edited = r.Source
			}
		}
		i := strings.LastIndex(edited, "# edited by a human")
		if i < 0 {
			t.Fatalf("%s/%s revision %d carries no edit marker", e.Namespace, e.ID, e.Revision)
		}
		marker := strings.TrimSpace(edited[i:])
		if cur, _ := srv.Flow(e.Namespace, e.ID); !strings.Contains(cur.Source, marker) {
			lost++
			t.Errorf("%s/%s: the edit of revision %d (%q) was lost; now revision %d:\n%s",
				e.Namespace, e.ID, e.Revision, marker, cur.Revision, cur.Source)
		}
	}
	return lost
}

// assertNoLegacy: a migrated source holds a task runner and no legacy keys.
func migratedSource(src string) bool {
	return strings.Contains(src, "taskRunner:") && !strings.Contains(src, "runner: PROCESS") &&
		!strings.Contains(src, "runner: DOCKER") && !strings.Contains(src, "\n    docker:") &&
		!strings.Contains(src, "\n        docker:")
}

// syncWriter serializes writes from concurrent loggers into one buffer.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
