package store

import (
	"errors"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

var (
	serverA = ServerID{URL: "https://kestra.prod.example.com", Tenant: "main", Instance: "aaaa-1111"}
	serverB = ServerID{URL: "https://kestra.staging.example.com", Tenant: "main", Instance: "bbbb-2222"}
)

// twoServers writes, in one state file, a run of A and a run of B that
// each migrated company.team/etl and recorded its state and progress.
func twoServers(t *testing.T) string {
	t.Helper()
	path := testPath(t)
	for _, srv := range []ServerID{serverA, serverB} {
		s := openTest(t, path, Options{NoSync: true})
		if err := s.BindServer(srv); err != nil {
			t.Fatal(err)
		}
		run := "run-" + srv.Instance
		if err := s.CreateRun(Run{ID: run, Command: "apply"}); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveSnapshot(Snapshot{RunID: run, Namespace: "company.team", FlowID: "etl", Revision: 1,
			Original: []byte("original of " + srv.URL), Migrated: []byte("migrated")}); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkSnapshot(run, "company.team", "etl", SnapshotWritten, 2, ""); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordNamespace([]FlowState{{Namespace: "company.team", ID: "etl", Revision: 2, Status: "migrated", RunID: run}},
			NamespaceProgress{Namespace: "company.team", Counts: map[string]int{"migrated": 1}, Complete: true, RunID: run}); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// TestServersRecordsLiveSideBySide: one state file holds the records of two
// servers; a store bound to one sees only that one's, an unbound store sees
// both, each with its server.
func TestServersRecordsLiveSideBySide(t *testing.T) {
	path := twoServers(t)
	for _, srv := range []ServerID{serverA, serverB} {
		s := openTest(t, path, Options{ReadOnly: true})
		if err := s.BindServer(srv); err != nil {
			t.Fatal(err)
		}
		runs, err := s.Runs(0)
		if err != nil || len(runs) != 1 || runs[0].ServerID() != srv {
			t.Errorf("%s: Runs = %+v, %v; want its own run only", srv, runs, err)
		}
		snaps, err := s.Snapshots(SnapshotFilter{Namespace: "company"})
		if err != nil || len(snaps) != 1 || string(snaps[0].Original) != "original of "+srv.URL || snaps[0].Server != srv {
			t.Errorf("%s: Snapshots = %+v, %v; want its own snapshot only", srv, snaps, err)
		}
		latest, err := s.LatestSnapshot("company.team", "etl")
		if err != nil || latest.Server != srv {
			t.Errorf("%s: LatestSnapshot = %+v, %v", srv, latest, err)
		}
		states, err := s.FlowStates("company.team")
		if err != nil || len(states) != 1 || states["etl"].RunID != "run-"+srv.Instance {
			t.Errorf("%s: FlowStates = %+v, %v", srv, states, err)
		}
		p, err := s.Progress("company.team")
		if err != nil || p.RunID != "run-"+srv.Instance || p.Server != srv {
			t.Errorf("%s: Progress = %+v, %v", srv, p, err)
		}
		_ = s.Close()
	}

	all := openTest(t, path, Options{ReadOnly: true}) // status, runs, snapshots list
	runs, err := all.Runs(0)
	if err != nil || len(runs) != 2 {
		t.Fatalf("unbound Runs = %+v, %v; want both servers' runs", runs, err)
	}
	snaps, err := all.Snapshots(SnapshotFilter{SkipSources: true})
	if err != nil || len(snaps) != 2 || snaps[0].Server == snaps[1].Server {
		t.Errorf("unbound Snapshots = %+v, %v; want one per server, each naming its server", snaps, err)
	}
	progress, err := all.AllProgress()
	if err != nil || len(progress) != 2 || progress[0].Server != serverA || progress[1].Server != serverB {
		t.Errorf("unbound AllProgress = %+v, %v", progress, err)
	}
	if _, err := all.FlowStates("company.team"); !errors.Is(err, ErrNotBound) {
		t.Errorf("unbound FlowStates: %v, want ErrNotBound", err)
	}
}

// TestBoundStoreRefusesAnotherServersRecords: nothing of another server is
// used, marked or written, and the error names both servers.
func TestBoundStoreRefusesAnotherServersRecords(t *testing.T) {
	path := twoServers(t)
	s := openTest(t, path, Options{NoSync: true})
	if err := s.BindServer(serverB); err != nil {
		t.Fatal(err)
	}
	runA := "run-" + serverA.Instance
	refusals := map[string]error{}
	_, refusals["Run"] = s.Run(runA)
	_, refusals["Snapshot"] = s.Snapshot(runA, "company.team", "etl")
	_, refusals["Snapshots of the run"] = s.Snapshots(SnapshotFilter{RunID: runA})
	refusals["MarkSnapshot"] = s.MarkSnapshot(runA, "company.team", "etl", SnapshotRolledBack, 0, "rb")
	refusals["MarkSnapshots"] = s.MarkSnapshots([]SnapshotMark{{RunID: runA, Namespace: "company.team", FlowID: "etl", State: SnapshotRolledBack}})
	refusals["SaveSnapshot"] = s.SaveSnapshot(Snapshot{RunID: runA, Namespace: "company.team", FlowID: "other", Original: []byte("x")})
	refusals["FinishRun"] = s.FinishRun(runA, t0, RunDone, nil, "")
	refusals["CreateRun"] = s.CreateRun(Run{ID: "r-new", Command: "apply", Server: serverA.URL, Tenant: serverA.Tenant})
	refusals["RecordNamespace mark"] = s.RecordNamespace(nil, NamespaceProgress{Namespace: "company.team", RunID: "x"},
		SnapshotMark{RunID: runA, Namespace: "company.team", FlowID: "etl", State: SnapshotRolledBack})
	for what, err := range refusals {
		var other *OtherServerError
		if !errors.As(err, &other) || !errors.Is(err, ErrOtherServer) {
			t.Errorf("%s: err = %v, want an *OtherServerError", what, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, serverA.URL) || !strings.Contains(msg, serverB.URL) {
			t.Errorf("%s: %q does not name both servers", what, msg)
		}
	}
	// A's snapshot was not marked
	_ = s.Close()
	all := openTest(t, path, Options{ReadOnly: true})
	snaps, err := all.Snapshots(SnapshotFilter{RunID: runA, SkipSources: true})
	if err != nil || len(snaps) != 1 || snaps[0].State != SnapshotWritten || snaps[0].RolledBackBy != "" {
		t.Errorf("A's snapshot after B's refusals: %+v, %v", snaps, err)
	}
}

// TestRefuseOtherServerSelection: a selection that holds only another
// server's snapshots is refused when asked, and otherwise selects nothing;
// one that holds some of the bound server's selects those.
func TestRefuseOtherServerSelection(t *testing.T) {
	path := twoServers(t)
	other := ServerID{URL: "https://kestra.dev.example.com", Tenant: "main"}
	s := openTest(t, path, Options{ReadOnly: true})
	if err := s.BindServer(other); err != nil {
		t.Fatal(err)
	}
	snaps, err := s.Snapshots(SnapshotFilter{Namespace: "company.team"})
	if err != nil || len(snaps) != 0 {
		t.Errorf("without RefuseOtherServer: %+v, %v; want nothing", snaps, err)
	}
	_, err = s.Snapshots(SnapshotFilter{Namespace: "company.team", RefuseOtherServer: true})
	if !errors.Is(err, ErrOtherServer) || !strings.Contains(err.Error(), other.URL) {
		t.Errorf("with RefuseOtherServer: %v, want an *OtherServerError", err)
	}
	a := openTest(t, path, Options{ReadOnly: true})
	if err := a.BindServer(serverA); err != nil {
		t.Fatal(err)
	}
	snaps, err = a.Snapshots(SnapshotFilter{Namespace: "company.team", RefuseOtherServer: true})
	if err != nil || len(snaps) != 1 || snaps[0].Server != serverA {
		t.Errorf("A's own selection: %+v, %v", snaps, err)
	}
}

func TestServerIdentity(t *testing.T) {
	tests := []struct {
		a, b ServerID
		same bool
	}{
		{serverA, serverA, true},
		{serverA, ServerID{URL: "HTTPS://admin:pw@Kestra.Prod.Example.com:443/", Tenant: "main", Instance: "aaaa-1111"}, true},
		{serverA, ServerID{URL: serverA.URL, Tenant: "main"}, true}, // recorded before instance ids were kept
		{serverA, ServerID{URL: serverA.URL, Tenant: "other", Instance: "aaaa-1111"}, false},
		{serverA, ServerID{URL: serverA.URL, Tenant: "main", Instance: "cccc-3333"}, false}, // reinstalled behind the same URL
		{serverA, ServerID{URL: serverB.URL, Tenant: "main", Instance: "aaaa-1111"}, false}, // a clone of A's database
		{serverA, ServerID{URL: serverA.URL + "/kestra", Tenant: "main", Instance: "aaaa-1111"}, false},
		{ServerID{URL: "http://k:80"}, ServerID{URL: "http://k"}, true},
		{ServerID{URL: "http://k:8080"}, ServerID{URL: "http://k"}, false},
	}
	for _, tt := range tests {
		if got := tt.a.Same(tt.b); got != tt.same {
			t.Errorf("%v.Same(%v) = %v, want %v", tt.a, tt.b, got, tt.same)
		}
	}
	s := newTestStore(t)
	if err := s.BindServer(serverA); err != nil {
		t.Fatal(err)
	}
	if err := s.BindServer(ServerID{URL: serverA.URL + "/", Tenant: "main", Instance: "aaaa-1111"}); err != nil {
		t.Errorf("binding again to the same server: %v", err)
	}
	if err := s.BindServer(serverB); !errors.Is(err, ErrOtherServer) {
		t.Errorf("binding to another server: %v, want ErrOtherServer", err)
	}
	if got, _ := s.Server(); got != serverA {
		t.Errorf("bound to %v after a refused rebind, want %v", got, serverA)
	}
}

// TestUpgradeMovesRecordsUnderTheirServer: a schema 1 file's flow states,
// progress and latest-snapshot index move under the server of the run that
// wrote them; a record of an unrecorded run (plan) is dropped.
func TestUpgradeMovesRecordsUnderTheirServer(t *testing.T) {
	path := testPath(t)
	s := bound(t, openTest(t, path, Options{NoSync: true}))
	mustCreateRun(t, s, "r1")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	legacy := ServerID{URL: "http://old.example.com:8080", Tenant: "main"}
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error { // rewrite it as schema 1 wrote it
		if err := tx.DeleteBucket(bucketServers); err != nil {
			return err
		}
		puts := map[string][][2]string{
			"runs":      {{"r-old", `{"command":"apply","server":"http://old.example.com:8080/","tenant":"main","status":"done","startedAt":"2026-01-01T00:00:00Z"}`}},
			"flows":     {{"company\x00etl", `{"revision":3,"status":"migrated","runId":"r-old"}`}, {"company\x00plan", `{"revision":1,"status":"pending","runId":"r-plan"}`}},
			"progress":  {{"company", `{"complete":true,"runId":"r-old","counts":{"migrated":1}}`}},
			"latest":    {{"company\x00etl", "r-old"}},
			"snapshots": {{"r-old\x00company\x00etl", `{"revision":2,"newRevision":3,"state":"written","createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z"}`}},
			"sources":   {{"r-old\x00company\x00etl", "\x01ab"}},
		}
		for bucket, kvs := range puts {
			b, err := tx.CreateBucketIfNotExists([]byte(bucket))
			if err != nil {
				return err
			}
			for _, kv := range kvs {
				if err := b.Put([]byte(kv[0]), []byte(kv[1])); err != nil {
					return err
				}
			}
		}
		return tx.Bucket(bucketMeta).Put(keySchema, []byte("1"))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	up := openTest(t, path, Options{NoSync: true})
	assertSchema(t, up, SchemaVersion)
	if err := up.BindServer(ServerID{URL: legacy.URL, Tenant: "main", Instance: "now-known"}); err != nil {
		t.Fatal(err)
	}
	if run, err := up.Run("r-old"); err != nil || run.Server != legacy.URL {
		t.Errorf("the old run, seen from its server: %+v, %v", run, err)
	}
	if snap, err := up.LatestSnapshot("company", "etl"); err != nil || snap.RunID != "r-old" || snap.Server != legacy {
		t.Errorf("latest snapshot after the upgrade: %+v, %v", snap, err)
	}
	_ = up.Close()
	all := openTest(t, path, Options{ReadOnly: true})
	progress, err := all.AllProgress()
	if err != nil || len(progress) != 1 || progress[0].Server != legacy {
		t.Errorf("progress after the upgrade: %+v, %v", progress, err)
	}
	old := openTest(t, path, Options{ReadOnly: true})
	if err := old.BindServer(legacy); err != nil {
		t.Fatal(err)
	}
	states, err := old.FlowStates("company")
	if err != nil || len(states) != 1 || states["etl"].Revision != 3 {
		t.Errorf("flow states after the upgrade: %+v, %v (the plan run's record is dropped)", states, err)
	}
}
