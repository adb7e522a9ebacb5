package daemon

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kestra-migrator/kestra-migrator/migrator/report"
)

// get serves one request through the daemon's handler.
func get(t *testing.T, d *Daemon, path string) (int, string, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	d.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Header().Get("Content-Type"), rec.Body.String()
}

func scrape(t *testing.T, d *Daemon) string {
	t.Helper()
	code, _, body := get(t, d, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	return body
}

// grep keeps the lines of text that contain s.
func grep(text, s string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func sampleReport() *report.Report {
	rec := report.NewRecorder("apply", "20250101T000000Z-abcd", time.Now())
	rec.SetServer("http://kestra:8080", "main", "1.3.0")
	rec.Add(report.Item{Namespace: "company.data", ID: "etl", Status: report.StatusMigrated})
	rec.Add(report.Item{Namespace: "company.data", ID: "dbt", Status: report.StatusPending})
	rec.Add(report.Item{Namespace: "company.data", ID: "ml", Status: report.StatusPending})
	rec.Add(report.Item{Namespace: "company.ops", ID: "backup", Status: report.StatusUpToDate})
	return rec.Finish(time.Now())
}

func TestEndpointsBeforeAndAfterAPass(t *testing.T) {
	d := New(Options{})
	if code, _, body := get(t, d, "/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	code, _, body := get(t, d, "/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "no pass has finished yet") {
		t.Errorf("/readyz before a pass: %d %s", code, body)
	}
	if code, ctype, body := get(t, d, "/status"); code != http.StatusServiceUnavailable || ctype != "application/json" ||
		!strings.Contains(body, `"error": "no pass has completed yet"`) {
		t.Errorf("/status before a pass: %d %s %s", code, ctype, body)
	}

	now := time.Now()
	d.metrics.observePass("apply", resultSuccess, sampleReport(), now.Add(-time.Second), now)
	d.state.passDone("apply", resultSuccess, sampleReport(), nil, now)
	if code, _, body := get(t, d, "/readyz"); code != http.StatusOK || !strings.Contains(body, `"ready": true`) {
		t.Errorf("/readyz after a pass: %d %s", code, body)
	}
	code, ctype, body := get(t, d, "/status")
	if code != http.StatusOK || ctype != "application/json" {
		t.Fatalf("/status: %d %s", code, ctype)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		t.Fatalf("/status is not a report: %v\n%s", err, body)
	}
	if rep.SchemaVersion != report.ReportSchemaVersion || rep.Summary.Flows != 4 || len(rep.Namespaces) != 2 ||
		rep.Namespaces[0].Namespace != "company.data" || rep.Namespaces[0].Pending != 2 {
		t.Errorf("/status report: %+v", rep)
	}
	for _, key := range []string{`"upToDate": 0`, `"conflict": 0`, `"items": [`} {
		if !strings.Contains(body, key) {
			t.Errorf("/status lacks %s (every counter is always present)", key)
		}
	}

	d.state.passDone("apply", resultFailure, nil, errDown, now.Add(time.Minute))
	code, _, body = get(t, d, "/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "503 Service Unavailable") || !strings.Contains(body, `"consecutiveFailures": 1`) {
		t.Errorf("/readyz after a failed pass: %d %s", code, body)
	}
	if code, _, _ := get(t, d, "/status"); code != http.StatusOK {
		t.Errorf("/status after a failed pass: %d, want the last good report", code)
	}
	if code, _, _ := get(t, d, "/nope"); code != http.StatusNotFound {
		t.Errorf("/nope: %d", code)
	}
}

func TestMetrics(t *testing.T) {
	d := New(Options{})
	now := time.Now()
	d.metrics.observePass("apply", resultSuccess, sampleReport(), now.Add(-1500*time.Millisecond), now)
	d.state.passDone("apply", resultSuccess, sampleReport(), nil, now)
	d.metrics.observePass("apply", resultFailure, nil, now, now.Add(time.Second))
	d.metrics.ObserveRequest("search", "GET", 200, 1, 10*time.Millisecond)
	d.metrics.ObserveRequest("search", "GET", 503, 1, 10*time.Millisecond)
	d.metrics.ObserveRequest("search", "GET", 200, 2, 10*time.Millisecond)
	d.metrics.ObserveRequest("update", "PUT", 0, 3, time.Second)
	text := scrape(t, d)
	for _, line := range []string{
		`kestra_migrator_flows{namespace="company.data",status="pending"} 2`,
		`kestra_migrator_flows{namespace="company.data",status="migrated"} 1`,
		`kestra_migrator_flows{namespace="company.data",status="conflict"} 0`,
		`kestra_migrator_flows{namespace="company.ops",status="up-to-date"} 1`,
		`kestra_migrator_passes_total{mode="apply",result="success"} 1`,
		`kestra_migrator_passes_total{mode="apply",result="failure"} 1`,
		`kestra_migrator_pass_duration_seconds_count{mode="apply"} 2`,
		`kestra_migrator_flows_migrated_total 1`,
		`kestra_migrator_http_requests_total{code="200",endpoint="search",method="GET"} 2`,
		`kestra_migrator_http_requests_total{code="503",endpoint="search",method="GET"} 1`,
		`kestra_migrator_http_requests_total{code="network_error",endpoint="update",method="PUT"} 1`,
		`kestra_migrator_http_retries_total{code="200",endpoint="search"} 1`,
		`kestra_migrator_http_retries_total{code="network_error",endpoint="update"} 1`,
		`kestra_migrator_http_request_duration_seconds_count{endpoint="search"} 3`,
	} {
		if !strings.Contains(text, line+"\n") {
			t.Errorf("metrics lack %s", line)
		}
	}
	if !strings.Contains(text, "kestra_migrator_last_success_timestamp_seconds ") || strings.Contains(text, "kestra_migrator_last_success_timestamp_seconds 0\n") {
		t.Errorf("last success time not set:\n%s", grep(text, "last_success"))
	}
	for _, family := range []string{"go_goroutines", "process_"} {
		if !strings.Contains(text, family) && (family != "process_" || processMetricsSupported()) {
			t.Errorf("metrics lack the %s collector", family)
		}
	}
}

// processMetricsSupported: the process collector reads /proc (Linux).
func processMetricsSupported() bool {
	_, err := http.Dir("/proc/self").Open("stat")
	return err == nil
}

type stubHTML struct{}

func (stubHTML) Format(w io.Writer, r *report.Report) error {
	if r.Summary.Flows == 0 {
		return errors.New("empty")
	}
	_, err := io.WriteString(w, "<html>"+r.RunID+"</html>")
	return err
}

// TestReportLooksTheHTMLFormatUpAtRequestTime swaps report.Formats["html"]
// (restored at the end): the daemon serves whatever is registered then.
func TestReportLooksTheHTMLFormatUpAtRequestTime(t *testing.T) {
	saved, had := report.Formats["html"]
	t.Cleanup(func() {
		if had {
			report.Formats["html"] = saved
		} else {
			delete(report.Formats, "html")
		}
	})
	d := New(Options{})
	d.state.passDone("apply", resultSuccess, sampleReport(), nil, time.Now())

	delete(report.Formats, "html")
	if code, _, _ := get(t, d, "/report"); code != http.StatusNotFound {
		t.Errorf("/report without the html format: %d, want 404", code)
	}
	report.Formats["html"] = stubHTML{}
	code, ctype, body := get(t, d, "/report")
	if code != http.StatusOK || ctype != "text/html; charset=utf-8" || body != "<html>20250101T000000Z-abcd</html>" {
		t.Errorf("/report: %d %s %q", code, ctype, body)
	}
	if had {
		report.Formats["html"] = saved
		if code, ctype, _ := get(t, d, "/report"); code != http.StatusOK || !strings.HasPrefix(ctype, "text/html") {
			t.Errorf("/report with the built-in html format: %d %s", code, ctype)
		}
	}
}
