package rewrite

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestRewriteGolden runs every testdata/rewrite/*.in.yml through the rewrite
// and compares the text (*.out.yml) and the findings (*.result.txt).
func TestRewriteGolden(t *testing.T) {
	runGoldenDir(t, "testdata/rewrite", func(name string) *Rewriter {
		return MustRewriter(Options{Partial: strings.HasPrefix(name, "partial-")})
	})
}

// runGoldenDir rewrites every dir/*.in.yml with the rewriter its name asks
// for, checks the invariants, and compares the text (*.out.yml) and the
// findings (*.result.txt) with the golden files.
func runGoldenDir(t *testing.T, dir string, rewriterFor func(name string) *Rewriter) {
	inputs, err := filepath.Glob(filepath.Join(dir, "*.in.yml"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no golden inputs in %s: %v", dir, err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".in.yml")
		t.Run(name, func(t *testing.T) {
			src := mustRead(t, in)
			rw := rewriterFor(name)
			res, err := rw.Rewrite(src)
			if err != nil {
				t.Fatalf("rewrite: %v", err)
			}
			checkInvariants(t, rw, src, res)
			golden(t, strings.TrimSuffix(in, ".in.yml")+".out.yml", res.Source)
			golden(t, strings.TrimSuffix(in, ".in.yml")+".result.txt", []byte(describeResult(res)))
		})
	}
}

// checkInvariants holds for every input: the output parses, a second pass
// changes nothing, and only a pending flow changes at all.
func checkInvariants(t *testing.T, rw *Rewriter, src []byte, res Result) {
	t.Helper()
	if res.Status != StatusPending && !bytes.Equal(res.Source, src) {
		t.Errorf("status %s but the source changed", res.Status)
	}
	if res.Status == StatusPending && bytes.Equal(res.Source, src) {
		t.Errorf("status pending but the source is unchanged")
	}
	if _, err := ParseDocument(res.Source); err != nil {
		t.Fatalf("output does not parse: %v", err)
	}
	again, err := rw.Rewrite(res.Source)
	if err != nil {
		t.Fatalf("second pass: %v", err)
	}
	if !bytes.Equal(again.Source, res.Source) {
		t.Errorf("second pass changed the text again (status %s)", again.Status)
	}
	for _, c := range res.Changes {
		if c.Rule == "" {
			t.Errorf("change at %s names no rule", c.Path)
		}
	}
	for _, w := range res.Warnings {
		if w.Rule == "" {
			t.Errorf("warning %q names no rule", w.Message)
		}
	}
	if res.Status == StatusPending && len(again.Changes) != 0 {
		t.Errorf("second pass over a migrated flow finds changes: %v", again.Changes)
	}
}

func describeResult(res Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "status: %s\n", res.Status)
	if res.Reason != "" {
		fmt.Fprintf(&b, "reason: %s\n", res.Reason)
	}
	for _, c := range res.Changes {
		fmt.Fprintf(&b, "change: %s (%s) %s: %v -> %v\n", c.Path, c.TaskID, c.Type, c.From, c.To)
	}
	for _, u := range res.Unsupported {
		fmt.Fprintf(&b, "unsupported: %s: %s\n", u.Describe(), u.Unsupported)
	}
	for _, w := range res.Warnings {
		if w.Code != "" {
			fmt.Fprintf(&b, "detected: %s %s %s: %s\n", w.Rule, w.Code, w.Severity, w.Message)
			continue
		}
		fmt.Fprintf(&b, "warning: %s\n", w.Message)
	}
	if res.Proposed != nil {
		fmt.Fprintf(&b, "proposed:\n%s", res.Proposed)
	}
	return b.String()
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want := mustRead(t, path)
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test -update and review the diff)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	return mustReadTB(t, path)
}

func mustReadTB(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
