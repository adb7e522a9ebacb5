package report

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestForcedRestoresAreListedAsSuch: rollback --force overwrote an edit;
// every human format says so next to the flow.
func TestForcedRestoresAreListedAsSuch(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	rec := NewRecorder("rollback", "run-2", now)
	rec.Add(Item{Namespace: "a", ID: "edited", Status: StatusRestored, Forced: true})
	rec.Add(Item{Namespace: "a", ID: "clean", Status: StatusRestored})
	rep := rec.Finish(now)
	for _, name := range []string{"table", "markdown", "html", "json"} {
		var buf bytes.Buffer
		if err := Write(&buf, name, rep); err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(buf.String(), "forced"); n != 1 && !(name == "html" && n >= 1) {
			t.Errorf("%s: %d mentions of forced:\n%s", name, n, buf.String())
		}
	}
}

// TestHTMLStatusShowsItsSourceAndRuns: the status page says it is the state
// file's view and lists the last runs, restored flows as restored.
func TestHTMLStatusShowsItsSourceAndRuns(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	rep := StatusReport(nil, nil, now)
	rep.Runs = []RunSummary{{RunID: "run-9", Command: "rollback", Status: "done", StartedAt: now, Summary: Counts{Flows: 3, Restored: 3}}}
	var buf bytes.Buffer
	if err := Write(&buf, "html", rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"state file", "run-9", "3 restored"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("the status page lacks %q", want)
		}
	}
}
