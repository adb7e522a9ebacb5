package rewrite

import (
	"bytes"
	"testing"
)

// BenchmarkRewriteMix rewrites the seed mix (golden inputs, and the corpus
// when present): flows/s per core and allocations.
func BenchmarkRewriteMix(b *testing.B) {
	flows := seedFlows(b)
	rw := MustRewriter(Options{})
	var size int
	for _, f := range flows {
		size += len(f)
	}
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
	b.ReportMetric(float64(size)/float64(len(flows)), "bytes/flow")
}

// BenchmarkFastPath answers flows that have no legacy key without parsing.
func BenchmarkFastPath(b *testing.B) {
	var flows [][]byte
	rw := MustRewriter(Options{})
	for _, f := range seedFlows(b) {
		if res, err := rw.Rewrite(f); err == nil && res.Status == StatusPending && !rw.mentions(res.Source) {
			flows = append(flows, res.Source) // a migrated flow has no legacy key
		}
	}
	src := bytes.Join(flows, nil)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, f := range flows {
			res, _ := rw.Rewrite(f)
			if res.Status != StatusUpToDate {
				b.Fatal("not up to date")
			}
		}
	}
}
