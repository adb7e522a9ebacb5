package rewrite

import (
	"bytes"
	"syscall"
	"testing"
	"time"
)

// BenchmarkRewriteMix rewrites the seed mix (golden inputs, examples, and
// the corpus and peer vectors when present): flows/s, and flows per
// CPU-second (flows/s per core, whatever else the machine is running).
func BenchmarkRewriteMix(b *testing.B) {
	benchmarkFlows(b, seedFlows(b))
}

// BenchmarkRewriteCorpus rewrites the real flows of ../shared/corpus only
// (skipped when absent): the figure the README reports.
func BenchmarkRewriteCorpus(b *testing.B) {
	benchmarkFlows(b, corpusFlows(b))
}

// BenchmarkParseCorpus parses the corpus's flows and does nothing else:
// the ceiling of the rewrite's flows per CPU-second, since every flow with
// legacy usage is parsed once (go.yaml.in/yaml/v3, into a node tree).
func BenchmarkParseCorpus(b *testing.B) {
	benchmarkEach(b, corpusFlows(b), func(f []byte) error {
		_, err := ParseDocument(f)
		return err
	})
}

func benchmarkFlows(b *testing.B, flows [][]byte) {
	rw := MustRewriter(Options{})
	var size int
	for _, f := range flows {
		size += len(f)
	}
	benchmarkEach(b, flows, func(f []byte) error {
		_, err := rw.Rewrite(f)
		return err
	})
	b.ReportMetric(float64(size)/float64(len(flows)), "bytes/flow")
}

// benchmarkEach runs fn over every flow b.N times: flows/s, and flows per
// CPU-second (flows/s per core, whatever else the machine is running).
func benchmarkEach(b *testing.B, flows [][]byte, fn func([]byte) error) {
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		for _, f := range flows {
			if err := fn(f); err != nil {
				b.Fatal(err)
			}
		}
	}
	cpu := cpuTime() - cpu0
	n := float64(b.N * len(flows))
	b.ReportMetric(n/b.Elapsed().Seconds(), "flows/s")
	if cpu > 0 {
		b.ReportMetric(n/cpu.Seconds(), "flows/cpu-s")
	}
}

// cpuTime is the CPU time this process used (user and system, all threads).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
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
