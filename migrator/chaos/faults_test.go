package chaos_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/migrator/fleettest"
	"github.com/kestra-migrator/kestra-migrator/migrator/report"
)

// attempts counts the client's HTTP attempts by outcome, to prove faults
// were injected and retried.
type attempts struct {
	mu     sync.Mutex
	total  int
	byCode map[int]int // 0 = network error (a connection closed mid-answer)
}

func (a *attempts) ObserveRequest(_, _ string, code, _ int, _ time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.total++
	if a.byCode == nil {
		a.byCode = map[int]int{}
	}
	a.byCode[code]++
}

func (a *attempts) count(code int) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.byCode[code]
}

func (a *attempts) String() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return fmt.Sprintf("%d attempts: %d answered 503, %d answered 429, %d cut mid-answer", a.total, a.byCode[503], a.byCode[429], a.byCode[0])
}

// TestApplyUnderFaultsFailsNoFlow: 10% of requests answer 503, every 25th
// answers 429, 5% are handled and then cut mid-answer, each waits a random
// latency: apply migrates every legacy flow exactly once, fails none. The
// full form sends Retry-After with the 429s and 503s (whole seconds, so it
// takes minutes); the reduced one lets the client back off on its own.
func TestApplyUnderFaultsFailsNoFlow(t *testing.T) {
	sz := suiteSizes()
	flows := fleettest.Generate(sz.flows, sz.namespaces, legacyShare, false)
	srv := kestratest.Start(t, kestratest.Options{})
	obs := &attempts{}
	cfg := fleettest.ClientConfig(srv.URL(), kestratest.Options{})
	cfg.Observer = obs
	f := fleettest.NewFleetOn(t, srv, srv.URL(), flows, cfg)
	faults := kestratest.Faults{Rate503: 0.10, Every429: 25, DropRate: 0.05, Jitter: 3 * time.Millisecond, Seed: 6}
	if sz.full {
		faults.RetryAfter = time.Second
	}
	srv.SetFaults(faults)
	start := time.Now()
	rep := f.Run(t, migrator.ModeApply)
	took := time.Since(start)
	srv.SetFaults(kestratest.Faults{})

	if rep.Summary.Failed+rep.Summary.Conflict+rep.Summary.Invalid != 0 || rep.Summary.Migrated != f.Pending() {
		for _, it := range fleettest.Items(rep) {
			if it.Status != report.StatusMigrated && it.Status != report.StatusUpToDate {
				t.Errorf("%s/%s: %s: %s", it.Namespace, it.ID, it.Status, fleettest.Reason(it))
			}
		}
		t.Fatalf("faults changed the outcome: %+v, want %d migrated and nothing else", rep.Summary.Counts, f.Pending())
	}
	for _, fl := range flows {
		revs := f.Server.Revisions(fl.Namespace, fl.ID)
		want := 1
		if fl.Pending() {
			want = 2
		}
		if len(revs) != want || fl.Pending() && !migratedSource(revs[len(revs)-1].Source) {
			t.Errorf("%s/%s (%s): %d revisions, want %d", fl.Namespace, fl.ID, fl.Expect, len(revs), want)
		}
	}
	t.Logf("%s, %d migrated in %s; %s", sz, rep.Summary.Migrated, took.Round(time.Millisecond), obs)
	if obs.count(503) == 0 || obs.count(429) == 0 || obs.count(0) == 0 {
		t.Errorf("not every fault was injected: %s", obs)
	}
	if n := srv.RequestCount(kestratest.EndpointBulk) + srv.RequestCount(kestratest.EndpointNamespaceReplace); n != 0 {
		t.Errorf("%d calls to the bulk or namespace-replace endpoints", n)
	}
}

// TestTruncatedAnswersAreRetried: a broken proxy sends 5% of the answers
// well framed but cut in half (a Content-Length that matches the short
// body). Reads are idempotent and a write's outcome is settled by reading
// back, so no flow should fail for it.
func TestTruncatedAnswersAreRetried(t *testing.T) {
	sz := suiteSizes()
	flows := fleettest.Generate(sz.flows, sz.namespaces, legacyShare, false)
	f := fleettest.NewFleet(t, flows, kestratest.Options{})
	f.Server.SetFaults(kestratest.Faults{TruncateRate: 0.05, Seed: 1})
	rep, err := f.Engine().Run(context.Background(), migrator.RunOptions{Mode: migrator.ModeApply, Selection: migrator.Selection{All: true}})
	f.Server.SetFaults(kestratest.Faults{})
	if err != nil {
		t.Fatalf("apply stopped: %v", err)
	}
	if rep.Summary.Failed != 0 || rep.Summary.Migrated != f.Pending() {
		t.Errorf("truncated answers: %+v, want %d migrated and none failed", rep.Summary.Counts, f.Pending())
	}
}
