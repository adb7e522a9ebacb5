package rewrite

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// peerNeeds lists, from the research sheet's pair table, the pairs of the
// official tool (../shared/peer/kestra-migrate-v2) whose expected output
// needs a rewrite this project only detects so far, and the code each must
// get. The test also derives the same from the files themselves, so a pair
// added to the share is judged too.
var peerNeeds = map[string]string{
	"additional-test-cases__state-to-kv":                    CodeStateToKV,
	"example-blueprints__every-monday":                      CodeTriggerConditions,
	"example-blueprints__failure-alert-discord":             CodeTriggerConditions,
	"example-blueprints__failure-alert-gmail":               CodeTriggerConditions,
	"example-blueprints__failure-alert-sentry-1":            CodeTriggerConditions,
	"example-blueprints__failure-alert-sentry":              CodeTriggerConditions,
	"example-blueprints__failure-alert-slack":               CodeTriggerConditions,
	"example-blueprints__failure-alert-teams":               CodeTriggerConditions,
	"example-blueprints__failure-alert-twilio":              CodeTriggerConditions,
	"example-blueprints__failure-alert-zenduty":             CodeTriggerConditions,
	"example-blueprints__flow-condition-executionflow":      CodeTriggerConditions,
	"example-blueprints__flow-condition-executionnamespace": CodeTriggerConditions,
	"example-blueprints__flow-condition-executionstatus":    CodeTriggerConditions,
	"example-blueprints__flow-condition-hasretryattempt":    CodeTriggerConditions,
	"example-blueprints__flow-condition-not":                CodeTriggerConditions,
}

// TestPeerPairsDetections: every official pair that needs the
// trigger-conditions or state-to-KV rewrite gets the matching blocking code
// on its input; no pair gets one of these codes without needing it; and the
// official expected outputs, where the rewrite was done, get neither.
func TestPeerPairsDetections(t *testing.T) {
	dir := sharedDir(t, "peer/kestra-migrate-v2")
	inputs, _ := filepath.Glob(filepath.Join(dir, "*.in.yaml"))
	if len(inputs) == 0 {
		t.Fatalf("no pairs in %s", dir)
	}
	rw := MustRewriter(Options{})
	watched := map[string]bool{CodeTriggerConditions: true, CodeStateToKV: true}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".in.yaml")
		t.Run(name, func(t *testing.T) {
			src := mustRead(t, in)
			want := map[string]bool{}
			for _, code := range derivedNeeds(t, src, mustRead(t, strings.TrimSuffix(in, ".in.yaml")+".expected.yaml")) {
				want[code] = true
			}
			if code, listed := peerNeeds[name]; listed && !want[code] {
				t.Errorf("the pair table says %s, the files do not show that rewrite", code)
			}
			res, err := rw.Rewrite(src)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			var all []string
			for _, w := range res.Warnings {
				if w.Code == "" {
					continue
				}
				all = append(all, w.Code)
				if watched[w.Code] {
					got[w.Code] = true
					if w.Severity != SeverityBlocking {
						t.Errorf("%s is %s, want blocking", w.Code, w.Severity)
					}
				}
			}
			for code := range want {
				if !got[code] {
					t.Errorf("needs the %s rewrite but was not flagged (codes: %v)", code, all)
				}
			}
			for code := range got {
				if !want[code] {
					t.Errorf("flagged %s, which the official output does not rewrite", code)
				}
			}
			expected, err := rw.Rewrite(mustRead(t, strings.TrimSuffix(in, ".in.yaml")+".expected.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range expected.Warnings {
				if watched[w.Code] {
					t.Errorf("the official output, already rewritten, is flagged %s: %s", w.Code, w.Message)
				}
			}
			sort.Strings(all)
			t.Logf("codes: %v", all)
		})
	}
}

// derivedNeeds reads a pair's files without our rules: the trigger
// conditions rewrite is needed when an input trigger has one of the removed
// keys and the expected trigger of the same id has none; the state-to-KV
// rewrite when the input has State Store types and the expected has none.
func derivedNeeds(t *testing.T, in, expected []byte) []string {
	t.Helper()
	var a, b map[string]any
	if err := yaml.Unmarshal(in, &a); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(expected, &b); err != nil {
		t.Fatal(err)
	}
	var needs []string
	before, after := triggerKeys(a), triggerKeys(b)
	for id, keys := range before {
		if len(keys) > 0 && len(after[id]) == 0 {
			needs = append(needs, CodeTriggerConditions)
			break
		}
	}
	if countStateTypes(a) > 0 && countStateTypes(b) == 0 {
		needs = append(needs, CodeStateToKV)
	}
	return needs
}

// triggerKeys maps each root trigger id to the removed condition keys it has.
func triggerKeys(flow map[string]any) map[string][]string {
	out := map[string][]string{}
	list, _ := flow["triggers"].([]any)
	for _, it := range list {
		m, _ := it.(map[string]any)
		id, _ := m["id"].(string)
		out[id] = nil
		for _, k := range []string{"conditions", "scheduleConditions", "preconditions", "timeWindow"} {
			if _, ok := m[k]; ok {
				out[id] = append(out[id], k)
			}
		}
	}
	return out
}

func countStateTypes(v any) int {
	n := 0
	switch x := v.(type) {
	case map[string]any:
		if s, ok := x["type"].(string); ok && (strings.HasPrefix(s, "io.kestra.plugin.core.state.") || strings.HasPrefix(s, "io.kestra.core.tasks.states.")) {
			n++
		}
		for _, c := range x {
			n += countStateTypes(c)
		}
	case []any:
		for _, c := range x {
			n += countStateTypes(c)
		}
	}
	return n
}
