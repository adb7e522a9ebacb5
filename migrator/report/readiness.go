package report

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/kestra-migrator/kestra-migrator/migrator/rewrite"
)

// ReadinessClass sorts a flow for the upgrade readiness view: the rewrite's
// classes (rewrite.Readiness), and unassessed.
type ReadinessClass = rewrite.ReadinessClass

// The readiness classes, in report order.
const (
	ReadinessReady    = rewrite.ReadinessReady
	ReadinessFixable  = rewrite.ReadinessFixable
	ReadinessBlocking = rewrite.ReadinessBlocking
	ReadinessAdvisory = rewrite.ReadinessAdvisory
	// ReadinessUnassessed: the report has no rewrite result for the flow, so
	// it says nothing of its readiness (see Item.Readiness).
	ReadinessUnassessed ReadinessClass = "unassessed"
)

// ReadinessClasses lists every class in report order.
var ReadinessClasses = []ReadinessClass{ReadinessReady, ReadinessFixable, ReadinessBlocking, ReadinessAdvisory, ReadinessUnassessed}

// Readiness counts flows by readiness class, and by detection code: ByCode
// counts the flows that carry at least one warning of that code (a flow with
// three removed types counts once under removed-type). The class counters
// add up to the flows counted; ByCode is never null.
type Readiness struct {
	Ready      int            `json:"ready"`
	Fixable    int            `json:"fixable"`
	Blocking   int            `json:"blocking"`
	Advisory   int            `json:"advisory"`
	Unassessed int            `json:"unassessed"`
	ByCode     map[string]int `json:"byCode"`
}

// Get returns the counter of class c.
func (r *Readiness) Get(c ReadinessClass) int { return *r.field(c) }

// Assessed is the number of flows in a class other than unassessed.
func (r *Readiness) Assessed() int { return r.Ready + r.Fixable + r.Blocking + r.Advisory }

func (r *Readiness) field(c ReadinessClass) *int {
	switch c {
	case ReadinessReady:
		return &r.Ready
	case ReadinessFixable:
		return &r.Fixable
	case ReadinessBlocking:
		return &r.Blocking
	case ReadinessAdvisory:
		return &r.Advisory
	default:
		return &r.Unassessed
	}
}

// add counts one flow of class c carrying codes.
func (r *Readiness) add(c ReadinessClass, codes []string) {
	*r.field(c)++
	if len(codes) > 0 && r.ByCode == nil {
		r.ByCode = map[string]int{}
	}
	for _, code := range codes {
		r.ByCode[code]++
	}
}

func (r *Readiness) addReadiness(o Readiness) {
	for _, c := range ReadinessClasses {
		*r.field(c) += o.Get(c)
	}
	for code, n := range o.ByCode {
		if r.ByCode == nil {
			r.ByCode = map[string]int{}
		}
		r.ByCode[code] += n
	}
}

// Codes lists the codes of the counts, most flows first, then by name.
func (r *Readiness) Codes() []string {
	codes := make([]string, 0, len(r.ByCode))
	for code := range r.ByCode {
		codes = append(codes, code)
	}
	slices.SortFunc(codes, func(a, b string) int {
		if n := r.ByCode[b] - r.ByCode[a]; n != 0 {
			return n
		}
		return strings.Compare(a, b)
	})
	return codes
}

// Readiness classifies the flow from this item alone, as rewrite.Readiness
// classifies a rewrite result, with the engine's statuses placed thus:
//   - up-to-date, pending, migrated: rewrite.Readiness of the item's changes
//     and warnings (migrated counts as fixable: the tool fixed it, or in a
//     rollback put back a source it had fixed), so blocking if a warning is
//     blocking, else fixable if it changes or changed, else advisory if a
//     warning is advisory, else ready;
//   - unsupported: blocking (left to migrate by hand);
//   - invalid: blocking, whatever the rewrite found: the server refuses the
//     rewritten flow, so it is not ready and the tool cannot make it so;
//   - conflict, failed: what the rewrite found when it ran (changes or
//     warnings: classified as above); unassessed when it did not run (the
//     flow changed before the write, could not be read or parsed): the
//     status says what went wrong, readiness does not guess;
//   - excluded, not-attempted, restored and unknown statuses: unassessed
//     (never read, or not rewritten by this run).
//
// A flow left partly by hand (--partial) is pending with a plain warning per
// task left: from the item alone it counts as fixable (the rewrite result
// would say blocking; the item does not keep Result.Unsupported).
func (it Item) Readiness() ReadinessClass {
	res := rewrite.Result{Changes: it.Changes, Warnings: it.Warnings}
	switch it.Status {
	case StatusUpToDate:
		res.Status = rewrite.StatusUpToDate
	case StatusPending, StatusMigrated:
		res.Status = rewrite.StatusPending
	case StatusUnsupported:
		res.Status = rewrite.StatusUnsupported
	case StatusInvalid:
		return ReadinessBlocking
	case StatusConflict, StatusFailed:
		if len(it.Changes) == 0 && len(it.Warnings) == 0 {
			return ReadinessUnassessed
		}
		res.Status = rewrite.StatusUpToDate // the changes, if any, say fixable
	default:
		return ReadinessUnassessed
	}
	return rewrite.Readiness(res)
}

// assesses reports whether the items of a command's report are rewrite
// results: a rollback writes sources back without rewriting them, so its
// flows are unassessed.
func assesses(command string) bool { return command != "rollback" }

// Codes lists the item's distinct warning codes in order of appearance
// (plain notes have none).
func (it Item) Codes() []string {
	var codes []string
	for _, w := range it.Warnings {
		if w.Code != "" && !slices.Contains(codes, w.Code) {
			codes = append(codes, w.Code)
		}
	}
	return codes
}

// needsAttention: the table and markdown list the flows that are not
// up-to-date, and those that carry a detection.
func (it Item) needsAttention() bool { return it.Status != StatusUpToDate || it.hasCodes() }

// hasCodes reports whether a warning of the item has a code: a detection.
func (it Item) hasCodes() bool {
	return slices.ContainsFunc(it.Warnings, func(w Warning) bool { return w.Code != "" })
}

// codeView is one detection code across a report, as the formats show it.
type codeView struct {
	Code     string
	Severity rewrite.Severity // the worst its warnings have
	URL      string           // the guide's page, "" when none is safe to link
	Flows    int              // from the counts: every flow, listed or not
	Items    []Item           // the listed flows that carry it, in report order
}

// reportCodes lists the codes of a report: blocking first, then advisory,
// then the others, each by flows (most first), then by name.
func reportCodes(r *Report) []codeView {
	byCode := map[string]*codeView{}
	var views []*codeView
	view := func(code string) *codeView {
		v, ok := byCode[code]
		if !ok {
			v = &codeView{Code: code, Flows: r.Readiness.ByCode[code]}
			byCode[code] = v
			views = append(views, v)
		}
		return v
	}
	for _, code := range r.Readiness.Codes() {
		view(code)
	}
	for _, ns := range r.Namespaces {
		for _, it := range ns.Items {
			for _, code := range it.Codes() {
				v := view(code)
				v.Items = append(v.Items, it)
				for _, w := range it.Warnings {
					if w.Code != code {
						continue
					}
					if severityRank(w.Severity) < severityRank(v.Severity) {
						v.Severity = w.Severity
					}
					if v.URL == "" {
						v.URL = guideURL(w.URL)
					}
				}
			}
		}
	}
	out := make([]codeView, len(views))
	for i, v := range views {
		v.Flows = max(v.Flows, len(v.Items))
		out[i] = *v
	}
	slices.SortStableFunc(out, func(a, b codeView) int {
		if d := severityRank(a.Severity) - severityRank(b.Severity); d != 0 {
			return d
		}
		if d := b.Flows - a.Flows; d != 0 {
			return d
		}
		return strings.Compare(a.Code, b.Code)
	})
	return out
}

func severityRank(s rewrite.Severity) int {
	switch s {
	case rewrite.SeverityBlocking:
		return 0
	case rewrite.SeverityAdvisory:
		return 1
	}
	return 2
}

// guideURL is u when it is an absolute http(s) URL, else "": a warning's URL
// is shown as a link only then.
func guideURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
		return ""
	}
	return p.String()
}

// codesText is "removed-type 3, ion-read 1": a namespace's codes by flows.
func codesText(r Readiness) string {
	codes := r.Codes()
	parts := make([]string, len(codes))
	for i, code := range codes {
		parts[i] = fmt.Sprintf("%s %d", code, r.ByCode[code])
	}
	return strings.Join(parts, ", ")
}

// unassessedNote explains a report whose flows all are unassessed, "" when
// some flow is assessed or there are none.
func unassessedNote(r *Report) string {
	rd := r.Readiness
	if rd.Unassessed == 0 || rd.Assessed() > 0 {
		return ""
	}
	why := "no flow of this report was rewritten"
	switch {
	case r.Source != "":
		why = "the " + r.Source + " keeps counts, not findings"
	case r.Command == "rollback":
		why = "a rollback writes sources back without rewriting them"
	}
	return fmt.Sprintf("readiness not assessed for %s: %s; plan assesses them", plural(rd.Unassessed, "flow", "flows"), why)
}
