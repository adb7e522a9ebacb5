package daemon

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kestra-migrator/kestra-migrator/migrator/report"
)

// Handler serves the daemon's endpoints:
//
//	/healthz  200 while the process is alive
//	/readyz   200 when the last pass reached the server, else 503 (JSON Status)
//	/metrics  Prometheus metrics
//	/status   the last successful pass's report (the JSON of docs/cli.md), 503 before one
//	/report   the same report in HTML, when that format is built in
func (d *Daemon) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", d.serveReady)
	mux.Handle("GET /metrics", promhttp.HandlerFor(d.metrics.reg, promhttp.HandlerOpts{Registry: d.metrics.reg}))
	mux.HandleFunc("GET /status", d.serveStatus)
	mux.HandleFunc("GET /report", d.serveReport)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("kestra-migrator daemon: /healthz /readyz /metrics /status /report\n"))
	})
	return mux
}

func (d *Daemon) serveReady(w http.ResponseWriter, _ *http.Request) {
	s := d.state.snapshot()
	code := http.StatusOK
	if !s.Ready {
		code = http.StatusServiceUnavailable
		if s.LastPassAt == nil && s.LastError == "" {
			s.LastError = "no pass has finished yet"
		}
	}
	writeJSON(w, code, s)
}

func (d *Daemon) serveStatus(w http.ResponseWriter, _ *http.Request) {
	rep := d.state.snapshot().Report
	if rep == nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "no pass has completed yet"})
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// serveReport looks the HTML format up at request time: it is optional.
func (d *Daemon) serveReport(w http.ResponseWriter, _ *http.Request) {
	f, ok := report.Formats["html"]
	if !ok {
		http.Error(w, "the HTML report is not built into this binary", http.StatusNotFound)
		return
	}
	rep := d.state.snapshot().Report
	if rep == nil {
		http.Error(w, "no pass has completed yet", http.StatusServiceUnavailable)
		return
	}
	var buf bytes.Buffer
	if err := f.Format(&buf, rep); err != nil {
		http.Error(w, "render the report: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, "encode: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}
