package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
)

const loopFlow = "id: loop\nnamespace: company.ops\ntasks:\n  - id: each\n    type: io.kestra.plugin.core.flow.ForEach\n    values: [a, b]\n    tasks:\n      - id: log\n        type: io.kestra.plugin.core.log.Log\n        message: hi\n"

// TestBlockingDetectionsCountOnA20Target: a flow that 2.0 refuses and the
// tool cannot rewrite (a ForEach loop) is the readiness report of the coming
// upgrade on a 1.3 server (exit 0), and needs attention when the target is
// 2.0: plan exits 3, apply 4.
func TestBlockingDetectionsCountOnA20Target(t *testing.T) {
	for _, tc := range []struct {
		version string
		extra   []string
		plan    int
		apply   int
	}{
		{"1.3.0", nil, exitOK, exitOK},
		{"1.3.0", []string{"--target", "2.0"}, exitPending, exitIncomplete},
		{"2.0.0", nil, exitPending, exitIncomplete},
	} {
		srv := fakeKestra(t, nil, kestratest.Options{Version: tc.version})
		kestratest.MustSeed(t, srv, loopFlow)
		args := append(connArgs(t, srv), tc.extra...)
		code, out, errs := execute(t, append([]string{"plan", "-o", "json"}, args...)...)
		if code != tc.plan || !strings.Contains(out, `"foreach-loop"`) {
			t.Errorf("%s %v: plan exit %d, want %d (with the foreach-loop code in the report): %s", tc.version, tc.extra, code, tc.plan, errs)
		}
		db := filepath.Join(t.TempDir(), "state.db")
		code, _, errs = execute(t, append([]string{"apply", "--all", "--db", db}, args...)...)
		if code != tc.apply {
			t.Errorf("%s %v: apply exit %d, want %d: %s", tc.version, tc.extra, code, tc.apply, errs)
		}
	}
}

// TestTargetAndRulesAreChecked: a target or a rule name that does not exist
// is a usage error, not a run with nothing selected.
func TestTargetAndRulesAreChecked(t *testing.T) {
	srv := fakeKestra(t, nil, kestratest.Options{})
	for _, extra := range [][]string{{"--target", "3.0"}, {"--rules", "runner-to-task-runer"}} {
		code, out, errs := execute(t, append(append([]string{"plan"}, connArgs(t, srv)...), extra...)...)
		if code != exitUsage || out != "" || !strings.Contains(errs, extra[1]) {
			t.Errorf("plan %v: exit %d, stdout %q, stderr %q; want exit 2 naming the value", extra, code, out, errs)
		}
	}
	code, out, errs := execute(t, append(append([]string{"plan", "-o", "json"}, connArgs(t, srv)...), "--rules", "max-attempts")...)
	if code != exitOK || !strings.Contains(out, `"rules": [`) || strings.Contains(out, "runner-to-task-runner") {
		t.Errorf("plan --rules max-attempts: exit %d: %s %s", code, out, errs)
	}
}
