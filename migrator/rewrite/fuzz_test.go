package rewrite

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRewrite: never panics; a rewritten output always parses and a second
// pass over it changes nothing; a refused flow is returned byte-identical.
func FuzzRewrite(f *testing.F) {
	for _, s := range seedFlows(f) {
		f.Add(s)
	}
	rw := MustRewriter(Options{})
	f.Fuzz(func(t *testing.T, src []byte) { checkRewriteInvariants(t, rw, src) })
}

// checkRewriteInvariants: never an internal error; a refused or clean flow
// keeps its bytes; a rewritten output parses and a second pass over it
// changes nothing.
func checkRewriteInvariants(t *testing.T, rw *Rewriter, src []byte) {
	res, err := rw.Rewrite(src)
	var internal *InternalError
	if errors.As(err, &internal) {
		t.Fatal(err)
	}
	if err != nil {
		return // a source that does not parse is reported, not rewritten
	}
	// the local verification decides as the whole parse does
	whole := *rw
	whole.wholeParse = true
	if w, err := whole.Rewrite(src); err != nil || w.Status != res.Status || !bytes.Equal(w.Source, res.Source) ||
		len(w.Changes) != len(res.Changes) || w.Reason != res.Reason || !bytes.Equal(w.Proposed, res.Proposed) {
		t.Fatalf("verified whole: %s %q (%v), locally: %s %q\n%s", w.Status, w.Reason, err, res.Status, res.Reason, src)
	}
	if res.Status != StatusPending {
		if !bytes.Equal(res.Source, src) {
			t.Fatalf("status %s changed the source", res.Status)
		}
		return
	}
	if _, err := ParseDocument(res.Source); err != nil {
		t.Fatalf("output does not parse: %v\n%s", err, res.Source)
	}
	again, err := rw.Rewrite(res.Source)
	if err != nil || !bytes.Equal(again.Source, res.Source) || len(again.Changes) != 0 {
		t.Fatalf("second pass not a no-op (%v, %v)\n%s", err, again.Changes, res.Source)
	}
}

// seedFlows gathers our golden inputs, plus the shared corpus and peer
// vectors when they are present.
func seedFlows(tb testing.TB) [][]byte {
	var seeds [][]byte
	add := func(pattern string) {
		files, _ := filepath.Glob(pattern)
		for _, f := range files {
			if b, err := os.ReadFile(f); err == nil {
				seeds = append(seeds, SplitDocuments(b)...)
			}
		}
	}
	add("testdata/rewrite/*.in.yml")
	add("../../configs/examples/flows/*/*.yml")
	root := sharedRoot()
	add(filepath.Join(root, "peer", "kestra-migrate", "*.in.yaml"))
	add(filepath.Join(root, "corpus", "*.y*ml"))
	add(filepath.Join(root, "corpus", "*", "*.y*ml"))
	return seeds
}

// FuzzFastPath: whenever the fast scan answers "no legacy key" without a
// parse, the full parse agrees: the flow is up-to-date, unchanged, with no
// finding. Inputs that do not parse are left out (the fast path does not
// validate YAML; fix parses every document for that).
func FuzzFastPath(f *testing.F) {
	for _, s := range seedFlows(f) {
		f.Add(s)
	}
	for _, s := range []string{
		"id: a\nnamespace: n\ntasks:\n  - id: t\n    type: io.kestra.plugin.scripts.shell.Commands\n    \"\\x72unner\": DOCKER\n",
		"id: a\nnamespace: n\ntasks:\n  - id: t\n    type: io.kestra.plugin.scripts.shell.Commands\n    ? runner  # note\n    : DOCKER\n",
		"id: a\nnamespace: n\nk: &k runner\ntasks:\n  - id: t\n    type: io.kestra.plugin.scripts.shell.Commands\n    *k : DOCKER\n",
		"id: a\nnamespace: n\nb: &b {docker: {image: x}}\ntasks:\n  - id: t\n    type: io.kestra.plugin.scripts.shell.Commands\n    <<: *b\n",
		"id: a\nnamespace: n\ntasks:\n  - {id: t, type: io.kestra.plugin.dbt.cli.Build, dockerOptions: {image: x}}\n",
		"id: a\nnamespace: n\ntasks:\n  - id: t\n    type: io.kestra.plugin.scripts.shell.Commands\n    ? |-\n      runner\n    : DOCKER\n",
	} {
		f.Add([]byte(s))
	}
	rw := MustRewriter(Options{})
	f.Fuzz(func(t *testing.T, src []byte) {
		if rw.mentions(src) {
			return // the fast path parses: nothing to compare
		}
		full, err := rw.rewriteParsed(src)
		if err != nil {
			var internal *InternalError
			if errors.As(err, &internal) {
				t.Fatal(err)
			}
			return
		}
		if full.Status != StatusUpToDate || !bytes.Equal(full.Source, src) || len(full.Warnings) > 0 {
			t.Fatalf("the fast path says up-to-date, the full parse says %s (%s)", full.Status, full.Reason)
		}
		if d, err := ParseDocument(src); err == nil && hasAnyKey(d.Root, rw.DeprecatedKeys()) {
			t.Fatalf("the fast path missed a legacy key")
		}
	})
}
