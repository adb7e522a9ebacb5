package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// TestJSONFormatMatchesEncodingJSON: the streaming writer says exactly what
// encoding/json says of the whole report.
func TestJSONFormatMatchesEncodingJSON(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	rec := NewRecorder("plan", "run-1", now)
	rec.SetServer("http://kestra", "main", "1.3.0")
	rec.SetRules("1.3", []string{"runner-to-task-runner", "input-id"})
	rec.Warn("a warning")
	rec.Add(Item{Namespace: "a", ID: "x", Status: StatusPending, Changes: []Change{{Path: "tasks[0]", TaskID: "t", From: []string{"runner"}, To: []string{"taskRunner"}}}})
	rec.Add(Item{Namespace: "a", ID: "y", Status: StatusUpToDate})
	rec.Add(Item{Namespace: "b", ID: "z", Status: StatusFailed, Reason: htmlStrPtr("boom")})
	rec.Touch("c")
	// more namespaces than are encoded ahead of the writer: they stay in order
	many := NewRecorder("fix", "", now)
	for i := range 37 {
		many.Add(Item{Namespace: fmt.Sprintf("ns%02d", i), ID: "f", Status: StatusPending})
	}
	for _, rep := range []*Report{rec.Finish(now), NewRecorder("plan", "", now).Finish(now), StatusReport(nil, nil, now), many.Finish(now)} {
		var buf bytes.Buffer
		if err := (jsonFormat{}).Format(&buf, rep); err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(rep)
		var got, exp any
		if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, buf.String())
		}
		_ = json.Unmarshal(want, &exp)
		if !reflect.DeepEqual(got, exp) {
			t.Errorf("streamed JSON differs:\n%s\nwant\n%s", buf.String(), want)
		}
	}
	rep := rec.Finish(now)
	if rep.Summary.Flows != 3 || rep.Summary.UpToDate != 1 || len(rep.Namespaces[0].Items) != 1 {
		t.Errorf("up-to-date flows are counted, not listed: %+v, %d items", rep.Summary, len(rep.Namespaces[0].Items))
	}
}
