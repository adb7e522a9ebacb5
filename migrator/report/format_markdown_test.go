package report

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestMarkdownEscapesServerText: ids, reasons, types and warnings come from
// the server; none of their HTML or markdown passes into the report.
func TestMarkdownEscapesServerText(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	rec := NewRecorder("plan", "run-1", now)
	rec.SetServer("http://kestra/<b>", "", "1.3.0")
	evil := `<img src=x onerror=alert(1)> [link](javascript:alert(1)) | ` + "`code`"
	rec.Add(Item{Namespace: "a", ID: "x`<script>", Status: StatusFailed, Reason: &evil,
		Changes:  []Change{{Path: "tasks[0]", TaskID: "t`</code><b>", Type: "<i>T</i>", From: []string{"runner<"}, To: []string{"taskRunner"}}},
		Warnings: []Warning{{Message: "<script>alert(1)</script>"}}})
	rec.Warn("<iframe src=//evil>")
	var buf bytes.Buffer
	if err := (markdownFormat{}).Format(&buf, rec.Finish(now)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, raw := range []string{"<img", "<script>", "<iframe", "<i>", "](javascript", "</code><b>"} {
		// a raw tag is one not escaped (\<) and not inside a code span
		for _, line := range strings.Split(out, "\n") {
			if i := strings.Index(line, raw); i >= 0 && !escapedOrInCode(line, i) {
				t.Errorf("raw %q passed:\n%s", raw, line)
			}
		}
	}
	if !strings.Contains(out, "tenant `none`") {
		t.Errorf("a server without tenants: %s", out)
	}
}

// escapedOrInCode: the text at i is preceded by a backslash or sits inside
// a code span (CommonMark: a run of n backticks up to the next run of
// exactly n), whose content is never read as HTML.
func escapedOrInCode(line string, i int) bool {
	if i > 0 && line[i-1] == '\\' {
		return true
	}
	run := func(j int) int {
		n := 0
		for j+n < len(line) && line[j+n] == '`' {
			n++
		}
		return n
	}
	for j := 0; j < len(line); {
		n := run(j)
		if n == 0 {
			j++
			continue
		}
		k := j + n
		for k < len(line) {
			if m := run(k); m == n {
				break
			} else if m > 0 {
				k += m
			} else {
				k++
			}
		}
		if k >= len(line) { // no closing run: literal backticks
			j += n
			continue
		}
		if i >= j && i < k+n {
			return true
		}
		j = k + n
	}
	return false
}
