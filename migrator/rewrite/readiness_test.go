package rewrite

import "testing"

func TestReadiness(t *testing.T) {
	blocking := Warning{Rule: "r", Code: CodeRemovedType, Severity: SeverityBlocking, Message: "b"}
	advisory := Warning{Rule: "r", Code: CodeIonRead, Severity: SeverityAdvisory, Message: "a"}
	note := Warning{Rule: "r", Message: "a plain note"}
	change := Change{Rule: "runner-to-task-runner", Path: "tasks[0]"}
	cases := []struct {
		name string
		res  Result
		want ReadinessClass
	}{
		{"nothing", Result{Status: StatusUpToDate}, ReadinessReady},
		{"a plain note only", Result{Status: StatusUpToDate, Warnings: []Warning{note}}, ReadinessReady},
		{"advisory only", Result{Status: StatusUpToDate, Warnings: []Warning{advisory, note}}, ReadinessAdvisory},
		{"blocking detection", Result{Status: StatusUpToDate, Warnings: []Warning{advisory, blocking}}, ReadinessBlocking},
		{"fixable", Result{Status: StatusPending, Changes: []Change{change}}, ReadinessFixable},
		{"fixable with advisory", Result{Status: StatusPending, Changes: []Change{change}, Warnings: []Warning{advisory}}, ReadinessFixable},
		{"fixable but blocking", Result{Status: StatusPending, Changes: []Change{change}, Warnings: []Warning{blocking}}, ReadinessBlocking},
		{"unsupported", Result{Status: StatusUnsupported, Reason: "by hand"}, ReadinessBlocking},
		{"unsupported with advisory", Result{Status: StatusUnsupported, Warnings: []Warning{advisory}}, ReadinessBlocking},
		{"partial: tasks left by hand", Result{Status: StatusPending, Changes: []Change{change},
			Unsupported: []Outcome{{Unsupported: "left"}}}, ReadinessBlocking},
	}
	for _, c := range cases {
		if got := Readiness(c.res); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

// TestReadinessOfRealResults ties Readiness to what the rewriter returns.
func TestReadinessOfRealResults(t *testing.T) {
	rw := goldenRewriter()
	cases := map[string]ReadinessClass{
		"testdata/detect/clean.in.yml":                    ReadinessReady,
		"testdata/detect/ion-read.in.yml":                 ReadinessAdvisory,
		"testdata/detect/runner-and-detections.in.yml":    ReadinessFixable,
		"testdata/detect/state-to-kv.in.yml":              ReadinessBlocking,
		"testdata/rewrite/config-path-unsupported.in.yml": ReadinessBlocking,
	}
	for path, want := range cases {
		res, err := rw.Rewrite(mustRead(t, path))
		if err != nil {
			t.Fatal(err)
		}
		if got := Readiness(res); got != want {
			t.Errorf("%s: %s, want %s (status %s, warnings %v)", path, got, want, res.Status, res.Warnings)
		}
	}
}
