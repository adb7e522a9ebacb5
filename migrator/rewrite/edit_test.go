package rewrite

import (
	"testing"

	"go.yaml.in/yaml/v3"
)

// editRule applies one generic edit to every task that has key: enough to
// prove the edits through the Rewriter's verification (re-parse, expected
// tree, second pass).
type editRule struct {
	key  string
	edit func(d *Document, task *yaml.Node) (Edit, func(), bool)
	done func(task *yaml.Node) bool // the edit is already made (nil: the key is gone)
}

func (r editRule) Info() RuleInfo           { return RuleInfo{Name: "test-edit", Keys: []string{r.key}} }
func (r editRule) Mentions(src []byte) bool { return MentionsKey(src, r.key) }
func (r editRule) Plan(d *Document) []Outcome {
	var out []Outcome
	d.WalkTasks(func(t *yaml.Node, path string) {
		if mapIndex(t, r.key) < 0 || r.done != nil && r.done(t) {
			return
		}
		o := Outcome{Change: Change{Path: path, From: []string{r.key}}}
		e, mutate, ok := r.edit(d, t)
		if !ok {
			o.Unsupported = "cannot edit"
		} else {
			o.Edits, o.Mutate = []Edit{e}, mutate
		}
		out = append(out, o)
	})
	return out
}

func TestGenericEdits(t *testing.T) {
	rename := editRule{"maxAttempt", func(d *Document, t *yaml.Node) (Edit, func(), bool) {
		return d.RenameKey(t, "maxAttempt", "maxAttempts")
	}, nil}
	remove := editRule{"minLogLevel", func(d *Document, t *yaml.Node) (Edit, func(), bool) {
		return d.RemoveEntry(t, "minLogLevel")
	}, nil}
	insert := editRule{"fetchType", func(d *Document, t *yaml.Node) (Edit, func(), bool) {
		return d.InsertAfter(t, "fetchType", []string{"store: true", "opts:", "  a: 1"})
	}, func(t *yaml.Node) bool { return MapValue(t, "store") != nil }}
	value := editRule{"state", func(d *Document, t *yaml.Node) (Edit, func(), bool) {
		return d.ReplaceScalar(MapValue(t, "state"), "CANCELLED")
	}, func(t *yaml.Node) bool { return MapValue(t, "state").Value == "CANCELLED" }}
	for _, c := range []struct {
		name, in, want string
		rule           editRule
	}{
		{"rename plain", "id: f\ntasks:\n  - id: a\n    type: t\n    maxAttempt: 3 # keep\n", "id: f\ntasks:\n  - id: a\n    type: t\n    maxAttempts: 3 # keep\n", rename},
		{"rename quoted", "id: f\ntasks:\n  - id: a\n    type: t\n    \"maxAttempt\": 3\n", "id: f\ntasks:\n  - id: a\n    type: t\n    \"maxAttempts\": 3\n", rename},
		{"rename in a flow mapping", "id: f\ntasks:\n  - {id: a, type: t, maxAttempt: 3}\n", "id: f\ntasks:\n  - {id: a, type: t, maxAttempts: 3}\n", rename},
		{"remove block", "id: f\ntasks:\n  - id: a\n    type: t\n    minLogLevel:\n      # why\n      WARN\n    x: 1\n", "id: f\ntasks:\n  - id: a\n    type: t\n    x: 1\n", remove},
		{"remove last line without newline", "id: f\ntasks:\n  - id: a\n    type: t\n    minLogLevel: WARN", "id: f\ntasks:\n  - id: a\n    type: t", remove},
		{"remove CRLF", "id: f\r\ntasks:\r\n  - id: a\r\n    type: t\r\n    minLogLevel: WARN\r\n    x: 1\r\n", "id: f\r\ntasks:\r\n  - id: a\r\n    type: t\r\n    x: 1\r\n", remove},
		{"remove refuses the dash line", "id: f\ntasks:\n  - minLogLevel: WARN\n    id: a\n    type: t\n", "id: f\ntasks:\n  - minLogLevel: WARN\n    id: a\n    type: t\n", remove},
		{"insert", "id: f\ntasks:\n  - id: a\n    type: t\n    fetchType: STORE\n    uri: x\n", "id: f\ntasks:\n  - id: a\n    type: t\n    fetchType: STORE\n    store: true\n    opts:\n      a: 1\n    uri: x\n", insert},
		{"insert at the end without newline", "id: f\ntasks:\n  - id: a\n    type: t\n    fetchType: STORE", "id: f\ntasks:\n  - id: a\n    type: t\n    fetchType: STORE\n    store: true\n    opts:\n      a: 1", insert},
		{"replace single-quoted value", "id: f\ntasks:\n  - id: a\n    type: t\n    state: 'CANCELED'\n", "id: f\ntasks:\n  - id: a\n    type: t\n    state: 'CANCELLED'\n", value},
	} {
		t.Run(c.name, func(t *testing.T) {
			rw := MustRewriter(Options{Rules: []Rule{c.rule}})
			res, err := rw.Rewrite([]byte(c.in))
			if err != nil {
				t.Fatal(err)
			}
			if got := string(res.Source); got != c.want {
				t.Errorf("got (%s)\n%q\nwant\n%q", res.Status, got, c.want)
			}
			if c.in == c.want && res.Status != StatusUnsupported {
				t.Errorf("status %s, want unsupported for an edit refused", res.Status)
			}
			for _, ch := range res.Changes {
				if ch.Rule != "test-edit" {
					t.Errorf("change names rule %q", ch.Rule)
				}
			}
		})
	}
}

func TestRuleSelection(t *testing.T) {
	twoOh := editRule{key: "x"}
	rules := []Rule{NewRunnerRule(RunnerOptions{}), sinceRule{twoOh}}
	if _, err := NewRewriter(Options{Rules: rules, Only: []string{"runner-to-task-runer"}}); err == nil {
		t.Error("a misspelt rule name was accepted")
	}
	rw := MustRewriter(Options{Rules: rules, Target: Target13})
	if got := RuleNames(rw.Rules()); len(got) != 1 || got[0] != RunnerRuleName {
		t.Errorf("target 1.3 keeps %v, want the runner rule only", got)
	}
	rw = MustRewriter(Options{Rules: rules, Target: Target20})
	if got := len(rw.Rules()); got != 2 {
		t.Errorf("target 2.0 keeps %d rules, want 2", got)
	}
	rw = MustRewriter(Options{Rules: rules, Only: []string{"test-edit"}})
	if got := RuleNames(rw.Rules()); len(got) != 1 || got[0] != "test-edit" {
		t.Errorf("--rules test-edit keeps %v", got)
	}
}

// sinceRule is a rule whose output only 2.0 accepts.
type sinceRule struct{ editRule }

func (r sinceRule) Info() RuleInfo {
	i := r.editRule.Info()
	i.Since = Target20
	return i
}

// TestTwoRemovalsInOneMapping: each removal's tree change finds its own pair,
// whichever runs first.
func TestTwoRemovalsInOneMapping(t *testing.T) {
	d, err := ParseDocument([]byte("id: f\na: 1\nb: 2\nc: 3\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, removeA, okA := d.RemoveEntry(d.Root, "a")
	_, removeB, okB := d.RemoveEntry(d.Root, "b")
	if !okA || !okB {
		t.Fatal("refused")
	}
	removeA()
	removeB()
	if mapValue(d.Root, "c") == nil || mapValue(d.Root, "id") == nil || len(d.Root.Content) != 4 {
		t.Errorf("keys left: %d nodes", len(d.Root.Content))
	}
}
