package report

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"html/template"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kestra-migrator/kestra-migrator/migrator/rewrite"
)

var (
	//go:embed format_html.tmpl
	htmlTemplateText string
	//go:embed format_html.js
	htmlScript string

	htmlTemplate = template.Must(template.New("report").Parse(htmlTemplateText))
	// htmlCSP lets the page load nothing and run only its own script, so that
	// hostile text that escaping missed still could not run or phone home.
	htmlCSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-" + scriptHash(htmlScript) + "'"
)

// htmlOpenDiffsMax is how many diffs a page shows unfolded; larger reports
// fold them all, to keep the page quick to open.
const htmlOpenDiffsMax = 10

type htmlFormat struct{}

// Format writes one self-contained page: a chart of the flows per namespace
// by status, a sortable table of the flows and the diff of each changed flow.
func (htmlFormat) Format(w io.Writer, r *Report) error {
	return htmlTemplate.Execute(w, newHTMLPage(r))
}

// htmlPage is what the template shows; all text in it is escaped by the
// template, none is trusted.
type htmlPage struct {
	*Report
	CSP    string
	Script template.JS
	// Server and Tenant hide the report's pointers: "" when absent.
	Server    string
	Tenant    string
	Duration  string
	Counters  []htmlCounter
	Statuses  []Status
	Chart     htmlChart
	Readiness htmlReadiness
	Rows      []htmlRow
	Diffs     []htmlDiff
	OpenDiffs bool
	// RunRows are the last runs (status).
	RunRows []htmlRun
}

type htmlRun struct {
	RunID, Command, Status, Started, Finished, Counts string
}

type htmlCounter struct {
	Status Status
	Count  int
}

type htmlRow struct {
	ID                    string // the row's element id, "flow-<namespace>-<id>"
	Namespace, Flow, File string
	Status                Status
	Rank                  int // the status's place in Statuses, to sort by
	Readiness             ReadinessClass
	ReadinessRank         int // the class's place in ReadinessClasses
	Revision              string
	RevisionKey           string // the revision before the run, to sort by
	Changes               int
	Reason                string
	Warnings              []string
	DiffID                string
}

// htmlReadiness is the readiness section: a note when no flow was assessed,
// else the classes per namespace and the codes.
type htmlReadiness struct {
	Note     string
	Classes  []ReadinessClass
	Counters []htmlClassCount
	Rows     []htmlReadinessRow
	Codes    []htmlCode
}

type htmlClassCount struct {
	Class ReadinessClass
	Count int
}

type htmlReadinessRow struct {
	Namespace string
	Counts    []int // by Classes
	Codes     string
}

// htmlCode is one code: its severity, its count, its guide and links to the
// rows of its flows.
type htmlCode struct {
	ID, Code string
	Severity rewrite.Severity
	URL      string
	Flows    string // "3 flows"
	Links    []htmlFlowLink
	Open     bool
}

type htmlFlowLink struct{ Href, Name string }

// htmlCodeOpenMax is how many flows a code lists unfolded.
const htmlCodeOpenMax = 20

type htmlDiff struct {
	ID, Title string
	Status    Status
	Changes   int
	Tasks     string // "1 task", "2 tasks"
	Lines     []htmlDiffLine
}

// htmlDiffLine is one line of a unified diff and its class: add, del, hunk,
// meta or "" for context.
type htmlDiffLine struct {
	Class, Text string
}

func newHTMLPage(r *Report) htmlPage {
	p := htmlPage{
		Report:   r,
		CSP:      htmlCSP,
		Script:   template.JS(htmlScript),
		Statuses: Statuses,
		Chart:    newHTMLChart(r.Namespaces),
	}
	if r.Server != nil {
		p.Server = *r.Server
	}
	if r.Tenant != nil {
		p.Tenant = *r.Tenant
	}
	if !r.StartedAt.IsZero() && !r.FinishedAt.IsZero() {
		p.Duration = r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond).String()
	}
	for _, s := range Statuses {
		p.Counters = append(p.Counters, htmlCounter{Status: s, Count: r.Summary.Get(s)})
	}
	anchors := map[string]int{}
	rowIDs := map[*Item]string{}
	for i := range r.Namespaces {
		for j := range r.Namespaces[i].Items {
			it := &r.Namespaces[i].Items[j]
			row := newHTMLRow(*it, assesses(r.Command))
			row.ID = anchor("flow-", *it, anchors)
			rowIDs[it] = row.ID
			if it.Diff != "" {
				row.DiffID = diffAnchor(*it, anchors)
				p.Diffs = append(p.Diffs, newHTMLDiff(row, it.Diff))
			}
			p.Rows = append(p.Rows, row)
		}
	}
	p.Readiness = newHTMLReadiness(r, rowIDs, anchors)
	p.OpenDiffs = len(p.Diffs) <= htmlOpenDiffsMax
	for _, run := range r.Runs {
		row := htmlRun{RunID: run.RunID, Command: run.Command, Status: run.Status,
			Started: run.StartedAt.Format("2006-01-02 15:04:05"), Counts: countsText(run.Summary)}
		if run.FinishedAt != nil {
			row.Finished = run.FinishedAt.Format("2006-01-02 15:04:05")
		}
		p.RunRows = append(p.RunRows, row)
	}
	return p
}

// newHTMLRow makes a flow's row; assess is false when the report's flows are
// unassessed (assesses).
func newHTMLRow(it Item, assess bool) htmlRow {
	class := ReadinessUnassessed
	if assess {
		class = it.Readiness()
	}
	row := htmlRow{
		Namespace:     it.Namespace,
		Flow:          it.ID,
		File:          it.File,
		Status:        it.Status,
		Rank:          statusRank(it.Status),
		Readiness:     class,
		ReadinessRank: slices.Index(ReadinessClasses, class),
		Revision:      revisions(it),
		Changes:       len(it.Changes),
		Warnings:      warningLines(it.Warnings),
	}
	if it.Revision != nil {
		row.RevisionKey = strconv.Itoa(*it.Revision)
	}
	if it.Reason != nil {
		row.Reason = *it.Reason
	}
	if it.Forced {
		row.Reason = strings.TrimSuffix("forced: overwrote a revision changed since the migration; "+row.Reason, "; ")
	}
	return row
}

func newHTMLDiff(row htmlRow, diff string) htmlDiff {
	title := row.Namespace + "/" + row.Flow
	if row.File != "" {
		title = row.File
	}
	return htmlDiff{ID: row.DiffID, Title: title, Status: row.Status, Changes: row.Changes,
		Tasks: plural(row.Changes, "task", "tasks"), Lines: diffLines(diff)}
}

// diffLines classifies the lines of a unified diff; lines before the first
// hunk are file headers, even when they start with "-" or "+".
func diffLines(diff string) []htmlDiffLine {
	text := strings.Split(strings.TrimSuffix(diff, "\n"), "\n")
	lines := make([]htmlDiffLine, 0, len(text))
	inHunk := false
	for _, l := range text {
		class := ""
		switch {
		case strings.HasPrefix(l, "@@"):
			class, inHunk = "hunk", true
		case !inHunk || strings.HasPrefix(l, `\`):
			class = "meta"
		case strings.HasPrefix(l, "+"):
			class = "add"
		case strings.HasPrefix(l, "-"):
			class = "del"
		}
		lines = append(lines, htmlDiffLine{Class: class, Text: l})
	}
	return lines
}

// newHTMLReadiness makes the readiness section; rowIDs are the element ids
// of the listed items' rows.
func newHTMLReadiness(r *Report, rowIDs map[*Item]string, anchors map[string]int) htmlReadiness {
	var h htmlReadiness
	if h.Note = unassessedNote(r); h.Note != "" || r.Readiness.Assessed() == 0 {
		return h
	}
	h.Classes = shownClasses(r.Readiness)
	for _, c := range h.Classes {
		h.Counters = append(h.Counters, htmlClassCount{Class: c, Count: r.Readiness.Get(c)})
	}
	for _, ns := range r.Namespaces {
		row := htmlReadinessRow{Namespace: ns.Namespace, Codes: codesText(ns.Readiness)}
		for _, c := range h.Classes {
			row.Counts = append(row.Counts, ns.Readiness.Get(c))
		}
		h.Rows = append(h.Rows, row)
	}
	links := map[string][]htmlFlowLink{}
	for i := range r.Namespaces {
		for j := range r.Namespaces[i].Items {
			it := &r.Namespaces[i].Items[j]
			for _, code := range it.Codes() {
				links[code] = append(links[code], htmlFlowLink{Href: "#" + rowIDs[it], Name: it.flowName()})
			}
		}
	}
	for _, c := range reportCodes(r) {
		h.Codes = append(h.Codes, htmlCode{ID: uniqueAnchor("code-"+strings.Map(anchorRune, c.Code), anchors), Code: c.Code,
			Severity: c.Severity, URL: c.URL, Flows: plural(c.Flows, "flow", "flows"), Links: links[c.Code],
			Open: len(links[c.Code]) <= htmlCodeOpenMax})
	}
	return h
}

// diffAnchor is the element id of a flow's diff, "diff-<namespace>-<id>",
// made safe for a URL fragment and unique within the page.
func diffAnchor(it Item, seen map[string]int) string { return anchor("diff-", it, seen) }

// anchor is an element id for a flow, prefix + "<namespace>-<id>" (or the
// file), made safe for a URL fragment and unique within the page.
func anchor(prefix string, it Item, seen map[string]int) string {
	name := it.Namespace + "-" + it.ID
	if it.ID == "" {
		name = it.File
	}
	return uniqueAnchor(prefix+strings.Map(anchorRune, name), seen)
}

// uniqueAnchor numbers id when the page already has it.
func uniqueAnchor(id string, seen map[string]int) string {
	seen[id]++
	if n := seen[id]; n > 1 {
		id += "-" + strconv.Itoa(n)
	}
	return id
}

func anchorRune(r rune) rune {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
		return r
	}
	return '_'
}

// statusRank orders the statuses as Statuses does, unknown ones last.
func statusRank(s Status) int {
	if i := slices.Index(Statuses, s); i >= 0 {
		return i
	}
	return len(Statuses)
}

func scriptHash(script string) string {
	sum := sha256.Sum256([]byte(script))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// The chart is drawn here, not in the browser, so that it shows without
// script: one stacked bar per namespace, as long as its share of the largest.
const (
	chartLabelWidth = 250
	chartBarWidth   = 500
	chartCountWidth = 60
	chartRowHeight  = 22
	chartLegendRow  = 28
	chartLabelRunes = 34 // what fits in chartLabelWidth at the label's font size
)

type htmlChart struct {
	Width, Height, LabelX int
	Legend                []htmlLegendEntry
	Bars                  []htmlBar
}

type htmlLegendEntry struct {
	Status  Status
	X, Text int
}

type htmlBar struct {
	Namespace, Label string
	Y, Flows         int
	CountX           float64
	Segments         []htmlSegment
}

type htmlSegment struct {
	Status   Status
	Count    int
	X, Width float64
}

func newHTMLChart(namespaces []NamespaceReport) htmlChart {
	c := htmlChart{
		Width:  chartLabelWidth + chartBarWidth + chartCountWidth,
		Height: chartLegendRow + len(namespaces)*chartRowHeight,
		LabelX: chartLabelWidth - 8,
		Legend: chartLegend(),
	}
	most := 0
	for _, ns := range namespaces {
		most = max(most, ns.Flows)
	}
	for i, ns := range namespaces {
		c.Bars = append(c.Bars, newHTMLBar(ns, chartLegendRow+i*chartRowHeight, most))
	}
	return c
}

func chartLegend() []htmlLegendEntry {
	entries := make([]htmlLegendEntry, 0, len(Statuses))
	x := 0
	for _, s := range Statuses {
		entries = append(entries, htmlLegendEntry{Status: s, X: x, Text: x + 16})
		x += 16 + 7*len(s) + 18 // swatch, text at about 7px a character, gap
	}
	return entries
}

func newHTMLBar(ns NamespaceReport, y, most int) htmlBar {
	b := htmlBar{Namespace: ns.Namespace, Label: chartLabel(ns.Namespace), Y: y, Flows: ns.Flows}
	x := float64(chartLabelWidth)
	for _, s := range Statuses {
		n := ns.Get(s)
		if n == 0 {
			continue
		}
		w := roundPx(float64(n) / float64(most) * chartBarWidth)
		b.Segments = append(b.Segments, htmlSegment{Status: s, Count: n, X: roundPx(x), Width: w})
		x += w
	}
	b.CountX = roundPx(x + 6)
	return b
}

// chartLabel shortens a namespace to the end that fits the label column;
// the label's tooltip has it whole.
func chartLabel(ns string) string {
	r := []rune(ns)
	if len(r) <= chartLabelRunes {
		return ns
	}
	return "…" + string(r[len(r)-chartLabelRunes+1:])
}

func roundPx(v float64) float64 { return math.Round(v*10) / 10 }

func warningLines(ws []Warning) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.String()
	}
	return out
}
