package kestrafake

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitDocuments(t *testing.T) {
	got := SplitDocuments("---\na: 1\n--- # second\r\nb: 2\r\n---\n# only a comment\n---\n  ---\nc: 3")
	want := []string{"a: 1\n", "b: 2\r\n", "  ---\nc: 3"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
