package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kestra-migrator/kestra-migrator/migrator/rewrite"
)

var (
	testBlocking = Warning{Rule: "detect-types", Code: rewrite.CodeRemovedType, Severity: rewrite.SeverityBlocking,
		Path: "tasks[0]", Message: "type removed in 2.0", URL: rewrite.Kestra2GuideURL}
	testAdvisory = Warning{Rule: "detect-ion", Code: rewrite.CodeIonRead, Severity: rewrite.SeverityAdvisory,
		Path: "tasks[1]", Message: "reads ION", URL: rewrite.Kestra2GuideURL + "/ion-binary-format"}
	testNote   = Warning{Rule: "runner-to-task-runner", Path: "tasks[0]", Message: "a plain note"}
	testChange = Change{Rule: "runner-to-task-runner", Path: "tasks[0]", TaskID: "t", From: []string{"runner"}, To: []string{"taskRunner"}}
)

func TestItemReadiness(t *testing.T) {
	ws := func(w ...Warning) []Warning { return w }
	cs := []Change{testChange}
	cases := []struct {
		name string
		it   Item
		want ReadinessClass
	}{
		{"up-to-date, nothing found", Item{Status: StatusUpToDate}, ReadinessReady},
		{"up-to-date, a plain note", Item{Status: StatusUpToDate, Warnings: ws(testNote)}, ReadinessReady},
		{"up-to-date, advisory", Item{Status: StatusUpToDate, Warnings: ws(testNote, testAdvisory)}, ReadinessAdvisory},
		{"up-to-date, blocking", Item{Status: StatusUpToDate, Warnings: ws(testAdvisory, testBlocking)}, ReadinessBlocking},
		{"pending", Item{Status: StatusPending, Changes: cs}, ReadinessFixable},
		{"pending with advisory", Item{Status: StatusPending, Changes: cs, Warnings: ws(testAdvisory)}, ReadinessFixable},
		{"pending but blocking", Item{Status: StatusPending, Changes: cs, Warnings: ws(testBlocking)}, ReadinessBlocking},
		{"migrated", Item{Status: StatusMigrated, Changes: cs}, ReadinessFixable},
		{"migrated, no changes listed (a rollback's restore)", Item{Status: StatusMigrated}, ReadinessFixable},
		{"unsupported", Item{Status: StatusUnsupported}, ReadinessBlocking},
		{"unsupported with advisory", Item{Status: StatusUnsupported, Warnings: ws(testAdvisory)}, ReadinessBlocking},
		{"invalid: the server refuses the rewrite", Item{Status: StatusInvalid, Changes: cs}, ReadinessBlocking},
		{"invalid without changes", Item{Status: StatusInvalid}, ReadinessBlocking},
		{"conflict after a rewrite", Item{Status: StatusConflict, Changes: cs}, ReadinessFixable},
		{"conflict with a blocking finding", Item{Status: StatusConflict, Changes: cs, Warnings: ws(testBlocking)}, ReadinessBlocking},
		{"conflict, never rewritten", Item{Status: StatusConflict}, ReadinessUnassessed},
		{"failed write after a rewrite", Item{Status: StatusFailed, Changes: cs}, ReadinessFixable},
		{"failed, advisory only", Item{Status: StatusFailed, Warnings: ws(testAdvisory)}, ReadinessAdvisory},
		{"failed read", Item{Status: StatusFailed}, ReadinessUnassessed},
		{"excluded", Item{Status: StatusExcluded}, ReadinessUnassessed},
		{"not attempted", Item{Status: StatusNotAttempted}, ReadinessUnassessed},
		{"restored", Item{Status: StatusRestored}, ReadinessUnassessed},
		{"unknown status", Item{Status: "weird", Warnings: ws(testBlocking)}, ReadinessUnassessed},
	}
	for _, c := range cases {
		if got := c.it.Readiness(); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

// TestItemReadinessAgreesWithRewrite: an item made of a real rewrite result,
// as the engine makes it (status, changes, warnings), is classified as
// rewrite.Readiness classifies the result; a pending one stays in its class
// once migrated.
func TestItemReadinessAgreesWithRewrite(t *testing.T) {
	files, err := filepath.Glob("../rewrite/testdata/*/*.in.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no rewrite fixtures (%v)", err)
	}
	rw := rewrite.MustRewriter(rewrite.Options{})
	seen := map[ReadinessClass]int{}
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		res, err := rw.Rewrite(src)
		if err != nil {
			continue // a fixture that does not parse: the engine reports it failed
		}
		want := rewrite.Readiness(res)
		it := Item{Status: Status(res.Status), Changes: res.Changes, Warnings: res.Warnings}
		if got := it.Readiness(); got != want {
			t.Errorf("%s: item %s, rewrite %s (status %s, warnings %v)", path, got, want, res.Status, res.Warnings)
		}
		if it.Status == StatusPending {
			it.Status = StatusMigrated
			if got := it.Readiness(); got != want {
				t.Errorf("%s migrated: %s, want %s", path, got, want)
			}
		}
		seen[want]++
	}
	for _, c := range []ReadinessClass{ReadinessReady, ReadinessFixable, ReadinessBlocking, ReadinessAdvisory} {
		if seen[c] == 0 {
			t.Errorf("no fixture is %s: the test does not cover it (%v)", c, seen)
		}
	}
}

// TestItemReadinessOfAPartialRewrite documents the one difference: a
// --partial rewrite keeps its left tasks in Result.Unsupported, which the
// item does not carry; its warnings for them are plain notes.
func TestItemReadinessOfAPartialRewrite(t *testing.T) {
	res := rewrite.Result{Status: rewrite.StatusPending, Changes: []Change{testChange},
		Warnings:    []Warning{{Rule: "runner-to-task-runner", Path: "tasks[1]", Message: "task b left as it is: by hand"}},
		Unsupported: []rewrite.Outcome{{Unsupported: "by hand"}}}
	it := Item{Status: Status(res.Status), Changes: res.Changes, Warnings: res.Warnings}
	if rewrite.Readiness(res) != ReadinessBlocking || it.Readiness() != ReadinessFixable {
		t.Errorf("partial: rewrite %s, item %s", rewrite.Readiness(res), it.Readiness())
	}
}

func readinessTestReport(command string) *Report {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	rec := NewRecorder(command, "run-r", now)
	blocking2 := testBlocking
	blocking2.Path = "tasks[2]"
	for _, it := range []Item{
		{Namespace: "a", ID: "clean", Status: StatusUpToDate},
		{Namespace: "a", ID: "noted", Status: StatusUpToDate, Warnings: []Warning{testNote}},
		{Namespace: "a", ID: "old-types", Status: StatusUpToDate, Warnings: []Warning{testBlocking, blocking2, testAdvisory}},
		{Namespace: "a", ID: "ion", Status: StatusUpToDate, Warnings: []Warning{testAdvisory}},
		{Namespace: "a", ID: "runner", Status: StatusPending, Changes: []Change{testChange}, Warnings: []Warning{testAdvisory}},
		{Namespace: "a", ID: "refused", Status: StatusInvalid, Changes: []Change{testChange}},
		{Namespace: "b", ID: "by-hand", Status: StatusUnsupported},
		{Namespace: "b", ID: "skipped", Status: StatusExcluded},
		{Namespace: "b", ID: "done", Status: StatusMigrated, Changes: []Change{testChange}},
	} {
		rec.Add(it)
	}
	rec.AddNamespace("c", Counts{Flows: 2, UpToDate: 2})
	rec.Touch("d")
	return rec.Finish(now)
}

// stateFileReport is a report as status makes it (StatusReport): counts from
// the state file, no items.
func stateFileReport(now time.Time, ns string, c Counts) *Report {
	rec := NewRecorder("status", "", now)
	rec.AddNamespace(ns, c)
	rep := rec.Finish(now)
	rep.Source = "state file"
	return rep
}

func TestRecorderCountsReadiness(t *testing.T) {
	rep := readinessTestReport("plan")
	want := map[string]Readiness{
		"a": {Ready: 2, Fixable: 1, Blocking: 2, Advisory: 1, ByCode: map[string]int{rewrite.CodeRemovedType: 1, rewrite.CodeIonRead: 3}},
		"b": {Fixable: 1, Blocking: 1, Unassessed: 1, ByCode: map[string]int{}},
		"c": {Unassessed: 2, ByCode: map[string]int{}},
		"d": {ByCode: map[string]int{}},
	}
	for _, ns := range rep.Namespaces {
		if !reflect.DeepEqual(ns.Readiness, want[ns.Namespace]) {
			t.Errorf("namespace %s: %+v, want %+v", ns.Namespace, ns.Readiness, want[ns.Namespace])
		}
		if got := ns.Readiness.Assessed() + ns.Readiness.Unassessed; got != ns.Flows {
			t.Errorf("namespace %s: classes add up to %d, %d flows", ns.Namespace, got, ns.Flows)
		}
	}
	sum := Readiness{Ready: 2, Fixable: 2, Blocking: 3, Advisory: 1, Unassessed: 3, ByCode: map[string]int{rewrite.CodeRemovedType: 1, rewrite.CodeIonRead: 3}}
	if !reflect.DeepEqual(rep.Readiness, sum) {
		t.Errorf("summary: %+v, want %+v", rep.Readiness, sum)
	}
	if got := rep.Readiness.Codes(); !slices.Equal(got, []string{rewrite.CodeIonRead, rewrite.CodeRemovedType}) {
		t.Errorf("codes, most flows first: %q", got)
	}
}

// TestRollbackReportAssessesNothing: a rollback writes sources back without
// rewriting them, so its report says nothing of their readiness.
func TestRollbackReportAssessesNothing(t *testing.T) {
	rep := readinessTestReport("rollback")
	want := Readiness{Unassessed: rep.Summary.Flows, ByCode: map[string]int{}}
	if !reflect.DeepEqual(rep.Readiness, want) {
		t.Errorf("rollback: %+v, want %+v", rep.Readiness, want)
	}
	page := renderHTML(t, rep)
	if !strings.Contains(page, `<p class="muted" id="readiness-note">readiness not assessed for 11 flows: a rollback`) ||
		strings.Count(page, `<span class="badge rd-unassessed">`) != 7 || strings.Contains(page, "badge rd-fixable") {
		t.Error("the HTML of a rollback judges its flows")
	}
}

// TestRecorderListsDetections: an up-to-date flow with a detection is listed
// without KeepUpToDate; a clean one or one with a plain note is counted only.
func TestRecorderListsDetections(t *testing.T) {
	rep := readinessTestReport("plan")
	var listed []string
	for _, ns := range rep.Namespaces {
		for _, it := range ns.Items {
			listed = append(listed, it.Namespace+"/"+it.ID)
		}
	}
	want := []string{"a/ion", "a/old-types", "a/refused", "a/runner", "b/by-hand", "b/done", "b/skipped"}
	if !slices.Equal(listed, want) {
		t.Errorf("listed %q, want %q", listed, want)
	}
}

// TestReadinessInJSON: the JSON report has a readiness object beside the
// summary and in each namespace, every counter and byCode always present;
// summary stays an object of counters, as docs/cli.md has it.
func TestReadinessInJSON(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, rep := range []*Report{readinessTestReport("plan"), NewRecorder("plan", "", now).Finish(now), stateFileReport(now, "a", Counts{Flows: 1, UpToDate: 1})} {
		var buf bytes.Buffer
		if err := (jsonFormat{}).Format(&buf, rep); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			SchemaVersion int
			Summary       map[string]int
			Readiness     map[string]json.RawMessage
			Namespaces    []struct{ Readiness map[string]json.RawMessage }
		}
		if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.SchemaVersion != 1 {
			t.Errorf("schema version %d: the readiness fields are additive", doc.SchemaVersion)
		}
		objs := []map[string]json.RawMessage{doc.Readiness}
		for _, ns := range doc.Namespaces {
			objs = append(objs, ns.Readiness)
		}
		for _, o := range objs {
			keys := slices.Sorted(maps.Keys(o))
			if !slices.Equal(keys, []string{"advisory", "blocking", "byCode", "fixable", "ready", "unassessed"}) {
				t.Errorf("readiness keys %q", keys)
			}
			if string(o["byCode"]) == "null" {
				t.Error("byCode is null, want {}")
			}
		}
	}
	var buf bytes.Buffer
	if err := (jsonFormat{}).Format(&buf, readinessTestReport("plan")); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Namespaces []struct {
			Namespace string
			Readiness Readiness
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	want := Readiness{Ready: 2, Fixable: 1, Blocking: 2, Advisory: 1, ByCode: map[string]int{"removed-type": 1, "ion-read": 3}}
	if doc.Namespaces[0].Namespace != "a" || !reflect.DeepEqual(doc.Namespaces[0].Readiness, want) {
		t.Errorf("namespace a in the JSON: %+v, want %+v", doc.Namespaces[0], want)
	}
}

// TestTableAndMarkdownListDetections: the table and the markdown list an
// up-to-date flow with a detection among the flows that need attention, and
// still leave out a clean one listed by --all-items.
func TestTableAndMarkdownListDetections(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	rec := NewRecorder("plan", "run-r", now)
	rec.KeepUpToDate = true
	rec.Add(Item{Namespace: "a", ID: "old-types", Status: StatusUpToDate, Warnings: []Warning{testBlocking}})
	rec.Add(Item{Namespace: "a", ID: "spotless", Status: StatusUpToDate})
	rep := rec.Finish(now)
	for _, name := range []string{"table", "markdown"} {
		var buf bytes.Buffer
		if err := Write(&buf, name, rep); err != nil {
			t.Fatal(err)
		}
		if out := buf.String(); !strings.Contains(out, "old-types") || !strings.Contains(out, "type removed in 2") || strings.Contains(out, "spotless") {
			t.Errorf("%s lists:\n%s", name, out)
		}
	}
	var buf bytes.Buffer
	if err := Write(&buf, "diff", rep); err != nil || buf.Len() != 0 {
		t.Errorf("-o diff stays a plain patch: %q (%v)", buf.String(), err)
	}
}

// tableCells splits the rows of a drawn table into trimmed cells.
func tableCells(out string) [][]string {
	var rows [][]string
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "│") {
			continue
		}
		var cells []string
		for _, c := range strings.Split(strings.Trim(line, "│"), "│") {
			cells = append(cells, strings.TrimSpace(c))
		}
		rows = append(rows, cells)
	}
	return rows
}

func TestTableShowsReadiness(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, "table", readinessTestReport("plan")); err != nil {
		t.Fatal(err)
	}
	rows := tableCells(buf.String())
	for _, want := range [][]string{
		{"namespace", "ready", "fixable", "blocking", "advisory", "unassessed", "codes (flows)"},
		{"a", "2", "1", "2", "1", "0", "ion-read 3, removed-type 1"},
		{"c", "0", "0", "0", "0", "2", ""},
		{"4 namespaces", "2", "2", "3", "1", "3", ""},
		{"code", "severity", "flows", "guide"},
		{"removed-type", "blocking", "1", rewrite.Kestra2GuideURL},
		{"ion-read", "advisory", "3", rewrite.Kestra2GuideURL + "/ion-binary-format"},
	} {
		if !slices.ContainsFunc(rows, func(r []string) bool { return slices.Equal(r, want) }) {
			t.Errorf("the table lacks the row %q:\n%s", want, buf.String())
		}
	}
	if rows := tableCells(buf.String()); slices.IndexFunc(rows, func(r []string) bool { return r[0] == "removed-type" }) >
		slices.IndexFunc(rows, func(r []string) bool { return r[0] == "ion-read" }) {
		t.Error("blocking codes come first")
	}
	buf.Reset()
	if err := Write(&buf, "table", readinessTestReport("rollback")); err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); !strings.Contains(out, "readiness not assessed for 11 flows: a rollback writes sources back") ||
		strings.Contains(out, "fixable") {
		t.Errorf("a rollback's table:\n%s", out)
	}
	buf.Reset()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	status := stateFileReport(now, "a", Counts{Flows: 3, UpToDate: 3})
	if err := Write(&buf, "table", status); err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); !strings.Contains(out, "readiness not assessed for 3 flows: the state file keeps counts, not findings; plan assesses them") {
		t.Errorf("a status table:\n%s", out)
	}
}

func TestMarkdownShowsReadiness(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, "markdown", readinessTestReport("plan")); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"## Readiness\n\n| namespace | ready | fixable | blocking | advisory | unassessed | codes (flows) |\n",
		"| `a` | 2 | 1 | 2 | 1 | 0 | `ion-read` 3, `removed-type` 1 |\n",
		"| **total** | 2 | 2 | 3 | 1 | 3 | `ion-read` 3, `removed-type` 1 |\n",
		"### By code\n\n- [`removed-type`](" + rewrite.Kestra2GuideURL + ") (blocking): 1 flow: `a/old-types`\n" +
			"- [`ion-read`](" + rewrite.Kestra2GuideURL + "/ion-binary-format) (advisory): 3 flows: `a/ion`, `a/old-types`, `a/runner`\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the markdown lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "## Readiness") > strings.Index(out, "## `a/ion`") {
		t.Error("the readiness section comes after the flows")
	}
}

// TestMarkdownReadinessEscapesCodesAndURLs: a code and a URL are shown as
// text; a URL that is not http(s) is no link; one with markdown's
// characters stays one link.
func TestMarkdownReadinessEscapesCodesAndURLs(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	rec := NewRecorder("plan", "run-r", now)
	for i, w := range []Warning{
		{Code: "x`<script>alert(1)</script>", Severity: "<b>bad</b>", Message: "m", URL: "javascript:alert(1)"},
		{Code: "parens", Severity: rewrite.SeverityAdvisory, Message: "m", URL: "https://kestra.io/a (b)<img src=x>[c]"},
	} {
		rec.Add(Item{Namespace: "n", ID: fmt.Sprintf("f%d", i), Status: StatusUpToDate, Warnings: []Warning{w}})
	}
	var buf bytes.Buffer
	if err := Write(&buf, "markdown", rec.Finish(now)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, line := range strings.Split(out, "\n") {
		for _, raw := range []string{"<script>", "<b>", "<img", "javascript:"} {
			if i := strings.Index(line, raw); i >= 0 && !escapedOrInCode(line, i) {
				t.Errorf("raw %q passed:\n%s", raw, line)
			}
		}
	}
	if strings.Contains(out, "](javascript") {
		t.Error("a javascript: URL became a link")
	}
	if !strings.Contains(out, "[`parens`](https://kestra.io/a%20%28b%29%3Cimg%20src=x%3E%5Bc%5D) (advisory)") {
		t.Errorf("the guide's link is not one escaped destination:\n%s", out)
	}
}
