package daemon

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kestra-migrator/kestra-migrator/migrator/report"
	"github.com/kestra-migrator/kestra-migrator/migrator/rewrite"
)

// readinessReport is a plan over two namespaces: company.data has a flow 2.0
// refuses (removed-type), one it runs differently (ion-read), one the tool
// fixes and a clean one; company.ops one excluded flow.
func readinessReport() *report.Report {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	removed := report.Warning{Code: rewrite.CodeRemovedType, Severity: rewrite.SeverityBlocking, Message: "removed"}
	ion := report.Warning{Code: rewrite.CodeIonRead, Severity: rewrite.SeverityAdvisory, Message: "ion"}
	rec := report.NewRecorder("plan", "run-1", now)
	rec.Add(report.Item{Namespace: "company.data", ID: "old", Status: report.StatusUpToDate, Warnings: []report.Warning{removed, ion}})
	rec.Add(report.Item{Namespace: "company.data", ID: "ion", Status: report.StatusUpToDate, Warnings: []report.Warning{ion}})
	rec.Add(report.Item{Namespace: "company.data", ID: "runner", Status: report.StatusPending, Changes: []report.Change{{Path: "tasks[0]"}}})
	rec.Add(report.Item{Namespace: "company.data", ID: "clean", Status: report.StatusUpToDate})
	rec.Add(report.Item{Namespace: "company.ops", ID: "skipped", Status: report.StatusExcluded})
	return rec.Finish(now)
}

const readinessMetricsText = `
# HELP kestra_migrator_readiness_code_flows Flows per namespace carrying a detection code (removed-type, trigger-conditions...) at the last successful pass; codes not found are absent.
# TYPE kestra_migrator_readiness_code_flows gauge
kestra_migrator_readiness_code_flows{code="ion-read",namespace="company.data"} 2
kestra_migrator_readiness_code_flows{code="removed-type",namespace="company.data"} 1
# HELP kestra_migrator_readiness_flows Flows per namespace and upgrade readiness class (ready, fixable, blocking, advisory, unassessed) at the last successful pass.
# TYPE kestra_migrator_readiness_flows gauge
kestra_migrator_readiness_flows{class="advisory",namespace="company.data"} 1
kestra_migrator_readiness_flows{class="advisory",namespace="company.ops"} 0
kestra_migrator_readiness_flows{class="blocking",namespace="company.data"} 1
kestra_migrator_readiness_flows{class="blocking",namespace="company.ops"} 0
kestra_migrator_readiness_flows{class="fixable",namespace="company.data"} 1
kestra_migrator_readiness_flows{class="fixable",namespace="company.ops"} 0
kestra_migrator_readiness_flows{class="ready",namespace="company.data"} 1
kestra_migrator_readiness_flows{class="ready",namespace="company.ops"} 0
kestra_migrator_readiness_flows{class="unassessed",namespace="company.data"} 0
kestra_migrator_readiness_flows{class="unassessed",namespace="company.ops"} 1
`

// TestReadinessMetrics: the daemon's registry exposes the last successful
// pass's readiness per namespace and class, every class present, and per
// namespace and code; a failed pass leaves them as they were.
func TestReadinessMetrics(t *testing.T) {
	d := New(Options{})
	names := []string{metricPrefix + "readiness_flows", metricPrefix + "readiness_code_flows"}
	if n, err := testutil.GatherAndCount(d.metrics.reg, names...); err != nil || n != 0 {
		t.Fatalf("before a pass: %d series (%v), want none", n, err)
	}
	now := time.Now()
	d.state.passDone("plan", resultSuccess, readinessReport(), nil, now)
	if err := testutil.GatherAndCompare(d.metrics.reg, strings.NewReader(readinessMetricsText), names...); err != nil {
		t.Error(err)
	}
	d.state.passDone("plan", resultFailure, nil, errDown, now.Add(time.Minute))
	if err := testutil.GatherAndCompare(d.metrics.reg, strings.NewReader(readinessMetricsText), names...); err != nil {
		t.Errorf("after a failed pass: %v", err)
	}
	if problems, err := testutil.CollectAndLint(&readinessCollector{st: d.state}); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
	// and through /metrics, as Prometheus scrapes it
	if text := scrape(t, d); !strings.Contains(text, `kestra_migrator_readiness_flows{class="blocking",namespace="company.data"} 1`+"\n") {
		t.Errorf("/metrics lacks the readiness:\n%s", grep(text, "readiness"))
	}
}
