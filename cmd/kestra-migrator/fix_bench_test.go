package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// BenchmarkFixWrite runs `fix --write` (in this process, the command line
// as a user types it) over 20 copies of the shared corpus's legacy flows
// (../shared/corpus/dep_*.yml, skipped when absent), the files that
// .ci/bench-fix-vs-yq.sh times against a yq loop: files/s, and the CPU
// time per file. The copies are made outside the timed part.
func BenchmarkFixWrite(b *testing.B) {
	shared := os.Getenv("KESTRA_MIGRATOR_SHARED")
	if shared == "" {
		shared = filepath.Join("..", "..", "..", "shared")
	}
	legacy, _ := filepath.Glob(filepath.Join(shared, "corpus", "dep_*.yml"))
	if len(legacy) == 0 {
		b.Skip("no dep_*.yml in " + filepath.Join(shared, "corpus"))
	}
	texts := make([][]byte, len(legacy))
	for i, f := range legacy {
		var err error
		if texts[i], err = os.ReadFile(f); err != nil {
			b.Fatal(err)
		}
	}
	const copies = 20
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		root := b.TempDir()
		for c := 0; c < copies; c++ {
			dir := filepath.Join(root, "flows", strconv.Itoa(c))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				b.Fatal(err)
			}
			for j, t := range texts {
				if err := os.WriteFile(filepath.Join(dir, filepath.Base(legacy[j])), t, 0o644); err != nil {
					b.Fatal(err)
				}
			}
		}
		args := []string{"fix", "--write", "--log-level", "error", "-o", "json",
			"--output", filepath.Join(root, "report.json"), filepath.Join(root, "flows")}
		b.StartTimer()
		// 4: some corpus flows are unsupported and left as they are
		if code := run(context.Background(), args, io.Discard, io.Discard); code != 0 && code != 4 {
			b.Fatalf("fix --write exited %d", code)
		}
	}
	b.ReportMetric(float64(copies*len(texts)*b.N)/b.Elapsed().Seconds(), "files/s")
}
