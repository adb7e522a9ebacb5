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
	f.Fuzz(func(t *testing.T, src []byte) {
		res, err := rw.Rewrite(src)
		var internal *InternalError
		if errors.As(err, &internal) {
			t.Fatal(err)
		}
		if err != nil {
			return // a source that does not parse is reported, not rewritten
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
	})
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
	add("../configs/examples/flows/*/*.yml")
	root := os.Getenv("KESTRA_MIGRATOR_SHARED")
	if root == "" {
		root = filepath.Join("..", "..", "shared")
	}
	add(filepath.Join(root, "peer", "kestra-migrate", "*.in.yaml"))
	add(filepath.Join(root, "corpus", "*.y*ml"))
	add(filepath.Join(root, "corpus", "*", "*.y*ml"))
	return seeds
}
