package migrator_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/migrator/fleettest"
	"github.com/kestra-migrator/kestra-migrator/migrator/report"
	"github.com/kestra-migrator/kestra-migrator/migrator/rewrite"
	"github.com/kestra-migrator/kestra-migrator/store"
)

// Flows a 1.3 server holds that 2.0 refuses, in three shapes: fixable on
// any target (an input's name), fixable only when the output may need 2.0
// (checks[].condition -> when), and blocking whatever the tool does (a
// ForEach loop: rewritten by hand).
const (
	inputNameFlow = "id: inputs\nnamespace: target\ninputs:\n  - name: day # the day to load\n    type: STRING\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: \"{{ inputs.day }}\"\n"
	checksFlow    = "id: checks\nnamespace: target\nchecks:\n  - condition: \"{{ true }}\"\n    message: always\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"
	forEachFlow   = "id: loop\nnamespace: target\ntasks:\n  - id: each\n    type: io.kestra.plugin.core.flow.ForEach\n    values: [a, b]\n    tasks:\n      - id: log\n        type: io.kestra.plugin.core.log.Log\n        message: \"{{ taskrun.value }}\"\n"
)

// runTarget applies the default rule set (target from the server, unless
// target is set) to a fake of version holding the three flows.
func runTarget(t *testing.T, version string, target rewrite.Target) (*report.Report, *kestratest.Server) {
	t.Helper()
	srv := kestratest.Start(t, kestratest.Options{Version: version})
	// seeded as an upgraded server holds them, even those it would refuse today
	kestratest.MustSeed(t, srv, inputNameFlow, checksFlow, forEachFlow)
	cli, err := client.New(client.Config{Server: srv.URL(), IdentifyFlow: rewrite.FlowIdentity, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &migrator.Engine{Source: cli, Store: st, RewriteOptions: rewrite.Options{Target: target},
		Concurrency: 2, Validate: true}
	rep, err := e.Run(context.Background(), migrator.RunOptions{Mode: migrator.ModeApply,
		Selection: migrator.Selection{Namespaces: []string{"target"}}})
	if err != nil {
		t.Fatal(err)
	}
	return rep, srv
}

func itemOf(rep *report.Report, id string) report.Item { return fleettest.Items(rep)["target/"+id] }

// TestTheTargetFollowsTheServer: on a 1.3 server only rules whose output
// 1.3 accepts run (a flow must keep working where it is stored), and the
// detections still say what 2.0 will refuse; on a 2.0 server every rule
// runs, and the server's validation stays the gate: what it refuses after
// the rewrite is not written.
func TestTheTargetFollowsTheServer(t *testing.T) {
	rep, srv := runTarget(t, "1.3.0", "")
	if rep.Target != "1.3" {
		t.Errorf("target %q on a 1.3 server", rep.Target)
	}
	if it := itemOf(rep, "inputs"); it.Status != report.StatusMigrated {
		t.Errorf("inputs on 1.3: %s %v, want migrated", it.Status, it.Reason)
	}
	if got, _ := srv.Flow("target", "inputs"); !strings.Contains(got.Source, "  - id: day # the day to load\n") {
		t.Errorf("input name not renamed in place:\n%s", got.Source)
	}
	if got, _ := srv.Flow("target", "checks"); !strings.Contains(got.Source, "condition:") {
		t.Errorf("checks rewritten for 2.0 on a 1.3 server:\n%s", got.Source)
	}
	loop := itemOf(rep, "loop")
	if !hasCode(loop.Warnings, "foreach-loop") {
		t.Errorf("the ForEach flow carries no foreach-loop detection on 1.3: %+v", loop)
	}

	rep, srv = runTarget(t, "2.0.0", "")
	if rep.Target != "2.0" {
		t.Errorf("target %q on a 2.0 server", rep.Target)
	}
	if it := itemOf(rep, "checks"); it.Status != report.StatusMigrated {
		t.Errorf("checks on 2.0: %s %v, want migrated", it.Status, it.Reason)
	}
	if got, _ := srv.Flow("target", "checks"); !strings.Contains(got.Source, "  - when: \"{{ true }}\"\n") {
		t.Errorf("checks condition not renamed on 2.0:\n%s", got.Source)
	}
	if got, _ := srv.Flow("target", "loop"); got.Revision != 1 {
		t.Errorf("the ForEach flow was written (revision %d): the tool does not rewrite it", got.Revision)
	}
}

// TestAnExplicitTargetOverridesTheServer: --target 2.0 against a 1.3 server
// rewrites checks for 2.0, and the 1.3 server refuses the result: the flow
// is invalid, nothing written; the server's message is in the report.
func TestAnExplicitTargetOverridesTheServer(t *testing.T) {
	rep, srv := runTarget(t, "1.3.0", rewrite.Target20)
	it := itemOf(rep, "checks")
	if it.Status != report.StatusInvalid || it.Reason == nil || !strings.Contains(*it.Reason, "when") {
		t.Errorf("checks on 1.3 with --target 2.0: %s %v, want invalid naming when", it.Status, it.Reason)
	}
	if got, _ := srv.Flow("target", "checks"); got.Revision != 1 {
		t.Errorf("an invalid rewrite was written: revision %d", got.Revision)
	}
}

func hasCode(ws []report.Warning, code string) bool {
	for _, w := range ws {
		if w.Code == code {
			return true
		}
	}
	return false
}
