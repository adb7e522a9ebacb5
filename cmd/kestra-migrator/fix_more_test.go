package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFixExitCodes: every row of the README's exit-code table that fix can reach.
func TestFixExitCodes(t *testing.T) {
	const broken = "id: x\nnamespace: n\ntasks: [\n"
	cases := []struct {
		name  string
		files map[string]string
		args  []string
		want  int
	}{
		{"pending, diff only", map[string]string{"a.yml": legacyFlow}, nil, exitOK},
		{"pending, write", map[string]string{"a.yml": legacyFlow}, []string{"--write"}, exitOK},
		{"pending, check", map[string]string{"a.yml": legacyFlow}, []string{"--check"}, exitPending},
		{"unsupported, diff only", map[string]string{"u.yml": mixedFlow}, nil, exitIncomplete},
		{"unsupported, write", map[string]string{"u.yml": mixedFlow}, []string{"--write"}, exitIncomplete},
		{"unsupported, check", map[string]string{"u.yml": mixedFlow}, []string{"--check"}, exitPending},
		{"does not parse, check", map[string]string{"b.yml": broken}, []string{"--check"}, exitPending},
		{"does not parse, write", map[string]string{"b.yml": broken}, []string{"--write"}, exitIncomplete},
		{"no flow file, check", map[string]string{"notes.txt": "x"}, []string{"--check"}, exitUsage},
		{"empty directory", map[string]string{}, []string{"--check"}, exitUsage},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range c.files {
				writeFile(t, dir, name, content, 0o644)
			}
			if code, _, errs := execute(t, append(append([]string{"fix"}, c.args...), dir)...); code != c.want {
				t.Errorf("exit %d, want %d (%s)", code, c.want, errs)
			}
		})
	}
}

// TestFixStdin: "fix -" reads a flow from stdin and writes the result to stdout.
func TestFixStdin(t *testing.T) {
	in := writeFile(t, t.TempDir(), "in.yml", legacyFlow, 0o644)
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	old := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = old }()
	code, out, errs := execute(t, "fix", "-")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	want := strings.Replace(legacyFlow, "    runner: PROCESS\n", "    taskRunner:\n      type: io.kestra.plugin.core.runner.Process\n", 1)
	if out != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", out, want)
	}
}

// TestFixYAMLErrorLines: the line in the message is the line the user sees.
func TestFixYAMLErrorLines(t *testing.T) {
	cases := map[string]string{
		"id: x\nnamespace: n\nb: [1,\nc: d\n":                   "line 3:", // parser error: the flow sequence's line
		"id: x\nnamespace: n\nb:\n\t- x\n":                      "line 4:", // scanner error: the tab
		"id: x\nnamespace: n\n---\nid: y\nnamespace: n\nb: [\n": "line 6:", // second document
	}
	for src, want := range cases {
		dir := t.TempDir()
		writeFile(t, dir, "f.yml", src, 0o644)
		_, out, _ := execute(t, "fix", "-o", "json", dir)
		if !strings.Contains(out, `"reason": "`+want) {
			t.Errorf("%q: want %q in\n%s", src, want, out)
		}
	}
}

// TestFixNotAFlow: YAML without id/namespace is reported as not a flow,
// never up-to-date; a comment-only document between --- is kept silently.
func TestFixNotAFlow(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "compose.yml", "services:\n  web:\n    image: nginx\n", 0o644)
	ok := writeFile(t, dir, "multi.yml", legacyFlow+"---\n# just a comment\n---\n"+strings.Replace(legacyFlow, "id: hello", "id: two", 1), 0o644)
	code, out, _ := execute(t, "fix", "--check", "-o", "json", dir)
	if code != exitPending {
		t.Errorf("exit %d, want %d", code, exitPending)
	}
	if !strings.Contains(out, "not a Kestra flow") {
		t.Errorf("not reported as not a flow:\n%s", out)
	}
	if code, _, errs := execute(t, "fix", "--write", ok); code != exitOK {
		t.Fatalf("write: exit %d: %s", code, errs)
	}
	if b, _ := os.ReadFile(ok); !strings.Contains(string(b), "---\n# just a comment\n---\n") || strings.Count(string(b), "taskRunner") != 2 {
		t.Errorf("comment-only document not kept:\n%s", b)
	}
}

// TestFixSummaryCountsFiles: the closing log line counts files, not arguments.
func TestFixSummaryCountsFiles(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 15; i++ {
		writeFile(t, dir, fmt.Sprintf("f%02d.yml", i), strings.Replace(legacyFlow, "id: hello", fmt.Sprintf("id: f%d", i), 1), 0o644)
	}
	_, _, errs := execute(t, "fix", "--check", dir)
	if !strings.Contains(errs, "files=15") {
		t.Errorf("summary does not count 15 files: %s", errs)
	}
}

// TestFixSkipsFIFO: a FIFO named *.yml is skipped with a reason (reading it
// would block forever); the flows beside it are handled.
func TestFixSkipsFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.yml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	writeFile(t, dir, "a.yml", legacyFlow, 0o644)
	done := make(chan struct{})
	var code int
	var out string
	go func() {
		code, out, _ = execute(t, "fix", "-o", "json", dir)
		close(done)
	}()
	<-done // a blocked read would end the test by its timeout, not by a clock here
	if code != exitOK || !strings.Contains(out, "pipe.yml skipped: not a regular file (a FIFO)") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if code, _, errs := execute(t, "fix", fifo); code != exitUsage {
		t.Errorf("a FIFO alone: exit %d, want 2 (%s)", code, errs)
	}
}

// TestFixWriteThroughSymlink: the link's target is rewritten, the link stays.
func TestFixWriteThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	target := writeFile(t, dir, "real/flow.yml", legacyFlow, 0o640)
	link := filepath.Join(dir, "flows", "link.yml")
	os.MkdirAll(filepath.Dir(link), 0o755)
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := execute(t, "fix", "--write", filepath.Join(dir, "flows")); code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", fi.Mode(), err)
	}
	b, _ := os.ReadFile(target)
	if !strings.Contains(string(b), "taskRunner:") {
		t.Errorf("the target was not rewritten:\n%s", b)
	}
	if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", fi.Mode().Perm())
	}
}

// TestFixWriteKeepsOwnerAndWarnsHardLinks: owner and group stay; a file with
// a second hard link becomes a file of its own, and the report says so.
func TestFixWriteKeepsOwnerAndWarnsHardLinks(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "a.yml", legacyFlow, 0o644)
	other := filepath.Join(dir, "other-name.txt")
	if err := os.Link(p, other); err != nil {
		t.Skipf("link: %v", err)
	}
	owner := func(path string) (uint32, uint32) {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		return st.Uid, st.Gid
	}
	if os.Geteuid() == 0 { // root: give the file to someone else and see it kept
		if err := os.Chown(p, 4321, 4321); err != nil {
			t.Fatal(err)
		}
	}
	uid, gid := owner(p)
	code, out, errs := execute(t, "fix", "--write", "-o", "json", p)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if u, g := owner(p); u != uid || g != gid {
		t.Errorf("owner %d:%d, want %d:%d", u, g, uid, gid)
	}
	if !strings.Contains(out, "hard links") {
		t.Errorf("no hard-link warning:\n%s", out)
	}
	if b, _ := os.ReadFile(other); string(b) != legacyFlow {
		t.Errorf("the other name changed")
	}
}

// TestFixInterruptedLeavesFilesWhole: a cancelled run exits 1 and leaves
// every file either as it was or completely rewritten, with no temp file.
func TestFixInterruptedLeavesFilesWhole(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 40; i++ {
		writeFile(t, dir, fmt.Sprintf("f%02d.yml", i), legacyFlow, 0o644)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	var out, errb strings.Builder
	if code := run(ctx, []string{"fix", "--write", dir}, &out, &errb); code != exitError {
		t.Errorf("exit %d, want 1: %s", code, errb.String())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 40 {
		t.Errorf("%d entries: temporary files left", len(entries))
	}
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		if string(b) != legacyFlow && !strings.Contains(string(b), "taskRunner:") {
			t.Errorf("%s is neither old nor new:\n%s", e.Name(), b)
		}
	}
}

var _ = json.Valid
var _ = time.Now
