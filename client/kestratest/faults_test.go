package kestratest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kestra-migrator/kestra-migrator/client/kestrafake"
)

func TestFaultsStatusAnswers(t *testing.T) {
	s := Start(t, Options{})
	MustAdd(t, s, flowSrc("company", "etl"))
	c := newCaller(t, s)
	s.SetFaults(Faults{Initial503: 2, RetryAfter: 1500 * time.Millisecond, Endpoints: []string{EndpointSearch}})
	for i, want := range []int{503, 503, 200} {
		a := c.get("/api/v1/main/flows/search")
		if a.status != want {
			t.Fatalf("request %d = %d, want %d", i, a.status, want)
		}
		if want == 503 && a.header.Get("Retry-After") != "2" {
			t.Errorf("Retry-After = %q, want 2 (rounded up)", a.header.Get("Retry-After"))
		}
	}
	if a := c.get("/api/v1/main/flows/company/etl"); a.status != 200 {
		t.Errorf("endpoint filter ignored: get = %d", a.status)
	}
	s.SetFaults(Faults{Every429: 2})
	var got []int
	for range 4 {
		got = append(got, c.get("/api/v1/configs").status)
	}
	if want := []int{200, 429, 200, 429}; !equalInts(got, want) {
		t.Errorf("Every429=2: %v, want %v", got, want)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFaultRateIsDeterministicPerSeed(t *testing.T) {
	run := func(seed int64) []int {
		s := Start(t, Options{})
		s.SetFaults(Faults{Rate503: 0.5, Seed: seed})
		c := newCaller(t, s)
		var out []int
		for range 20 {
			out = append(out, c.get("/api/v1/configs").status)
		}
		return out
	}
	a, b := run(7), run(7)
	if !equalInts(a, b) {
		t.Errorf("same seed, different faults: %v vs %v", a, b)
	}
	n := 0
	for _, c := range a {
		if c == 503 {
			n++
		}
	}
	if n == 0 || n == 20 {
		t.Errorf("Rate503=0.5 gave %d/20 failures", n)
	}
}

func TestDropProcessesThenCutsTheConnection(t *testing.T) {
	s := Start(t, Options{})
	MustAdd(t, s, flowSrc("company", "etl"))
	s.SetFaults(Faults{DropRate: 1})
	req, _ := http.NewRequest(http.MethodPut, s.URL()+"/api/v1/main/flows/company/etl", strings.NewReader(flowSrc("company", "etl")+"# v2\n"))
	req.Header.Set("Content-Type", "application/x-yaml")
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("dropped answer: err = %v, want unexpected EOF", err)
	}
	if f, _ := s.Flow("company", "etl"); f.Revision != 2 {
		t.Errorf("the write must happen before the drop: revision %d", f.Revision)
	}
}

func TestTruncateSendsHalfAWellFramedBody(t *testing.T) {
	s := Start(t, Options{})
	MustAdd(t, s, flowSrc("company", "etl"))
	s.SetFaults(Faults{TruncateRate: 1})
	a := newCaller(t, s).get("/api/v1/main/flows/company/etl?source=true")
	if a.status != 200 || len(a.body) == 0 || strings.HasSuffix(string(a.body), "}") {
		t.Errorf("truncated answer: %d %q", a.status, a.body)
	}
}

func TestHangWaitsForTheClient(t *testing.T) {
	s := kestrafake.New(Options{})
	s.SetFaults(Faults{Hang: true})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+"/api/v1/configs", nil)
	start := time.Now()
	if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("hang: err = %v", err)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("answered after %s", d)
	}
	// A hanging request in flight must not block Close.
	go func() { _, _ = http.Get(s.URL() + "/api/v1/configs") }()
	time.Sleep(20 * time.Millisecond)
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(untilDeadline(t)): // no wall-clock bound a loaded machine can miss
		t.Fatal("Close blocked on a hanging request, up to the test's deadline")
	}
}

func TestLatency(t *testing.T) {
	s := Start(t, Options{})
	s.SetFaults(Faults{Latency: 50 * time.Millisecond})
	start := time.Now()
	newCaller(t, s).get("/api/v1/configs")
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("answered after %s, want >= 50ms", d)
	}
}

func TestEditorChangesTheFlowRightAfterARead(t *testing.T) {
	s := Start(t, Options{})
	MustAdd(t, s, flowSrc("company", "etl"), flowSrc("company", "other"))
	s.SetEditor(Editor{Rate: 1, Max: 1})
	c := newCaller(t, s)
	var f struct {
		Revision int
		Source   string
	}
	c.get("/api/v1/main/flows/company/etl?source=true").json(t, &f)
	if f.Revision != 1 {
		t.Errorf("the answer must carry the revision read: %d", f.Revision)
	}
	cur, _ := s.Flow("company", "etl")
	if cur.Revision != 2 || cur.Source != f.Source+"# edited by a human 1\n" {
		t.Errorf("after the read: revision %d source %q", cur.Revision, cur.Source)
	}
	c.get("/api/v1/main/flows/company/other?source=true")
	if o, _ := s.Flow("company", "other"); o.Revision != 1 {
		t.Errorf("Max=1 exceeded: other at revision %d", o.Revision)
	}
	c.get("/api/v1/main/flows/company/etl") // no source: not a read for the editor
	want := []Edit{{Namespace: "company", ID: "etl", Revision: 2}}
	if got := s.EditedFlows(); len(got) != 1 || got[0] != want[0] {
		t.Errorf("EditedFlows = %+v, want %+v", got, want)
	}
}

func TestEditorOnExport(t *testing.T) {
	s := Start(t, Options{})
	MustAdd(t, s, flowSrc("company", "a"), flowSrc("company", "b"))
	s.SetEditor(Editor{Rate: 1, OnExport: true, Edit: func(f Flow, n int) string { return f.Source + "# custom\n" }})
	newCaller(t, s).get("/api/v1/main/flows/export/by-query?namespace=company")
	if got := s.EditedFlows(); len(got) != 2 {
		t.Errorf("EditedFlows = %+v", got)
	}
	if f, _ := s.Flow("company", "b"); !strings.HasSuffix(f.Source, "# custom\n") {
		t.Errorf("custom edit not applied: %q", f.Source)
	}
}

// untilDeadline is how long to wait for what must happen: the test
// binary's own deadline, less a margin to report.
func untilDeadline(t *testing.T) time.Duration {
	if deadline, ok := t.Deadline(); ok {
		return time.Until(deadline) - 15*time.Second
	}
	return 24 * time.Hour
}
