package kestrafake

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestSplitDocuments(t *testing.T) {
	got := SplitDocuments("---\na: 1\n--- # second\r\nb: 2\r\n---\n# only a comment\n---\n  ---\nc: 3")
	want := []string{"a: 1\n", "b: 2\r\n", "  ---\nc: 3"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestSeedFSStoresEveryFlowAsItIs(t *testing.T) {
	const valid = "id: %s\nnamespace: company\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"
	dup := fmt.Sprintf(valid, "dup")
	files := fstest.MapFS{
		"a/extend.yml":  {Data: []byte(fmt.Sprintf(valid, "extended") + "extend:\n  title: x\n")},
		"a/twice.yaml":  {Data: []byte(dup + "---\n" + fmt.Sprintf(valid, "other"))},
		"b/dup.yml":     {Data: []byte(dup + "# the later file\n")},
		"b/dupkey.yml":  {Data: []byte("id: dupkey\nnamespace: company\ntasks:\n  - id: t\n    type: io.kestra.plugin.scripts.shell.Commands\n    runner: DOCKER\n    runner: PROCESS\n")},
		"b/ignored.txt": {Data: []byte("not a flow")},
		"c/broken.yml":  {Data: []byte("id: 'broken' # quoted\nnamespace: company.team\ntasks:\n  - id: t\n   type: x\n")},
	}
	s := New(Options{})
	defer s.Close()
	got, err := s.SeedFS(files, ".")
	if err != nil {
		t.Fatal(err)
	}
	want := []SeedFlow{
		{Origin: "a/extend.yml", Namespace: "company", ID: "extended", Invalid: `Unrecognized field "extend"`},
		{Origin: "a/twice.yaml#1", Namespace: "company", ID: "dup"},
		{Origin: "a/twice.yaml#2", Namespace: "company", ID: "other"},
		{Origin: "b/dup.yml", Namespace: "company", ID: "dup", Replaced: "a/twice.yaml#1"},
		{Origin: "b/dupkey.yml", Namespace: "company", ID: "dupkey", Invalid: `mapping key "runner" already defined`},
		{Origin: "c/broken.yml", Namespace: "company.team", ID: "broken", Invalid: "Unable to parse flow: yaml:"},
	}
	if diff := cmp.Diff(want, got, cmpInvalid); diff != "" {
		t.Errorf("seed report (-want +got):\n%s", diff)
	}
	for _, f := range s.Flows() {
		file := map[string]string{"extended": "a/extend.yml", "dup": "b/dup.yml", "dupkey": "b/dupkey.yml", "broken": "c/broken.yml"}[f.ID]
		if file == "" {
			continue
		}
		if f.Source != string(files[file].Data) || f.Revision != 1 {
			t.Errorf("%s: revision %d source %q, want revision 1 of %s byte for byte", f.ID, f.Revision, f.Source, file)
		}
	}
	if n := len(s.Flows()); n != 5 {
		t.Errorf("%d flows stored, want 5", n)
	}
}

// cmpInvalid takes the wanted Invalid as a part of the message.
var cmpInvalid = cmp.Comparer(func(a, b SeedFlow) bool {
	ai, bi := a.Invalid, b.Invalid
	a.Invalid, b.Invalid = "", ""
	return a == b && (ai == bi || ai != "" && bi != "" && (strings.Contains(ai, bi) || strings.Contains(bi, ai)))
})

func TestSeedOnKestra2KeepsTheDockerBlockAndSaysSo(t *testing.T) {
	s := NewHandler(Options{Version: "2.0.0"})
	src := "id: py\nnamespace: company\ntasks:\n  - id: p\n    type: io.kestra.plugin.scripts.python.Script\n    docker:\n      image: python\n"
	f, err := s.Seed("py.yml", src)
	if err != nil || !strings.Contains(f.Invalid, `Unrecognized field "docker"`) {
		t.Fatalf("Seed = %+v, %v", f, err)
	}
	if got, _ := s.Flow("company", "py"); got.Source != src {
		t.Errorf("stored %q", got.Source)
	}
	if _, err := s.AddFlow(strings.Replace(src, "id: py", "id: py2", 1)); err == nil {
		t.Error("AddFlow, unlike Seed, must refuse what Kestra refuses")
	}
}

func TestSeedRefusesASourceThatNamesNoFlow(t *testing.T) {
	s := NewHandler(Options{})
	for _, src := range []string{
		"namespace: company\ntasks: []\n",
		"id: ../escape\nnamespace: company\n",
		"id: x\nnamespace: Company\n",
		"id: [broken\n",
	} {
		if f, err := s.Seed("bad.yml", src); err == nil || !strings.Contains(err.Error(), "seed bad.yml: no valid flow id and namespace") {
			t.Errorf("Seed(%q) = %+v, %v", src, f, err)
		}
	}
	if n := len(s.Flows()); n != 0 {
		t.Errorf("%d flows stored", n)
	}
}
