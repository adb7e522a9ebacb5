package store

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFlowStatesRoundTrip(t *testing.T) {
	s := bound(t, newTestStore(t))
	in := []FlowState{
		{Namespace: "a", ID: "x", Revision: 3, SourceHash: "sha256:01", Status: "migrated", RunID: "r1", UpdatedAt: t0.Add(-time.Hour)},
		{Namespace: "a", ID: "y", Revision: 1, SourceHash: "sha256:02", Status: "failed", Reason: `Get "http://u:pw@k/x": EOF`},
		{Namespace: "a.b", ID: "x", Revision: 2, Status: "up-to-date"},
		{Namespace: "a-b", ID: "x", Revision: 2, Status: "up-to-date"},
	}
	if err := s.PutFlowStates(in); err != nil {
		t.Fatal(err)
	}
	want := map[string]FlowState{
		"x": in[0],
		"y": {Namespace: "a", ID: "y", Revision: 1, SourceHash: "sha256:02", Status: "failed", Reason: `Get "http://k/x": EOF`, UpdatedAt: t0},
	}
	got, err := s.FlowStates("a")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FlowStates(a) (-want +got):\n%s", diff)
	}
	one, err := s.FlowState("a", "y")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want["y"], one); diff != "" {
		t.Errorf("FlowState(a, y) (-want +got):\n%s", diff)
	}
	if got, err := s.FlowStates("nope"); err != nil || len(got) != 0 {
		t.Errorf("FlowStates(nope) = %v, %v", got, err)
	}

	// Overwrite and delete.
	if err := s.PutFlowStates([]FlowState{{Namespace: "a", ID: "x", Revision: 4, Status: "up-to-date"}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.FlowState("a", "x"); got.Revision != 4 {
		t.Errorf("after overwrite revision = %d, want 4", got.Revision)
	}
	if err := s.DeleteFlowState("a", "x"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FlowState("a", "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after delete: err = %v, want ErrNotFound", err)
	}
	if err := s.DeleteFlowState("a", "x"); err != nil {
		t.Errorf("delete twice: %v", err)
	}
}

func TestPutFlowStatesIsAllOrNothing(t *testing.T) {
	s := bound(t, newTestStore(t))
	err := s.PutFlowStates([]FlowState{{Namespace: "a", ID: "x"}, {Namespace: "a", ID: ""}})
	if !errors.Is(err, errBadKey) {
		t.Fatalf("err = %v, want errBadKey", err)
	}
	if _, err := s.FlowState("a", "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("first state written despite the error: %v", err)
	}
	if err := s.PutFlowStates(nil); err != nil {
		t.Errorf("PutFlowStates(nil) = %v", err)
	}
}
