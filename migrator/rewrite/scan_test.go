package rewrite

import (
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
