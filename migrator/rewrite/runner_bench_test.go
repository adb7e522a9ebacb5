package rewrite

import "testing"

// BenchmarkRunnerRuleCorpus is BenchmarkRewriteCorpus with the runner rule
// alone: the figure to compare with the releases before the 2.0 rules.
func BenchmarkRunnerRuleCorpus(b *testing.B) {
	benchmarkRule(b, corpusFlows(b), NewRunnerRule(RunnerOptions{}))
}

// BenchmarkRunnerRuleMix: the same over our golden inputs and examples.
func BenchmarkRunnerRuleMix(b *testing.B) {
	benchmarkRule(b, seedFlows(b), NewRunnerRule(RunnerOptions{}))
}

func benchmarkRule(b *testing.B, flows [][]byte, rules ...Rule) {
	rw := MustRewriter(Options{Rules: rules})
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, f := range flows {
			if _, err := rw.Rewrite(f); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N*len(flows))/b.Elapsed().Seconds(), "flows/s")
}
