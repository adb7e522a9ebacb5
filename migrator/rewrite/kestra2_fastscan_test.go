package rewrite

import (
	"os"
	"path/filepath"
	"testing"
)

// kestra2Seeds are our golden inputs of every rule, plus the shared corpus
// and both peer sets when present.
func kestra2Seeds(tb testing.TB) [][]byte {
	seeds := seedFlows(tb)
	for _, pattern := range []string{"testdata/kestra2/*.in.yml", filepath.Join(sharedRoot(), "peer", "kestra-migrate-v2", "*.yaml")} {
		files, _ := filepath.Glob(pattern)
		for _, f := range files {
			if b, err := os.ReadFile(f); err == nil {
				seeds = append(seeds, SplitDocuments(b)...)
			}
		}
	}
	return seeds
}

// assertMentionsSound: a rule that plans anything for src must say so in
// its fast scan, or the fast path would answer up-to-date wrongly.
func assertMentionsSound(t *testing.T, src []byte) {
	t.Helper()
	if hasOddLineBreaks(src) {
		return // Rewrite refuses these before any rule plans
	}
	d, err := ParseDocument(src)
	if err != nil || d.Root == nil {
		return
	}
	for _, r := range DefaultRules(RuleConfig{}) {
		if outs := r.Plan(d); len(outs) > 0 && !r.Mentions(src) {
			t.Errorf("%s plans %d outcomes (first at %s) but its Mentions says no for:\n%s",
				r.Info().Name, len(outs), outs[0].Describe(), src)
		}
	}
}

func TestKestra2MentionsIsSound(t *testing.T) {
	for _, src := range kestra2Seeds(t) {
		assertMentionsSound(t, src)
	}
}

// TestKestra2FastPath: a flow no rule touches is answered without a parse
// (every rule's Mentions is a byte scan), also when it holds the new forms
// and words the rules look for in other places.
func TestKestra2FastPath(t *testing.T) {
	clean := []string{
		mustReadString(t, "testdata/kestra2/untouched.in.yml"),
		"id: a\nnamespace: b\ninputs:\n  - id: x\n    type: BOOL\n    defaults: true\ntasks:\n  - id: l\n    type: io.kestra.plugin.core.log.Log\n    message: '{{ x | toJson }} {{ fromJson(y) }} json is fine here'\n",
		"id: a\nnamespace: b\ntasks:\n  - id: p\n    type: io.kestra.plugin.core.flow.Pause\n    pauseDuration: PT1M\n    retry:\n      type: constant\n      maxAttempts: 2\n",
		"id: a\nnamespace: b\ntasks:\n  - id: h\n    type: io.kestra.plugin.core.http.Request\n    uri: https://x/data.json\n    options:\n      auth: {type: BASIC, username: u}\n",
		"id: a\nnamespace: b\ntasks:\n  - id: c\n    type: io.kestra.plugin.git.Clone\n    url: https://x\n  - id: s\n    type: io.kestra.plugin.core.flow.Subflow\n    flowId: f\n    namespace: b\n",
	}
	rw := MustRewriter(Options{Target: Target20})
	for _, src := range clean {
		for _, r := range rw.Rules() {
			if r.Mentions([]byte(src)) {
				t.Errorf("%s mentions a flow it has nothing to do in:\n%s", r.Info().Name, src)
			}
		}
		if res, err := rw.Rewrite([]byte(src)); err != nil || res.Status != StatusUpToDate {
			t.Errorf("status %s, %v", res.Status, err)
		}
		// No parse: a YAML parse allocates, the fast path does not.
		b := []byte(src)
		if n := testing.AllocsPerRun(20, func() { _, _ = rw.Rewrite(b) }); n != 0 {
			t.Errorf("%.0f allocations answering a clean flow: it was parsed", n)
		}
	}
}

func mustReadString(t *testing.T, path string) string { return string(mustRead(t, path)) }

// FuzzKestra2: the rewrite invariants with every rule aimed at 2.0 (never a
// panic, output parses, a second pass is a no-op, a refused flow is
// byte-identical) and the soundness of every fast scan.
func FuzzKestra2(f *testing.F) {
	for _, s := range kestra2Seeds(f) {
		f.Add(s)
	}
	rw := MustRewriter(Options{Target: Target20})
	f.Fuzz(func(t *testing.T, src []byte) {
		assertMentionsSound(t, src)
		checkRewriteInvariants(t, rw, src)
	})
}
