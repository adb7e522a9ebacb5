package rewrite

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkKestra2Golden rewrites every golden input (the runner rule's and
// the 2.0 rules') with the full default rule set aimed at 2.0: flows/s per
// core (run with -cpu 1) and allocations.
func BenchmarkKestra2Golden(b *testing.B) {
	var flows [][]byte
	for _, pattern := range []string{"testdata/rewrite/*.in.yml", "testdata/kestra2/*.in.yml"} {
		files, _ := filepath.Glob(pattern)
		for _, f := range files {
			if src, err := os.ReadFile(f); err == nil {
				flows = append(flows, src)
			}
		}
	}
	if len(flows) == 0 {
		b.Fatal("no golden inputs")
	}
	benchRewrite(b, flows)
}

// BenchmarkKestra2Clean is the fleet's common case: flows no rule touches,
// answered by the fast scans of every rule without a parse.
func BenchmarkKestra2Clean(b *testing.B) {
	rw := MustRewriter(Options{Target: Target20})
	var flows [][]byte
	for _, src := range kestra2Seeds(b) {
		if !rw.mentions(src) {
			flows = append(flows, src)
		}
	}
	if len(flows) == 0 {
		b.Skip("no clean flow among the seeds")
	}
	benchRewrite(b, flows)
}

func benchRewrite(b *testing.B, flows [][]byte) {
	rw := MustRewriter(Options{Target: Target20})
	var size int
	for _, f := range flows {
		size += len(f)
	}
	b.SetBytes(int64(size)) // one op rewrites every flow
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, f := range flows {
			if _, err := rw.Rewrite(f); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N*len(flows))/b.Elapsed().Seconds(), "flows/s")
	b.ReportMetric(float64(len(flows)), "flows")
}
