package report

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/kestra-migrator/kestra-migrator/migrator/rewrite"
)

const (
	htmlKnownFlowBefore = `id: etl
namespace: company.team
tasks:
  - id: fetch
    type: io.kestra.plugin.scripts.python.Script
    runner: DOCKER
    docker:
      image: python:3.12
    script: print(1)
`
	htmlKnownFlowAfter = `id: etl
namespace: company.team
tasks:
  - id: fetch
    type: io.kestra.plugin.scripts.python.Script
    taskRunner:
      type: io.kestra.plugin.scripts.runner.docker.Docker
    containerImage: python:3.12
    script: print(1)
`
	htmlKnownDiffID   = "diff-company.team-etl"
	htmlKnownDiffLine = "+    taskRunner:"
	htmlHostileReason = `<script>alert(1)</script><img src=x onerror="window.pwned=1">`
)

// htmlTestReport is a plan over 3 namespaces with flows in most statuses;
// company.team/etl is pending with a known diff.
func htmlTestReport() *Report {
	start := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	rec := NewRecorder("plan", "run-42", start)
	rec.KeepUpToDate = true // list every flow, up-to-date ones too
	rec.SetServer("http://kestra.test:8080", "main", "0.22.4")
	rec.Warn("server 0.22.4: validation skipped for 1 flow")
	for _, it := range []Item{
		{Namespace: "acme", ID: "billing", Revision: htmlIntPtr(3), Status: StatusUpToDate, Warnings: []Warning{htmlBlocking}},
		{Namespace: "acme", ID: "zz-cleanup", Revision: htmlIntPtr(1), Status: StatusFailed, Reason: htmlStrPtr("server answered 500")},
		{Namespace: "company.data", ID: "ingest", Revision: htmlIntPtr(12), Status: StatusPending, Changes: htmlChanges(10), Warnings: []Warning{htmlAdvisory},
			Diff: UnifiedDiff("company.data/ingest.yml", []byte("runner: DOCKER\n"), []byte("taskRunner: {}\n"))},
		{Namespace: "company.data", ID: "m-sync", Revision: htmlIntPtr(2), Status: StatusUnsupported, Reason: htmlStrPtr("runner: PROCESS inside a Subflow")},
		{Namespace: "company.team", ID: "etl", Revision: htmlIntPtr(7), Status: StatusPending, Changes: htmlChanges(2),
			Diff: UnifiedDiff("company.team/etl.yml", []byte(htmlKnownFlowBefore), []byte(htmlKnownFlowAfter))},
		{Namespace: "company.team", ID: "a-report", Revision: htmlIntPtr(1), Status: StatusUpToDate},
		{Namespace: "company.team", ID: "hostile", Revision: htmlIntPtr(4), Status: StatusInvalid,
			Reason: htmlStrPtr(htmlHostileReason), Warnings: []Warning{{Message: `<b onmouseover="window.pwned=1">bold</b>`}}},
		{Namespace: "company.team", ID: "conflicted", Revision: htmlIntPtr(9), Status: StatusConflict, Reason: htmlStrPtr("changed since the scan")},
	} {
		rec.Add(it)
	}
	return rec.Finish(start.Add(1500 * time.Millisecond))
}

var (
	htmlBlocking = Warning{Rule: "detect-types", Code: "removed-type", Severity: "blocking", Path: "tasks[0]",
		Message: "io.kestra.core.tasks.log.Echo is removed in 2.0", URL: "https://kestra.io/docs/migration-guide/v2.0.0"}
	htmlAdvisory = Warning{Rule: "detect-ion", Code: "ion-read", Severity: "advisory", Path: "tasks[1]",
		Message: "reads an ION file", URL: "https://kestra.io/docs/migration-guide/v2.0.0/ion-binary-format"}
)

// htmlTestFlows is the flow column of htmlTestReport, in report order.
var htmlTestFlows = []string{"billing", "zz-cleanup", "ingest", "m-sync", "a-report", "conflicted", "etl", "hostile"}

func htmlIntPtr(n int) *int       { return &n }
func htmlStrPtr(s string) *string { return &s }

func htmlChanges(n int) []Change {
	cs := make([]Change, n)
	for i := range cs {
		cs[i] = Change{Path: fmt.Sprintf("tasks[%d]", i), TaskID: fmt.Sprintf("t%d", i), From: []string{"runner"}, To: []string{"taskRunner"}}
	}
	return cs
}

func renderHTML(t testing.TB, r *Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := (htmlFormat{}).Format(&b, r); err != nil {
		t.Fatalf("format: %v", err)
	}
	return b.String()
}

func TestHTMLFormatIsRegistered(t *testing.T) {
	f, err := NewFormatter("html")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f.(htmlFormat); !ok {
		t.Fatalf("html formatter is %T", f)
	}
}

func TestHTMLFormat(t *testing.T) {
	now := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	empty := NewRecorder("plan", "run-0", now).Finish(now)
	counted := NewRecorder("status", "run-1", now)
	counted.AddNamespace("company.team", Counts{Flows: 3, UpToDate: 2, Pending: 1})
	tests := []struct {
		name        string
		report      *Report
		rows, diffs int
		want        []string
	}{
		{"empty", empty, 0, 0, []string{"No namespaces in this report.", "No flows listed in this report.", "No diffs in this report."}},
		{"counted namespaces, no items", counted.Finish(now), 0, 0, []string{`<svg class="chart"`, "company.team: 2 up-to-date", "No flows listed",
			`<p class="muted" id="readiness-note">readiness not assessed for 3 flows`}},
		{"plan", htmlTestReport(), len(htmlTestFlows), 2, []string{
			`<svg class="chart"`, `<table id="flows">`, "<b>8</b> flows", "<b>3</b> namespaces", "<b>12</b> tasks changed",
			"run-42", "http://kestra.test:8080", "server 0.22.4: validation skipped", "(1.5s)",
			`<a href="#diff-company.team-etl">etl</a>`, "company.data: 1 unsupported",
			`<table id="readiness-table">`, `<tr><td>acme</td><td class="num">0</td><td class="num">0</td><td class="num">1</td><td class="num">0</td><td class="num">1</td><td>removed-type 1</td></tr>`,
			`<details class="code" id="code-removed-type" open>`, `<a href="#flow-acme-billing">acme/billing</a>`,
			`<span class="badge rd-blocking">blocking</span> <code>removed-type</code> <span class="muted">1 flow</span> <a class="guide" href="https://kestra.io/docs/migration-guide/v2.0.0" rel="noopener noreferrer" target="_blank">guide</a>`,
			`<tr data-status="up-to-date" id="flow-acme-billing">`, `<span class="badge rd-blocking">blocking</span></td>`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := renderHTML(t, tt.report)
			checkHTMLStructure(t, page)
			checkSelfContained(t, page)
			for _, w := range tt.want {
				if !strings.Contains(page, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			if got := strings.Count(page, "<tr data-status="); got != tt.rows {
				t.Errorf("%d flow rows, want %d", got, tt.rows)
			}
			if got := strings.Count(page, `<details class="diff"`); got != tt.diffs {
				t.Errorf("%d diffs, want %d", got, tt.diffs)
			}
		})
	}
}

func TestHTMLFormatShowsTheDiff(t *testing.T) {
	block := htmlElementByID(t, renderHTML(t, htmlTestReport()), "details", htmlKnownDiffID)
	for _, want := range []string{
		`<span class="meta">--- a/company.team/etl.yml</span>`,
		`<span class="hunk">@@ `,
		`<span class="del">-    runner: DOCKER</span>`,
		`<span class="add">` + htmlKnownDiffLine + `</span>`,
		"\n     script: print(1)\n", // context
	} {
		if !strings.Contains(html.UnescapeString(block), want) {
			t.Errorf("the diff of company.team/etl lacks %q:\n%s", want, block)
		}
	}
	if !strings.HasPrefix(block, `<details class="diff" id="`+htmlKnownDiffID+`" open>`) {
		t.Errorf("a small report should show its diffs unfolded: %.80s", block)
	}
}

// TestHTMLFormatEscapesHostileContent: every text from a server is shown as
// text, never as markup.
func TestHTMLFormatEscapesHostileContent(t *testing.T) {
	evil := func(what string) string { return what + `<script>alert(1)</script>"'><img src=x onerror=alert(1)>` }
	r := htmlTestReport()
	r.Server, r.Tenant = htmlStrPtr(evil("server")), htmlStrPtr(evil("tenant"))
	r.Command, r.RunID, r.ServerVersion = evil("command"), evil("run"), evil("version")
	r.Warnings = append(r.Warnings, evil("warning"))
	ns := &r.Namespaces[0]
	ns.Namespace = evil("namespace")
	ns.Items[0] = Item{Namespace: ns.Namespace, ID: evil("id"), File: evil("file"), Status: Status(evil("status")),
		Reason: htmlStrPtr(evil("reason")), Warnings: []Warning{{Message: evil("item-warning")}}, Diff: "--- a\n+++ b\n@@ -1 +1 @@\n-" + evil("old") + "\n+" + evil("new") + "\n"}

	// a detection from hostile rules: a code, a severity and a URL that must
	// not become markup or a script link
	ns.Items[1].Warnings = []Warning{{Code: evil("code"), Severity: rewrite.Severity(evil("severity")), Message: "m", URL: "javascript:alert(1)"}}
	r.Readiness.ByCode[evil("code")] = 1

	page := renderHTML(t, r)
	checkHTMLStructure(t, page)
	if strings.Contains(page, "javascript:") {
		t.Error("a javascript: URL reached the page")
	}
	for _, raw := range []string{"<script>alert(1)", "<img src=x", `"'>`} {
		if strings.Contains(page, raw) {
			t.Errorf("page contains raw %q", raw)
		}
	}
	if n := strings.Count(page, "<script"); n != 1 {
		t.Errorf("%d script elements, want only the page's own", n)
	}
	for _, what := range []string{"server", "tenant", "command", "run", "version", "warning", "namespace", "id", "file", "reason", "item-warning", "old", "new", "code", "severity"} {
		if !strings.Contains(page, what+"&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("the %s is not shown escaped", what)
		}
	}
	if !strings.Contains(page, `id="diff-namespace_script_alert_1___script___`) {
		t.Error("a hostile flow's diff id is not made safe")
	}
}

// TestHTMLScriptIsAllowedByTheCSP: the browser runs the page's script only if
// the template kept it byte for byte, as hashed in the policy.
func TestHTMLScriptIsAllowedByTheCSP(t *testing.T) {
	page := renderHTML(t, htmlTestReport())
	start := strings.Index(page, "<script>") + len("<script>")
	end := strings.Index(page, "</script>")
	if start < len("<script>") || end < start {
		t.Fatal("no script element")
	}
	want := `content="default-src &#39;none&#39;; style-src &#39;unsafe-inline&#39;; script-src &#39;sha256-` + scriptHash(page[start:end]) + `&#39;"`
	if !strings.Contains(page, want) {
		t.Errorf("the CSP does not allow the page's script; want %s", want)
	}
}

func TestHTMLFormatColoursEveryStatus(t *testing.T) {
	page := renderHTML(t, htmlTestReport())
	for _, s := range Statuses {
		if !strings.Contains(page, ".st-"+string(s)+" { --c: #") {
			t.Errorf("status %s has no colour", s)
		}
	}
	for _, c := range ReadinessClasses {
		if !strings.Contains(page, ".rd-"+string(c)+" { --c: #") {
			t.Errorf("readiness class %s has no colour", c)
		}
	}
}

func TestDiffAnchor(t *testing.T) {
	seen := map[string]int{}
	for _, tt := range []struct {
		item Item
		want string
	}{
		{Item{Namespace: "company.team", ID: "etl"}, "diff-company.team-etl"},
		{Item{Namespace: "company.team", ID: "etl"}, "diff-company.team-etl-2"},
		{Item{Namespace: "a b", ID: "x#y"}, "diff-a_b-x_y"},
		{Item{File: "flows/etl.yml"}, "diff-flows_etl.yml"},
	} {
		if got := diffAnchor(tt.item, seen); got != tt.want {
			t.Errorf("diffAnchor(%s/%s) = %q, want %q", tt.item.Namespace, tt.item.ID, got, tt.want)
		}
	}
}

func TestHTMLFormatManyFlows(t *testing.T) {
	r := htmlLargeReport(10_000)
	page := renderHTML(t, r)
	if got := strings.Count(page, "<tr data-status="); got != 10_000 {
		t.Fatalf("%d rows, want 10000", got)
	}
	if strings.Contains(page, `<details class="diff" id="diff-ns-000.team-flow-00000" open>`) {
		t.Error("a large report should fold its diffs")
	}
}

func BenchmarkHTMLFormat10k(b *testing.B) {
	r := htmlLargeReport(10_000)
	for b.Loop() {
		if err := (htmlFormat{}).Format(&bytes.Buffer{}, r); err != nil {
			b.Fatal(err)
		}
	}
}

// htmlLargeReport has n flows in 100 namespaces, one in three pending with a diff.
func htmlLargeReport(n int) *Report {
	now := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	rec := NewRecorder("plan", "run-big", now)
	rec.KeepUpToDate = true
	diff := UnifiedDiff("f.yml", []byte(htmlKnownFlowBefore), []byte(htmlKnownFlowAfter))
	for i := range n {
		it := Item{Namespace: fmt.Sprintf("ns-%03d.team", i%100), ID: fmt.Sprintf("flow-%05d", i), Revision: htmlIntPtr(i % 17), Status: Statuses[i%len(Statuses)]}
		if i%3 == 0 {
			it.Status, it.Changes, it.Diff = StatusPending, htmlChanges(2), diff
		}
		rec.Add(it)
	}
	return rec.Finish(now)
}

var (
	htmlTagRE      = regexp.MustCompile(`<(/?)([a-zA-Z][a-zA-Z0-9]*)[^<>]*>`)
	htmlVoid       = map[string]bool{"meta": true, "br": true, "img": true, "input": true, "link": true, "hr": true}
	htmlRawText    = map[string]bool{"script": true, "style": true}
	htmlDoctypeTag = "<!DOCTYPE html>\n"
)

// checkHTMLStructure parses the page the simple way: every element is closed
// in order, and no "<" or ">" is left in the text, so nothing from the report
// became markup.
func checkHTMLStructure(t *testing.T, page string) {
	t.Helper()
	if !strings.HasPrefix(page, htmlDoctypeTag) {
		t.Fatalf("no doctype: %.40q", page)
	}
	var open []string
	rest := page[len(htmlDoctypeTag):]
	for rest != "" {
		m := htmlTagRE.FindStringSubmatchIndex(rest)
		text := rest
		if m != nil {
			text = rest[:m[0]]
		}
		if strings.ContainsAny(text, "<>") {
			t.Fatalf("markup characters in text %q (inside %v)", text, open)
		}
		if m == nil {
			break
		}
		closing, name := rest[m[2]:m[3]] == "/", strings.ToLower(rest[m[4]:m[5]])
		rest = rest[m[1]:]
		switch {
		case closing:
			if len(open) == 0 || open[len(open)-1] != name {
				t.Fatalf("</%s> closes %v", name, open)
			}
			open = open[:len(open)-1]
		case htmlRawText[name]:
			end := strings.Index(rest, "</"+name+">")
			if end < 0 {
				t.Fatalf("<%s> is not closed", name)
			}
			rest = rest[end+len("</"+name+">"):]
		case !htmlVoid[name]:
			open = append(open, name)
		}
	}
	if len(open) != 0 {
		t.Fatalf("elements left open: %v", open)
	}
}

// checkSelfContained: no element of the page loads anything from elsewhere;
// the only outside references are links (a guide's page), which load
// nothing until followed and then send no referrer.
func checkSelfContained(t *testing.T, page string) {
	t.Helper()
	for _, tag := range htmlTagRE.FindAllString(page, -1) {
		refs := []string{"<link", " src=", `href="http`, `href="//`}
		if strings.HasPrefix(tag, "<a ") {
			refs = refs[:2]
			if strings.Contains(tag, `href="http`) && !strings.Contains(tag, `rel="noopener noreferrer"`) {
				t.Errorf("%s: an outside link without rel=noopener noreferrer", tag)
			}
		}
		for _, ref := range refs {
			if strings.Contains(tag, ref) {
				t.Errorf("%s refers to an outside resource", tag)
			}
		}
	}
	if !strings.Contains(page, `<meta name="referrer" content="no-referrer">`) {
		t.Error("the page would send its address to a linked site")
	}
	style := page[strings.Index(page, "<style>"):strings.Index(page, "</style>")]
	if strings.Contains(style, "@import") || strings.Contains(style, "url(") {
		t.Error("the style loads a resource")
	}
}

// htmlElementByID returns the element <tag id=id ...>...</tag>; the element
// must not nest another of its tag.
func htmlElementByID(t *testing.T, page, tag, id string) string {
	t.Helper()
	start := strings.Index(page, ` id="`+id+`"`)
	if start < 0 {
		t.Fatalf("no element with id %q", id)
	}
	start = strings.LastIndex(page[:start], "<"+tag)
	end := strings.Index(page[start:], "</"+tag+">")
	if start < 0 || end < 0 {
		t.Fatalf("element %q is not a closed <%s>", id, tag)
	}
	return page[start : start+end+len("</"+tag+">")]
}

// TestHTMLReportInBrowser opens the page in a headless Chromium and reads it
// as a person would: it renders, the table sorts on a click of a header, a
// link unfolds the known flow's diff, and hostile text stays text.
func TestHTMLReportInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no browser")
	}
	ctx, problems := openInBrowser(t, findBrowser(t), renderHTML(t, htmlTestReport()))

	if got := browserColumn(t, ctx, "flow"); !slices.Equal(got, htmlTestFlows) {
		t.Fatalf("rows before sorting: %q, want %q", got, htmlTestFlows)
	}
	t.Run("sort", func(t *testing.T) {
		asc := slices.Sorted(slices.Values(htmlTestFlows))
		desc := slices.Clone(asc)
		slices.Reverse(desc)
		for _, step := range []struct {
			header string
			want   []string
		}{
			{"flow", asc},
			{"flow", desc},
			{"changes", []string{"0", "0", "0", "0", "0", "0", "2", "10"}}, // numerically
			{"status", []string{"up-to-date", "up-to-date", "pending", "pending", "invalid", "conflict", "unsupported", "failed"}},
			{"readiness", []string{"ready", "fixable", "fixable", "blocking", "blocking", "blocking", "unassessed", "unassessed"}},
		} {
			browserDo(t, ctx, chromedp.Click(chromedp.CSS(`#flows th[data-key="`+step.header+`"] button`)))
			if got := browserColumn(t, ctx, step.header); !slices.Equal(got, step.want) {
				t.Errorf("after a click on %q: %q, want %q", step.header, got, step.want)
			}
		}
	})
	t.Run("filter", func(t *testing.T) {
		shown := browserEval[[]string](t, ctx, `(() => {
			const f = document.getElementById("status-filter");
			f.value = "pending";
			f.dispatchEvent(new Event("change"));
			const rows = Array.from(document.querySelectorAll("#flows tbody tr:not([hidden])"), r => r.cells[1].textContent);
			f.value = "";
			f.dispatchEvent(new Event("change"));
			return rows;
		})()`)
		if slices.Sort(shown); !slices.Equal(shown, []string{"etl", "ingest"}) {
			t.Errorf("pending flows shown: %q", shown)
		}
	})
	t.Run("chart", func(t *testing.T) {
		got := browserEval[[]string](t, ctx, `Array.from(document.querySelectorAll("svg.chart g.bar rect"), r => r.textContent + " " + getComputedStyle(r).fill)`)
		if len(got) != 8 || !slices.Contains(got, "company.team: 1 pending rgb(251, 140, 0)") {
			t.Errorf("bars: %q", got)
		}
	})
	t.Run("diff", func(t *testing.T) {
		shown := func() (bool, []string) {
			d := browserEval[struct {
				Visible bool
				Added   []string
			}](t, ctx, `(() => {
				const d = document.getElementById("`+htmlKnownDiffID+`");
				return {visible: d.querySelector("pre").checkVisibility(), added: Array.from(d.querySelectorAll("pre .add"), s => s.textContent)};
			})()`)
			return d.Visible, d.Added
		}
		browserDo(t, ctx, chromedp.Click(chromedp.CSS(`button[data-details="close"]`)))
		if visible, _ := shown(); visible {
			t.Fatal("fold all left the diff unfolded")
		}
		// Out from under the table's sticky header, which would take the click.
		link := `a[href="#` + htmlKnownDiffID + `"]`
		browserEval[chromedp.Void](t, ctx, `document.querySelector('`+link+`').scrollIntoView({block: "center"})`)
		browserDo(t, ctx, chromedp.Click(chromedp.CSS(link)))
		// The page unfolds the diff on the hashchange event, after the click.
		poll := chromedp.Poll[chromedp.Void](`document.getElementById("`+htmlKnownDiffID+`").open`, chromedp.WithPollingTimeout(5*time.Second))
		if _, err := chromedp.Run(ctx, poll); err != nil {
			t.Fatalf("the link did not unfold the diff: %v", err)
		}
		if visible, added := shown(); !visible || !slices.Contains(added, htmlKnownDiffLine) {
			t.Errorf("the diff shown is %q (visible: %v), want a line %q", added, visible, htmlKnownDiffLine)
		}
	})
	t.Run("readiness", func(t *testing.T) {
		link := `#code-removed-type a[href="#flow-acme-billing"]`
		browserEval[chromedp.Void](t, ctx, `document.querySelector('`+link+`').scrollIntoView({block: "center"})`)
		browserDo(t, ctx, chromedp.Click(chromedp.CSS(link)))
		got := browserEval[[]string](t, ctx, `(() => {
			const row = document.querySelector(":target");
			const guide = document.querySelector("#code-removed-type a.guide");
			return [row ? row.id : "", row ? row.cells[1].textContent : "", guide.href, guide.rel,
				getComputedStyle(document.querySelector("#code-removed-type .badge")).backgroundColor];
		})()`)
		want := []string{"flow-acme-billing", "billing", "https://kestra.io/docs/migration-guide/v2.0.0", "noopener noreferrer", "rgb(229, 57, 53)"}
		if !slices.Equal(got, want) {
			t.Errorf("after a click on the code's flow: %q, want %q", got, want)
		}
	})
	t.Run("hostile text is inert", func(t *testing.T) {
		got := browserEval[[]string](t, ctx, `[typeof window.pwned, document.querySelector('#flows tr[data-status="invalid"] td:last-child').textContent]`)
		if want := []string{"undefined", htmlHostileReason + `warning: <b onmouseover="window.pwned=1">bold</b>`}; !slices.Equal(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	if p := problems(); len(p) > 0 {
		t.Errorf("the page reported errors: %q", p)
	}
}

// findBrowser returns the Chromium on PATH, or skips the test.
func findBrowser(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	t.Skip("no chromium, chromium-browser or google-chrome on PATH (.ci/run installs Debian's chromium); the HTML report is not tested in a browser")
	return ""
}

// openInBrowser starts a headless browser for the test, at most 30 s, and
// opens the page in it from a file. problems returns the script errors and
// the errors that the browser logged (such as a CSP refusal) so far.
func openInBrowser(t *testing.T, exe, page string) (ctx context.Context, problems func() []string) {
	file := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-sync", true))
	// The allocator makes and removes the user data directory, and kills
	// every process of the browser when it is canceled.
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	ctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc(); cancel() })

	var mu sync.Mutex
	var errs []string
	err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			errs = append(errs, "exception: "+ev.ExceptionDetails.Text)
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.EntryLevelError {
				errs = append(errs, string(ev.Entry.Source)+": "+ev.Entry.Text)
			}
		}
	})
	if err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}
	browserDo(t, ctx, chromedp.Navigate("file://"+filepath.ToSlash(file)), chromedp.WaitVisible(chromedp.CSS("#flows")))
	return ctx, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(errs)
	}
}

func browserDo(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func browserEval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

// browserColumn reads a column of the flows table, top to bottom.
func browserColumn(t *testing.T, ctx context.Context, key string) []string {
	t.Helper()
	return browserEval[[]string](t, ctx, `(() => {
		const col = document.querySelector('#flows th[data-key="`+key+`"]').cellIndex;
		return Array.from(document.querySelectorAll("#flows tbody tr"), r => r.cells[col].textContent);
	})()`)
}
