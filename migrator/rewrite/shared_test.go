package rewrite

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// sharedDir locates the project's ../shared (third-party corpus and peer
// vectors, never copied into the repo); tests using it skip when absent.
func sharedDir(t testing.TB, sub string) string {
	t.Helper()
	dir := filepath.Join(sharedRoot(), sub)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("%s not present: %v", dir, err)
	}
	return dir
}

// sharedRoot is ../shared beside the repository (migrator/rewrite is two
// levels down), or KESTRA_MIGRATOR_SHARED.
func sharedRoot() string {
	if root := os.Getenv("KESTRA_MIGRATOR_SHARED"); root != "" {
		return root
	}
	return filepath.Join("..", "..", "..", "shared")
}

// corpusFlows is every flow of ../shared/corpus, split from its files;
// skipped when the corpus is absent or holds none.
func corpusFlows(t testing.TB) [][]byte {
	t.Helper()
	dir := sharedDir(t, "corpus")
	var flows [][]byte
	for _, f := range yamlFiles(t, dir) {
		flows = append(flows, SplitDocuments(mustReadTB(t, f))...)
	}
	if len(flows) == 0 {
		t.Skip("no flows in " + filepath.Clean(dir))
	}
	return flows
}

// yamlFiles lists *.yml and *.yaml below dir.
func yamlFiles(t testing.TB, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml")) {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestPeerVectors: Kestra's official tool's vectors match structurally,
// except where docs/migration-rules.md deliberately differs (vector 11).
func TestPeerVectors(t *testing.T) {
	dir := sharedDir(t, "peer/kestra-migrate")
	inputs, _ := filepath.Glob(filepath.Join(dir, "*.in.yaml"))
	if len(inputs) == 0 {
		t.Fatalf("no vectors in %s", dir)
	}
	rw := MustRewriter(Options{})
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".in.yaml")
		t.Run(name, func(t *testing.T) {
			src := mustRead(t, in)
			res, err := rw.Rewrite(src)
			if err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, rw, src, res)
			want := mustRead(t, strings.TrimSuffix(in, ".in.yaml")+".expected.yaml")
			if strings.HasPrefix(name, "11-") {
				// ModalCLI feeds docker, taskRunner and containerImage to the same
				// CommandsWrapper: we migrate it (SOURCES.md).
				want = []byte("id: f\nnamespace: n\ntasks:\n  - id: modal\n    type: io.kestra.plugin.modal.cli.ModalCLI\n" +
					"    commands:\n      - modal run x.py\n    taskRunner:\n      type: " + DefaultDockerType +
					"\n    containerImage: ghcr.io/kestra-io/modal:latest\n")
			}
			assertSameTree(t, res.Source, want)
		})
	}
}

func assertSameTree(t *testing.T, got, want []byte) {
	t.Helper()
	g, err := ParseDocument(got)
	if err != nil {
		t.Fatalf("output does not parse: %v", err)
	}
	w, err := ParseDocument(want)
	if err != nil {
		t.Fatalf("expected does not parse: %v", err)
	}
	if where, ok := equalNodes(w.Root, g.Root, ""); !ok {
		t.Errorf("differs at %s\n--- got\n%s\n--- want\n%s", orRoot(where), got, want)
	}
}

// TestCorpus runs every real flow of ../shared/corpus through the rewrite:
// each result re-parses and a second pass is a no-op; a flow answered
// up-to-date by the fast path truly has no legacy key.
func TestCorpus(t *testing.T) {
	dir := sharedDir(t, "corpus")
	rw := MustRewriter(Options{})
	counts := map[Status]int{}
	for _, f := range yamlFiles(t, dir) {
		for i, doc := range SplitDocuments(mustRead(t, f)) {
			res, err := rw.Rewrite(doc)
			if err != nil {
				t.Errorf("%s (document %d): %v", f, i, err)
				continue
			}
			counts[res.Status]++
			checkInvariants(t, rw, doc, res)
			if res.Status == StatusUpToDate {
				assertNoLegacyKeys(t, f, doc)
			}
		}
	}
	t.Logf("corpus statuses: %v", counts)
}

func assertNoLegacyKeys(t *testing.T, name string, src []byte) {
	t.Helper()
	d, err := ParseDocument(src)
	if err != nil || d.Root == nil {
		return
	}
	walkTasks(d.Root, "", func(task *yaml.Node, path string) {
		if mapValue(task, "runner") != nil || mapValue(task, "docker") != nil || mapValue(task, "dockerOptions") != nil {
			t.Errorf("%s: %s has legacy keys but the flow was answered up-to-date", name, path)
		}
	})
}

func TestSplitDocumentsIsLossless(t *testing.T) {
	cases := map[string]int{
		"id: a\n":                               1,
		"---\nid: a\n":                          1,
		"# c\n---\nid: a\n---\nid: b\n":         2,
		"id: a\n---\nid: b\n--- \nid: c":        3,
		"id: a\nscript: |\n  ---\n  x\n":        1,
		"id: a\r\n---\r\nid: b\r\n":             2,
		"id: a\n---x: 1\n":                      1,
		"":                                      1,
		"%YAML 1.2\n---\nid: a\n...\n---\nb: 1": 2,
		"id: a\n---\n# only a comment\n---\nid: b\n": 3,
		"---\n---\nid: b\n":                          2,
	}
	for src, want := range cases {
		parts := SplitDocuments([]byte(src))
		if len(parts) != want {
			t.Errorf("%q: %d parts, want %d", src, len(parts), want)
		}
		if got := bytes.Join(parts, nil); string(got) != src {
			t.Errorf("%q: joined parts give %q", src, got)
		}
	}
}

func TestMentionsKey(t *testing.T) {
	cases := []struct {
		src  string
		want bool
	}{
		{"    runner: DOCKER", true},
		{"- runner: DOCKER", true},
		{`"runner": DOCKER`, true},
		{`{id: a, docker: {image: x}}`, true},
		{"docker :\n", true},
		{"? runner\n: PROCESS", true},
		{"taskRunner:\n  type: io.kestra.plugin.scripts.runner.docker.Docker", false},
		{"myrunner: x\ndockerOptions: {}", true}, // dockerOptions is reported unsupported
		{"script: echo runner and docker now", false},
		{"script: echo docker", true}, // "? docker" at the end would be a key: parse
		{"\"\\x72unner\": DOCKER", true},
		{"? runner  # note\n: DOCKER", true},
		{"{id: a, runner}", true},
		{"a: &k runner\n*k : DOCKER", true},
		{"<<: *base", true},
		{"!!str runner: x", true},
		{"dockerOptions:\n  image: x", true},
		{"\ufeffrunner: x", true},
		{"a: 1\u2028runner: x", true},
		{"type: io.kestra.plugin.scripts.runner.docker.Docker", false},
		{"commands: [\"select * from t\"]", false},
		{"", false},
	}
	for _, c := range cases {
		if got := MentionsKey([]byte(c.src), runnerKeys...); got != c.want {
			t.Errorf("%q: got %v, want %v", c.src, got, c.want)
		}
	}
}

func TestParseErrorNamesTheLine(t *testing.T) {
	_, err := MustRewriter(Options{}).Rewrite([]byte("id: a\ntasks:\n  - id: b\n    runner: DOCKER\n   bad: [\n"))
	var pe *ParseError
	if err == nil || !errors.As(err, &pe) || pe.Line == 0 {
		t.Fatalf("want a ParseError with a line, got %v", err)
	}
}
