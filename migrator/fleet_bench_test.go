package migrator_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/client/kestrafake"
	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/migrator/fleettest"
	"github.com/kestra-migrator/kestra-migrator/migrator/rewrite"
	"github.com/kestra-migrator/kestra-migrator/store"
)

// benchFleetSize reads KESTRA_MIGRATOR_BENCH_FLOWS (default 10,000).
func benchFleetSize() int {
	if n, err := strconv.Atoi(os.Getenv("KESTRA_MIGRATOR_BENCH_FLOWS")); err == nil && n > 0 {
		return n
	}
	return 10000
}

// scanEndpoints are the requests that read the fleet; the rest write it.
var scanEndpoints = []string{kestratest.EndpointConfigs, kestratest.EndpointNamespaces,
	kestratest.EndpointSearch, kestratest.EndpointExport}

// BenchmarkFleetApply migrates a fleet (30% pending) over 40 namespaces with
// 10 ms of latency per request and concurrency 8, and reports the wall time,
// the requests per up-to-date and per migrated flow, and the ratio of the
// wall time to the bound (requests x latency / concurrency).
func BenchmarkFleetApply(b *testing.B) {
	const latency, concurrency = 10 * time.Millisecond, 8
	n := benchFleetSize()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		flows := fleettest.Generate(n, 40, 0.3, false)
		srv, cli, st := benchFleet(b, flows)
		srv.SetFaults(kestratest.Faults{Latency: latency})
		srv.ResetCounters()
		e := &migrator.Engine{Source: cli, Store: st, Rewriter: rewrite.MustRewriter(rewrite.Options{}),
			Concurrency: concurrency, Validate: true}
		b.StartTimer()
		start := time.Now()
		rep, err := e.Run(context.Background(), migrator.RunOptions{Mode: migrator.ModeApply, Selection: migrator.Selection{All: true}})
		wall := time.Since(start)
		b.StopTimer()
		if err != nil || rep.Summary.Migrated == 0 || rep.Summary.Failed+rep.Summary.Conflict > 0 {
			b.Fatalf("apply: %v %+v", err, rep.Summary)
		}
		reqs := srv.Requests()
		scan := 0
		for _, ep := range scanEndpoints {
			scan += reqs[ep]
		}
		total := srv.TotalRequests()
		bound := time.Duration(total) * latency / concurrency
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(float64(scan)/float64(rep.Summary.UpToDate), "req/up-to-date")
		b.ReportMetric(float64(total-scan)/float64(rep.Summary.Migrated), "req/migrated")
		b.ReportMetric(wall.Seconds()/bound.Seconds(), "x-bound")
		b.ReportMetric(float64(total), "requests")
		st.Close()
		srv.Close()
	}
}

// BenchmarkNaiveSerial is the same job as a user would script it: for each
// flow, get it, rewrite it, put it back, one at a time. It runs on a tenth
// of the fleet (it is linear by construction) and reports the time it would
// take on the whole fleet, to compare with BenchmarkFleetApply's wall-s.
func BenchmarkNaiveSerial(b *testing.B) {
	const latency = 10 * time.Millisecond
	n := benchFleetSize()
	sample := n / 10
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		flows := fleettest.Generate(n, 40, 0.3, false)[:sample]
		srv, cli, st := benchFleet(b, flows)
		srv.SetFaults(kestratest.Faults{Latency: latency})
		rw := rewrite.MustRewriter(rewrite.Options{})
		ctx := context.Background()
		b.StartTimer()
		start := time.Now()
		for _, fl := range flows {
			f, err := cli.Flow(ctx, fl.Namespace, fl.ID)
			if err != nil {
				b.Fatal(err)
			}
			res, err := rw.Rewrite([]byte(f.Source))
			if err != nil || res.Status != rewrite.StatusPending {
				continue
			}
			if _, err := cli.UpdateFlow(ctx, fl.Namespace, fl.ID, res.Source); err != nil {
				b.Fatal(err)
			}
		}
		wall := time.Since(start)
		b.StopTimer()
		b.ReportMetric(wall.Seconds()*float64(n)/float64(sample), "wall-s-projected")
		st.Close()
		srv.Close()
	}
}

// benchFleet seeds a fake server and opens a client and a state file.
func benchFleet(b *testing.B, flows []fleettest.Flow) (*kestratest.Server, *client.Client, *store.Store) {
	b.Helper()
	srv := kestrafake.New(kestrafake.Options{})
	if err := fleettest.Seed(srv, flows); err != nil {
		b.Fatal(err)
	}
	cli, err := client.New(client.Config{Server: srv.URL(), IdentifyFlow: rewrite.FlowIdentity, Retries: 3, RetryWaitMin: time.Millisecond, RetryWaitMax: 10 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(filepath.Join(b.TempDir(), fmt.Sprintf("state-%d.db", time.Now().UnixNano())), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return srv, cli, st
}

// nullStore is a state store that keeps nothing: the baseline to measure
// what the real one costs.
type nullStore struct{}

func (nullStore) BindServer(store.ServerID) error                                   { return nil }
func (nullStore) CreateRun(store.Run) error                                         { return nil }
func (nullStore) FinishRun(string, time.Time, string, map[string]int, string) error { return nil }
func (nullStore) Run(string) (store.Run, error)                                     { return store.Run{}, store.ErrNotFound }
func (nullStore) Runs(int) ([]store.Run, error)                                     { return nil, nil }
func (nullStore) SaveSnapshot(store.Snapshot) error                                 { return nil }
func (nullStore) MarkSnapshot(string, string, string, store.SnapshotState, int, string) error {
	return nil
}
func (nullStore) MarkSnapshots([]store.SnapshotMark) error                 { return nil }
func (nullStore) Snapshots(store.SnapshotFilter) ([]store.Snapshot, error) { return nil, nil }
func (nullStore) FlowStates(string) (map[string]store.FlowState, error) {
	return map[string]store.FlowState{}, nil
}
func (nullStore) RecordNamespace([]store.FlowState, store.NamespaceProgress, ...store.SnapshotMark) error {
	return nil
}
func (nullStore) Progress(string) (store.NamespaceProgress, error) {
	return store.NamespaceProgress{}, store.ErrNotFound
}

// BenchmarkStoreShare runs the fleet apply at 0 latency with the real state
// file (fsync on) and with a store that keeps nothing, alternately, three
// times each, and reports the medians and the share of the apply time the
// state file costs.
func BenchmarkStoreShare(b *testing.B) {
	n := benchFleetSize()
	for i := 0; i < b.N; i++ {
		var withStore, without []float64
		for rep := 0; rep < 3; rep++ {
			withStore = append(withStore, timeApply(b, n, true).Seconds())
			without = append(without, timeApply(b, n, false).Seconds())
		}
		ws, wo := median(withStore), median(without)
		b.ReportMetric(ws, "wall-s-store")
		b.ReportMetric(wo, "wall-s-nostore")
		b.ReportMetric(100*(ws-wo)/ws, "store-%")
	}
}

// timeApply times one apply at 0 latency over a fresh fleet.
func timeApply(b *testing.B, n int, realStore bool) time.Duration {
	b.StopTimer()
	defer b.StartTimer()
	flows := fleettest.Generate(n, 40, 0.3, false)
	srv, cli, st := benchFleet(b, flows)
	defer srv.Close()
	defer st.Close()
	e := &migrator.Engine{Source: cli, Store: st, Rewriter: rewrite.MustRewriter(rewrite.Options{}),
		Concurrency: 8, Validate: true}
	if !realStore {
		e.Store = nullStore{}
	}
	start := time.Now()
	rep, err := e.Run(context.Background(), migrator.RunOptions{Mode: migrator.ModeApply, Selection: migrator.Selection{All: true}})
	wall := time.Since(start)
	if err != nil || rep.Summary.Failed > 0 {
		b.Fatalf("apply: %v %+v", err, rep.Summary)
	}
	return wall
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}
