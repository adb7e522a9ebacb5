package daemon

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/migrator/report"
)

const metricPrefix = "kestra_migrator_"

// metrics is the daemon's private Prometheus registry. It is the REST
// client's Observer too, so every HTTP attempt is counted.
type metrics struct {
	reg             *prometheus.Registry
	passes          *prometheus.CounterVec   // mode, result
	passDuration    *prometheus.HistogramVec // mode
	lastSuccess     prometheus.Gauge
	lastPass        prometheus.Gauge
	windowOpen      prometheus.Gauge
	flowsMigrated   prometheus.Counter
	reloads         *prometheus.CounterVec   // result
	requests        *prometheus.CounterVec   // endpoint, method, code
	retries         *prometheus.CounterVec   // endpoint, code
	requestDuration *prometheus.HistogramVec // endpoint
}

var _ client.Observer = (*metrics)(nil)

func newMetrics(st *state) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		passes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: metricPrefix + "passes_total",
			Help: "Passes by mode (plan or apply, after the window) and result (success, failure, interrupted)."},
			[]string{"mode", "result"}),
		passDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: metricPrefix + "pass_duration_seconds",
			Help:    "Duration of passes, by mode.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800}}, []string{"mode"}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{Name: metricPrefix + "last_success_timestamp_seconds",
			Help: "When the last successful pass ended (Unix time); 0 before the first."}),
		lastPass: prometheus.NewGauge(prometheus.GaugeOpts{Name: metricPrefix + "last_pass_timestamp_seconds",
			Help: "When the last pass ended, successful or not (Unix time)."}),
		windowOpen: prometheus.NewGauge(prometheus.GaugeOpts{Name: metricPrefix + "apply_window_open",
			Help: "1 when the last pass was inside the apply window (or there is none), else 0."}),
		flowsMigrated: prometheus.NewCounter(prometheus.CounterOpts{Name: metricPrefix + "flows_migrated_total",
			Help: "Flows written (migrated) by apply passes."}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{Name: metricPrefix + "config_reloads_total",
			Help: "Configuration reloads (SIGHUP) by result (success, failure)."}, []string{"result"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: metricPrefix + "http_requests_total",
			Help: "HTTP attempts to the Kestra API by endpoint, method and status code (network_error when none)."},
			[]string{"endpoint", "method", "code"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: metricPrefix + "http_retries_total",
			Help: "HTTP attempts that were retries, by endpoint and status code."}, []string{"endpoint", "code"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: metricPrefix + "http_request_duration_seconds",
			Help: "Duration of HTTP attempts to the Kestra API, by endpoint.", Buckets: prometheus.DefBuckets},
			[]string{"endpoint"}),
	}
	m.reg.MustRegister(m.passes, m.passDuration, m.lastSuccess, m.lastPass, m.windowOpen, m.flowsMigrated,
		m.reloads, m.requests, m.retries, m.requestDuration, &flowsCollector{st: st}, &readinessCollector{st: st},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveRequest implements client.Observer.
func (m *metrics) ObserveRequest(endpoint, method string, code int, attempt int, d time.Duration) {
	c := "network_error"
	if code > 0 {
		c = strconv.Itoa(code)
	}
	m.requests.WithLabelValues(endpoint, method, c).Inc()
	if attempt > 1 {
		m.retries.WithLabelValues(endpoint, c).Inc()
	}
	m.requestDuration.WithLabelValues(endpoint).Observe(d.Seconds())
}

// observePass records a finished pass.
func (m *metrics) observePass(mode migrator.Mode, result string, rep *report.Report, started, ended time.Time) {
	m.passes.WithLabelValues(string(mode), result).Inc()
	m.passDuration.WithLabelValues(string(mode)).Observe(ended.Sub(started).Seconds())
	m.lastPass.Set(float64(ended.UnixNano()) / 1e9)
	if result == resultSuccess {
		m.lastSuccess.Set(float64(ended.UnixNano()) / 1e9)
	}
	if rep != nil {
		m.flowsMigrated.Add(float64(rep.Summary.Migrated))
	}
}

// flowsCollector exposes the last successful pass's counts per namespace
// and status, every status always present, read at scrape time so that a
// scrape never sees half of a pass.
type flowsCollector struct{ st *state }

var flowsDesc = prometheus.NewDesc(metricPrefix+"flows",
	"Flows per namespace and status at the last successful pass.", []string{"namespace", "status"}, nil)

func (c *flowsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- flowsDesc }

func (c *flowsCollector) Collect(ch chan<- prometheus.Metric) {
	rep := c.st.snapshot().Report
	if rep == nil {
		return
	}
	for _, ns := range rep.Namespaces {
		for _, s := range report.Statuses {
			ch <- prometheus.MustNewConstMetric(flowsDesc, prometheus.GaugeValue, float64(ns.Get(s)), ns.Namespace, string(s))
		}
	}
}

// readinessCollector exposes the last successful pass's readiness view:
// flows per namespace and class (every class always present) and flows per
// namespace and detection code (the codes found). The labels stay bounded:
// namespaces are the fleet's, classes are report.ReadinessClasses, codes
// are the rules' constants.
type readinessCollector struct{ st *state }

var (
	readinessDesc = prometheus.NewDesc(metricPrefix+"readiness_flows",
		"Flows per namespace and upgrade readiness class (ready, fixable, blocking, advisory, unassessed) at the last successful pass.",
		[]string{"namespace", "class"}, nil)
	readinessCodeDesc = prometheus.NewDesc(metricPrefix+"readiness_code_flows",
		"Flows per namespace carrying a detection code (removed-type, trigger-conditions...) at the last successful pass; codes not found are absent.",
		[]string{"namespace", "code"}, nil)
)

func (c *readinessCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- readinessDesc
	ch <- readinessCodeDesc
}

func (c *readinessCollector) Collect(ch chan<- prometheus.Metric) {
	rep := c.st.snapshot().Report
	if rep == nil {
		return
	}
	for _, ns := range rep.Namespaces {
		for _, class := range report.ReadinessClasses {
			ch <- prometheus.MustNewConstMetric(readinessDesc, prometheus.GaugeValue, float64(ns.Readiness.Get(class)), ns.Namespace, string(class))
		}
		for code, n := range ns.Readiness.ByCode {
			ch <- prometheus.MustNewConstMetric(readinessCodeDesc, prometheus.GaugeValue, float64(n), ns.Namespace, code)
		}
	}
}
