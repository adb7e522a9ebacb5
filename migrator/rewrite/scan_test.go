package rewrite

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// assertScanAgrees: each question the shared scan answers has the answer of
// the byte scan it replaces (scan.go), on src.
func assertScanAgrees(t *testing.T, src []byte) {
	t.Helper()
	s := newScan(src)
	for _, ks := range [][]string{runnerKeys, {"backfill", "backfills", "minLogLevel"}, {"inputs", "onResume"}} {
		if got, want := s.key(keysOf(ks...)), MentionsKey(src, ks...); got != want {
			t.Fatalf("key(%q) = %v, MentionsKey says %v for:\n%s", ks, got, want, src)
		}
		if got, want := s.keyOrEscape(keysOf(ks...)), mentionsKeyOrEscape(src, ks...); got != want {
			t.Fatalf("keyOrEscape(%q) = %v, mentionsKeyOrEscape says %v for:\n%s", ks, got, want, src)
		}
	}
	for _, k := range scanKeys {
		if got, want := s.key(keysOf(k)), MentionsKey(src, k); got != want {
			t.Fatalf("key(%q) = %v, MentionsKey says %v for:\n%s", k, got, want, src)
		}
		if got, want := s.keyOrEscape(keysOf(k)), mentionsKeyOrEscape(src, k); got != want {
			t.Fatalf("keyOrEscape(%q) = %v, mentionsKeyOrEscape says %v for:\n%s", k, got, want, src)
		}
	}
	for _, c := range []struct {
		name  string
		set   typeSet
		group scanTypeGroup
	}{{"renames", typeRenameNames, typeRenameScan}, {"pause", pauseTypes, pauseScan}, {"fetch", fetchTypes, fetchScan},
		{"localDelete", localDeleteTypes, localDeleteScan}, {"subflow", subflowTypes, subflowScan}, {"purgeKV", purgeKVTypes, purgeKVScan}} {
		if got, want := s.typeName(c.group), mentionsTypeName(src, c.set); got != want {
			t.Fatalf("typeName(%s) = %v, mentionsTypeName says %v for:\n%s", c.name, got, want, src)
		}
	}
	for _, c := range []struct {
		name  string
		m     typeMatcher
		group scanTypeGroup
	}{{"removed", removedTypeMatcher(), removedTypesScan}, {"stateStore", stateStoreTaskTypes, stateStoreScan},
		{"sdkAuth", sdkAuthMatcher(), sdkAuthScan}, {"inputTriggers", inputTriggersMatcher(), inputTriggersScan}} {
		if got, want := s.typeMatch(c.group), c.m.mentionedIn(src); got != want {
			t.Fatalf("typeMatch(%s) = %v, mentionedIn says %v for:\n%s", c.name, got, want, src)
		}
	}
	if got, want := s.mentionsEEGitClone(), mentionsWord(src, EEGitClone.Old); got != want {
		t.Fatalf("mentionsEEGitClone = %v, mentionsWord says %v for:\n%s", got, want, src)
	}
	if got, want := rootIDMayBeReservedScan(s), rootIDMayBeReserved(src); got != want {
		t.Fatalf("rootIDMayBeReservedScan = %v, rootIDMayBeReserved says %v for:\n%s", got, want, src)
	}
}

func TestScanAgrees(t *testing.T) {
	seeds := append(seedFlows(t), kestra2Seeds(t)...)
	for _, s := range []string{
		"",
		"runner: x",
		"\"runner\" : x",
		"a: {runner}",
		"x: [docker, 'dockerOptions']\n",
		"k: *a\nrunner2: x\n",
		"id: pause\n",
		"---\nid: kill # c\n",
		"i: x\n" + strings.Repeat("id: a\n", 80) + "id: pause\n",
		"type: io.kestra.plugin.ee.git.Clone\n",
		"type: xio.kestra.io.kestra.plugin.core.flow.Pause\n",
		"a: kestra.io.kestra.plugin.core.flow.Pause io.io.kestra.core.tasks.scripts.Bash\n",
		"t: io.kestra.plugin.core.trigger.Schedule\n",
		"t: x.io.kestra.plugin.ee.git.Clone2 io.kestra.plugin.ee.git.Clon\n",
		"name: \"a\\x41\"\n",
		strings.Repeat("io.kestra.a ", 300) + "io.kestra.plugin.core.flow.Pause",
	} {
		seeds = append(seeds, []byte(s))
	}
	for _, src := range seeds {
		assertScanAgrees(t, src)
	}
}

func FuzzScanAgrees(f *testing.F) {
	for _, s := range seedFlows(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src []byte) { assertScanAgrees(t, src) })
}

// assertSkipAgrees: Rewrite, which asks only the rules whose byte scan says
// yes to plan, gives what a rewrite asking every rule gives.
func assertSkipAgrees(t *testing.T, rw *Rewriter, src []byte) {
	t.Helper()
	if !rw.mentions(src) {
		return // the fast path answers without a parse: FuzzFastPath's case
	}
	fast, err1 := rw.Rewrite(src)
	full, err2 := rw.rewriteParsed(src)
	if (err1 == nil) != (err2 == nil) {
		t.Fatalf("Rewrite error %v, with every rule %v, for:\n%s", err1, err2, src)
	}
	if err1 != nil {
		return
	}
	if !reflect.DeepEqual(summaryOf(fast), summaryOf(full)) {
		t.Fatalf("Rewrite gives\n%+v\nwith every rule planning:\n%+v\nfor:\n%s", summaryOf(fast), summaryOf(full), src)
	}
}

func summaryOf(r Result) []any {
	var unsupported []string
	for _, o := range r.Unsupported {
		unsupported = append(unsupported, o.Rule+" "+o.Describe()+": "+o.Unsupported)
	}
	return []any{string(r.Source), r.Status, r.Changes, r.Warnings, r.Reason, string(r.Proposed), unsupported}
}

func TestRewriteSkipsOnlyQuietRules(t *testing.T) {
	seeds := append(seedFlows(t), kestra2Seeds(t)...)
	if len(seeds) < 20 {
		t.Fatalf("only %d seeds", len(seeds))
	}
	for _, opts := range []Options{{}, {Target: Target20}, {Partial: true}} {
		rw := MustRewriter(opts)
		for _, src := range seeds {
			assertSkipAgrees(t, rw, src)
		}
	}
}

func FuzzRewriteSkipsOnlyQuietRules(f *testing.F) {
	for _, s := range seedFlows(f) {
		f.Add(s)
	}
	rw := MustRewriter(Options{})
	f.Fuzz(func(t *testing.T, src []byte) { assertSkipAgrees(t, rw, src) })
}

// mentionedIn, the reference srcScan.typeMatch is tested against (written
// on its own, not through collectTypes), scans src for every dotted name
// starting with "io.kestra." and reports whether one is in the set (or the source hides a name behind
// an escape). One pass, no parse, no allocation.
func (s typeMatcher) mentionedIn(src []byte) bool {
	// "kestra." is searched rather than "io.kestra.": 'k' is a rarer first
	// byte than 'i', which keeps the search on its fast path.
	stem := []byte("kestra.")
	for from := 0; ; {
		i := bytes.Index(src[from:], stem)
		if i < 0 {
			return mayHideWords(src)
		}
		start := from + i - len("io.")
		end := from + i + len(stem)
		if start < 0 || string(src[start:from+i]) != "io." {
			from = end
			continue
		}
		for end < len(src) && kestraNameChars[src[end]] {
			end++
		}
		if s.hasBytes(src[start:end]) {
			return true
		}
		from = end
	}
}
