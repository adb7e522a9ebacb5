package store

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestProgressRoundTrip(t *testing.T) {
	s := bound(t, newTestStore(t))
	in := []NamespaceProgress{
		{Namespace: "b", Counts: map[string]int{"pending": 2, "up-to-date": 5}, LastScan: t0, Cursor: "etl-7", RunID: "r1"},
		{Namespace: "a.x", Complete: true, LastScan: t0, Counts: map[string]int{"migrated": 1}},
		{Namespace: "a", Error: "list flows: Get \"https://u:pw@k/api\": 503"},
	}
	for _, p := range in {
		if err := s.PutProgress(p); err != nil {
			t.Fatal(err)
		}
	}
	for i := range in {
		in[i].Server = testServer // as read back
	}
	wantA := in[2]
	wantA.Error = "list flows: Get \"https://k/api\": 503"
	want := []NamespaceProgress{wantA, in[1], in[0]}
	got, err := s.AllProgress()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("AllProgress (-want +got):\n%s", diff)
	}
	one, err := s.Progress("b")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in[0], one); diff != "" {
		t.Errorf("Progress(b) (-want +got):\n%s", diff)
	}
	if _, err := s.Progress("c"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Progress(c): err = %v, want ErrNotFound", err)
	}
	if err := s.PutProgress(NamespaceProgress{}); !errors.Is(err, errBadKey) {
		t.Errorf("PutProgress without namespace: err = %v", err)
	}
}
