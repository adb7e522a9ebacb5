package kestrafake

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOfficialPairs runs the official 1.3 -> 2.0 tool's own test pairs
// (../shared/peer/kestra-migrate-v2 beside the repository, or under
// $KESTRA_MIGRATOR_SHARED; skipped when absent) through the fake: every
// input validates on 1.3 and every expected output on 2.0; 2.0 refuses
// every input but those whose change matters only at run time (Pebble, the
// states of PurgeExecutions), and 1.3 every output that needs 2.0.
func TestOfficialPairs(t *testing.T) {
	root := os.Getenv("KESTRA_MIGRATOR_SHARED")
	if root == "" {
		root = filepath.Join("..", "..", "..", "shared") // client/kestrafake -> beside the repository
	}
	files, _ := filepath.Glob(filepath.Join(root, "peer", "kestra-migrate-v2", "*.in.yaml"))
	if len(files) == 0 {
		t.Skipf("no official pairs under %s", root)
	}
	savedBoth := map[string]bool{"canceled-state": true, "pebble-json-rename": true}
	// Pairs whose official output 1.3 accepts too; the others rewrite trigger conditions
	// into 2.0's dependsOn / when, or ee.git.Clone into git.Clone with strictHostKeyChecking.
	outputOn13 := map[string]bool{"flow-output-types": true, "script-runner": true, "state-to-kv": true}
	v13, v20 := NewHandler(Options{Version: "1.3.0"}), NewHandler(Options{Version: "2.0.0"})
	for _, in := range files {
		name := strings.TrimSuffix(filepath.Base(in), ".in.yaml")
		short := name[strings.Index(name, "__")+2:]
		src, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(strings.TrimSuffix(in, ".in.yaml") + ".expected.yaml")
		if err != nil {
			t.Fatal(err)
		}
		if c := v13.check(string(src)).constraints; c != "" {
			t.Errorf("%s: 1.3 refuses the input: %s", name, c)
		}
		if c := v20.check(string(want)).constraints; c != "" {
			t.Errorf("%s: 2.0 refuses the official output: %s", name, c)
		}
		if c := v20.check(string(src)).constraints; (c == "") != savedBoth[short] {
			t.Errorf("%s: 2.0 on the input says %q", name, c)
		}
		if c := v13.check(string(want)).constraints; (c == "") != (savedBoth[short] || outputOn13[short]) {
			t.Errorf("%s: 1.3 on the official output says %q", name, c)
		}
	}
}
