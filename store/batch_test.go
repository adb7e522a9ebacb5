package store

import (
	"errors"
	"strings"
	"testing"
)

func TestMarkSnapshotsIsAllOrNothing(t *testing.T) {
	s := bound(t, newTestStore(t))
	mustCreateRun(t, s, "r1")
	for _, id := range []string{"a", "b"} {
		if err := s.SaveSnapshot(Snapshot{RunID: "r1", Namespace: "ns", FlowID: id, Revision: 1, Original: []byte("o"), Migrated: []byte("m")}); err != nil {
			t.Fatal(err)
		}
	}
	ok := []SnapshotMark{{RunID: "r1", Namespace: "ns", FlowID: "a", State: SnapshotWritten, NewRevision: 2},
		{RunID: "r1", Namespace: "ns", FlowID: "b", State: SnapshotAbandoned}}
	if err := s.MarkSnapshots(ok); err != nil {
		t.Fatal(err)
	}
	a, _ := s.Snapshot("r1", "ns", "a")
	b, _ := s.Snapshot("r1", "ns", "b")
	if a.State != SnapshotWritten || a.NewRevision != 2 || b.State != SnapshotAbandoned {
		t.Fatalf("a %s %d, b %s", a.State, a.NewRevision, b.State)
	}
	// b cannot go from abandoned to written: nothing of the batch is recorded
	bad := []SnapshotMark{{RunID: "r1", Namespace: "ns", FlowID: "a", State: SnapshotRolledBack, By: "r2"},
		{RunID: "r1", Namespace: "ns", FlowID: "b", State: SnapshotWritten, NewRevision: 3}}
	if err := s.MarkSnapshots(bad); !errors.Is(err, ErrTransition) {
		t.Fatalf("want ErrTransition, got %v", err)
	}
	if a, _ := s.Snapshot("r1", "ns", "a"); a.State != SnapshotWritten {
		t.Errorf("a refused batch was half recorded: a is %s", a.State)
	}
	if err := s.MarkSnapshots(nil); err != nil {
		t.Errorf("empty batch: %v", err)
	}
}

func TestRecordNamespaceStoresStatesAndProgressTogether(t *testing.T) {
	s := bound(t, newTestStore(t))
	states := []FlowState{{Namespace: "ns", ID: "a", Revision: 2, Status: "migrated"}, {Namespace: "ns", ID: "b", Revision: 1, Status: "up-to-date"}}
	if err := s.RecordNamespace(states, NamespaceProgress{Namespace: "ns", Counts: map[string]int{"migrated": 1, "up-to-date": 1}, Complete: true, RunID: "r1"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.FlowStates("ns")
	if err != nil || len(got) != 2 || got["a"].Revision != 2 {
		t.Fatalf("flow states %v %v", got, err)
	}
	p, err := s.Progress("ns")
	if err != nil || !p.Complete || p.Counts["migrated"] != 1 {
		t.Fatalf("progress %+v %v", p, err)
	}
	if err := s.RecordNamespace([]FlowState{{Namespace: "ns", ID: ""}}, NamespaceProgress{Namespace: "other"}); err == nil {
		t.Fatal("a bad flow state was accepted")
	}
	if _, err := s.Progress("other"); !errors.Is(err, ErrNotFound) {
		t.Errorf("progress recorded despite the refused states: %v", err)
	}
}

func TestRecordNamespaceWithMarks(t *testing.T) {
	s := bound(t, newTestStore(t))
	mustCreateRun(t, s, "r1")
	if err := s.SaveSnapshot(Snapshot{RunID: "r1", Namespace: "ns", FlowID: "a", Revision: 1, Original: []byte("o"), Migrated: []byte("m")}); err != nil {
		t.Fatal(err)
	}
	marks := []SnapshotMark{{RunID: "r1", Namespace: "ns", FlowID: "a", State: SnapshotWritten, NewRevision: 2},
		{RunID: "r1", Namespace: "ns", FlowID: "ghost", State: SnapshotWritten, NewRevision: 2}}
	err := s.RecordNamespace([]FlowState{{Namespace: "ns", ID: "a", Revision: 2, Status: "migrated"}},
		NamespaceProgress{Namespace: "ns", Complete: true}, marks...)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "ghost") {
		t.Fatalf("the refused mark is not reported: %v", err)
	}
	if a, _ := s.Snapshot("r1", "ns", "a"); a.State != SnapshotWritten || a.NewRevision != 2 {
		t.Errorf("mark a: %s %d", a.State, a.NewRevision)
	}
	if p, err := s.Progress("ns"); err != nil || !p.Complete {
		t.Errorf("progress not recorded along a refused mark: %+v %v", p, err)
	}
}
