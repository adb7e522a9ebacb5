package migrator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/migrator/report"
	"github.com/kestra-migrator/kestra-migrator/migrator/rewrite"
	"github.com/kestra-migrator/kestra-migrator/store"
)

// renameRule is a second rule written outside the rewrite package, as a
// newcomer would: it renames a task key. It proves that a rule plugs into
// the engine, the store and the reports without a change to any of them.
type renameRule struct{ from, to string }

func (r renameRule) Info() rewrite.RuleInfo {
	return rewrite.RuleInfo{Name: "test-rename", Keys: []string{r.from}}
}

func (r renameRule) Mentions(src []byte) bool { return rewrite.MentionsKey(src, r.from) }

func (r renameRule) Plan(d *rewrite.Document) []rewrite.Outcome {
	var out []rewrite.Outcome
	d.WalkTasks(func(t *yaml.Node, path string) {
		if rewrite.MapValue(t, r.from) == nil {
			return
		}
		o := rewrite.Outcome{Change: rewrite.Change{Path: path, TaskID: rewrite.MapValue(t, "id").Value,
			Type: rewrite.MapValue(t, "type").Value, From: []string{r.from}, To: []string{r.to}}}
		if e, mutate, ok := d.RenameKey(t, r.from, r.to); ok {
			o.Edits, o.Mutate = []rewrite.Edit{e}, mutate
			o.Warnings = []rewrite.Warning{{Code: "test-code", Severity: rewrite.SeverityAdvisory,
				Path: path, Message: "renamed", URL: "https://example.invalid/guide"}}
		} else {
			o.Unsupported = "the key cannot be renamed in place"
		}
		out = append(out, o)
	})
	return out
}

func TestASecondRulePlugsInWithoutEngineChanges(t *testing.T) {
	srv := kestratest.Start(t, kestratest.Options{})
	kestratest.MustAdd(t, srv,
		"id: both\nnamespace: seam\ntasks:\n  - id: a\n    type: io.kestra.plugin.scripts.shell.Commands\n    runner: PROCESS\n    commands: [ls]\n  - id: b\n    type: io.kestra.plugin.core.log.Log\n    legacyLevel: WARN # kept comment\n    message: hi\n",
		"id: second\nnamespace: seam\ntasks:\n  - id: b\n    type: io.kestra.plugin.core.log.Log\n    legacyLevel: INFO\n    message: hi\n",
		"id: clean\nnamespace: seam\ntasks:\n  - id: c\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n",
	)
	cli, err := client.New(client.Config{Server: srv.URL(), IdentifyFlow: rewrite.FlowIdentity, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rules := append(rewrite.DefaultRules(rewrite.RuleConfig{}), renameRule{"legacyLevel", "level"})
	e := &migrator.Engine{Source: cli, Store: st, Rewriter: rewrite.MustRewriter(rewrite.Options{Rules: rules}),
		Concurrency: 2, Validate: true}
	rep, err := e.Run(context.Background(), migrator.RunOptions{Mode: migrator.ModeApply,
		Selection: migrator.Selection{Namespaces: []string{"seam"}}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Migrated != 2 || rep.Summary.UpToDate != 1 {
		t.Fatalf("summary %+v, want 2 migrated and 1 up to date", rep.Summary.Counts)
	}
	got, _ := srv.Flow("seam", "both")
	if !strings.Contains(got.Source, "    level: WARN # kept comment\n") || strings.Contains(got.Source, "runner:") {
		t.Errorf("both rules should have rewritten the flow:\n%s", got.Source)
	}
	rules2 := map[string]bool{}
	for _, ns := range rep.Namespaces {
		for _, it := range ns.Items {
			for _, c := range it.Changes {
				rules2[c.Rule] = true
			}
		}
	}
	if !rules2["test-rename"] || !rules2[rewrite.RunnerRuleName] {
		t.Errorf("the report's changes name the rules %v, want both", rules2)
	}
	var buf bytes.Buffer
	f, err := report.NewFormatter("json")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Format(&buf, rep); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Namespaces []struct {
			Items []struct {
				Warnings []rewrite.Warning `json:"warnings"`
			} `json:"items"`
		} `json:"namespaces"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ns := range doc.Namespaces {
		for _, it := range ns.Items {
			for _, w := range it.Warnings {
				found = found || (w.Rule == "test-rename" && w.Code == "test-code" && w.URL != "")
			}
		}
	}
	if !found {
		t.Errorf("the JSON report lacks the rule's coded warning:\n%s", buf.String())
	}
}
