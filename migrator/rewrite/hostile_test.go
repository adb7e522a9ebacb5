package rewrite

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// billionLaughs is a small flow with nine levels of aliases, each doubling
// ten times, next to a legacy task: expanding the aliases would take 10^9 steps.
func billionLaughs() []byte {
	var b strings.Builder
	b.WriteString("id: laughs\nnamespace: company.team\nvariables:\n  l0: &l0 lol\n")
	for i := 1; i <= 9; i++ {
		p := fmt.Sprintf("*l%d", i-1)
		fmt.Fprintf(&b, "  l%d: &l%d [%s]\n", i, i, strings.Repeat(p+", ", 9)+p)
	}
	b.WriteString("tasks:\n  - id: sh\n    type: io.kestra.plugin.scripts.shell.Commands\n    runner: PROCESS\n    commands: [echo]\n")
	return []byte(b.String())
}

// TestBillionLaughsIsLinear: verification compares aliases by identity; it
// would hang for hours if it followed them.
func TestBillionLaughsIsLinear(t *testing.T) {
	rw := MustRewriter(Options{})
	res, err := rw.Rewrite(billionLaughs())
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusPending || !strings.Contains(string(res.Source), "io.kestra.plugin.core.runner.Process") {
		t.Fatalf("status %s (%s)", res.Status, res.Reason)
	}
	checkInvariants(t, rw, billionLaughs(), res)
}

// TestEqualNodesAliases: an alias matches only an alias of the matching anchor.
func TestEqualNodesAliases(t *testing.T) {
	cases := []struct {
		a, b string
		same bool
	}{
		{"a: &x 1\nb: *x\n", "a: &y 1\nb: *y\n", true},
		{"a: &x 1\nb: *x\n", "a: &x 1\nb: 1\n", false},
		{"a: &x 1\nc: &z 1\nb: *x\n", "a: &x 1\nc: &z 1\nb: *z\n", false},
		{"b: 2\na: 1\n", "a: 1\nb: 2\n", true},
		// an alias in a complex key to the mapping that holds the key: the
		// key's comparison must find the anchor matched (it overflowed the
		// stack, found by FuzzKestra2)
		{"&a\nk:\n  ? x: *a\n  : 1\n", "&a\nk:\n  ? x: *a\n  : 1\n", true},
		{"&a\nk:\n  ? x: *a\n  : 1\n", "&a\nk:\n  ? x: *a\n  : 2\n", false},
	}
	for _, c := range cases {
		a, err1 := ParseDocument([]byte(c.a))
		b, err2 := ParseDocument([]byte(c.b))
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if _, same := equalNodes(a.Root, b.Root, ""); same != c.same {
			t.Errorf("%q vs %q: same %v, want %v", c.a, c.b, same, c.same)
		}
	}
}

// manyTasks is a flow of n legacy tasks (their runner key last, when
// last: the edited entries end each task, and the sequence).
func manyTasks(n int, last bool) []byte {
	var b strings.Builder
	b.WriteString("id: big\nnamespace: company.team\ntasks:\n")
	for i := 0; i < n; i++ {
		if last {
			fmt.Fprintf(&b, "  - id: t%d\n    type: io.kestra.plugin.scripts.shell.Commands\n    commands: [echo]\n    runner: PROCESS\n", i)
		} else {
			fmt.Fprintf(&b, "  - id: t%d\n    type: io.kestra.plugin.scripts.shell.Commands\n    runner: PROCESS\n    commands: [echo]\n", i)
		}
	}
	return []byte(b.String())
}

// BenchmarkRewrite100kTasks: every step is linear; a 100,000-task flow
// takes seconds (it took minutes when the indentation step was recomputed
// over the whole document for each task).
func BenchmarkRewrite100kTasks(b *testing.B) {
	for _, last := range []bool{false, true} {
		b.Run(map[bool]string{false: "runner-inside", true: "runner-last"}[last], func(b *testing.B) {
			src := manyTasks(100_000, last)
			rw := MustRewriter(Options{})
			b.SetBytes(int64(len(src)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				res, err := rw.Rewrite(src)
				if err != nil || res.Status != StatusPending || len(res.Changes) != 100_000 {
					b.Fatalf("%v %s %d", err, res.Status, len(res.Changes))
				}
			}
		})
	}
}

// TestRewriteContextStops: a done context stops the rewrite of a large flow
// between its steps, and nothing is returned as if it were done.
func TestRewriteContextStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := MustRewriter(Options{}).RewriteContext(ctx, manyTasks(2000, false))
	if !errors.Is(err, context.Canceled) || res.Source != nil {
		t.Fatalf("err %v, status %q", err, res.Status)
	}
}

// TestParseDocumentEdges: a broken second document is an error (it was
// ignored), several documents are refused, comments alone are no document.
func TestParseDocumentEdges(t *testing.T) {
	for src, wantErr := range map[string]string{
		"id: a\n---\nb: [\n":         "did not find expected node content",
		"id: a\n---\nid: b\n":        "several YAML documents",
		"# only a comment\n":         "",
		"":                           "",
		"%YAML 1.2\n---\nid: a\n":    "",
		"---\nid: a\n...\n# after\n": "",
	} {
		d, err := ParseDocument([]byte(src))
		switch {
		case wantErr == "" && err != nil:
			t.Errorf("%q: %v", src, err)
		case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
			t.Errorf("%q: err %v, want %q", src, err, wantErr)
		case wantErr == "" && strings.HasPrefix(src, "#") && !d.Empty():
			t.Errorf("%q: not empty", src)
		}
	}
}
