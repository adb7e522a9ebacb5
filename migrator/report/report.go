package report

import (
	"maps"
	"sort"
	"sync"
	"time"

	udiff "github.com/aymanbagabas/go-udiff"

	"github.com/kestra-migrator/kestra-migrator/migrator/rewrite"
)

// Status is the one status a flow has in every report.
type Status string

// The statuses of docs/migration-rules.md: the rewrite's verdicts and what
// the engine decides when it writes.
const (
	StatusUpToDate           = Status(rewrite.StatusUpToDate)
	StatusPending            = Status(rewrite.StatusPending)
	StatusMigrated    Status = "migrated"
	StatusInvalid     Status = "invalid"
	StatusConflict    Status = "conflict"
	StatusUnsupported        = Status(rewrite.StatusUnsupported)
	StatusFailed      Status = "failed"
	// StatusRestored: a rollback wrote the flow's original source back.
	StatusRestored Status = "restored"
	// StatusExcluded: the operator acknowledged the flow (--exclude-flow,
	// the exclude list): counted, never changing the exit code.
	StatusExcluded Status = "excluded"
	// StatusNotAttempted: the run stopped (interrupt, unreachable server)
	// before it reached the flow; a re-run resumes it.
	StatusNotAttempted Status = "not-attempted"
)

// Statuses lists every status in report order.
var Statuses = []Status{StatusUpToDate, StatusPending, StatusMigrated, StatusInvalid,
	StatusConflict, StatusUnsupported, StatusFailed, StatusRestored, StatusExcluded, StatusNotAttempted}

// Change and Warning are the rewrite's, reported as they are.
type (
	Change  = rewrite.Change
	Warning = rewrite.Warning
)

// ReportSchemaVersion is the version of the JSON report (docs/cli.md).
const ReportSchemaVersion = 1

// Report is what plan, apply, rollback, status and fix print.
type Report struct {
	SchemaVersion int     `json:"schemaVersion"`
	Command       string  `json:"command"`
	RunID         string  `json:"runId"`
	Server        *string `json:"server"`
	Tenant        *string `json:"tenant"`
	ServerVersion string  `json:"serverVersion,omitempty"`
	// Target is the Kestra version the rewritten flows are valid on, and
	// Rules the rules that ran (plan, apply, daemon).
	Target     string            `json:"target,omitempty"`
	Rules      []string          `json:"rules,omitempty"`
	StartedAt  time.Time         `json:"startedAt"`
	FinishedAt time.Time         `json:"finishedAt"`
	Summary    Summary           `json:"summary"`
	Namespaces []NamespaceReport `json:"namespaces"`
	// Warnings concern the whole run (an old server, an interrupted run).
	Warnings []string `json:"warnings,omitempty"`
	// Readiness sorts all the flows for the upgrade (always present). It is
	// beside summary, not in it: summary stays an object of counters.
	Readiness Readiness `json:"readiness"`
	// Runs lists the last runs (status only).
	Runs []RunSummary `json:"runs,omitempty"`
	// Source says where the counts come from: "state file" (status), as
	// opposed to the server (plan, apply, rollback).
	Source string `json:"source,omitempty"`
}

// TenantNone is the tenant of a server without tenants (Kestra <= 0.22).
const TenantNone = "none"

// Counts has a counter for every status, always present.
type Counts struct {
	Flows       int `json:"flows"`
	UpToDate    int `json:"upToDate"`
	Pending     int `json:"pending"`
	Migrated    int `json:"migrated"`
	Invalid     int `json:"invalid"`
	Conflict    int `json:"conflict"`
	Unsupported int `json:"unsupported"`
	Failed      int `json:"failed"`
	Restored    int `json:"restored"`
	Excluded    int `json:"excluded"`
	// NotAttempted counts flows a stopped run never reached.
	NotAttempted int `json:"notAttempted"`
}

// Add counts one flow of status s.
func (c *Counts) Add(s Status) {
	c.Flows++
	*c.field(s)++
}

// Get returns the counter of status s.
func (c *Counts) Get(s Status) int { return *c.field(s) }

func (c *Counts) field(s Status) *int {
	switch s {
	case StatusUpToDate:
		return &c.UpToDate
	case StatusPending:
		return &c.Pending
	case StatusMigrated:
		return &c.Migrated
	case StatusInvalid:
		return &c.Invalid
	case StatusConflict:
		return &c.Conflict
	case StatusUnsupported:
		return &c.Unsupported
	case StatusRestored:
		return &c.Restored
	case StatusExcluded:
		return &c.Excluded
	case StatusNotAttempted:
		return &c.NotAttempted
	default:
		return &c.Failed
	}
}

func (c *Counts) addCounts(o Counts) {
	c.Flows += o.Flows
	for _, s := range Statuses {
		*c.field(s) += o.Get(s)
	}
}

// Map returns the counters by status name (for the state store and metrics).
func (c Counts) Map() map[string]int {
	m := make(map[string]int, len(Statuses))
	for _, s := range Statuses {
		m[string(s)] = c.Get(s)
	}
	return m
}

// CountsFromMap reads counters stored by status name (Counts.Map).
func CountsFromMap(m map[string]int) Counts {
	var c Counts
	for _, st := range Statuses {
		*c.field(st) = m[string(st)]
		c.Flows += m[string(st)]
	}
	return c
}

// Summary totals a report.
type Summary struct {
	Namespaces int `json:"namespaces"`
	Counts
	TasksChanged int `json:"tasksChanged"`
}

// NamespaceReport is one namespace's flows.
type NamespaceReport struct {
	Namespace string `json:"namespace"`
	Counts
	// LastScan and LastRunID: when and by which run the state file last
	// recorded the namespace (status only).
	LastScan  *time.Time `json:"lastScan,omitempty"`
	LastRunID string     `json:"lastRunId,omitempty"`
	// Readiness sorts the namespace's flows for the upgrade (always present).
	Readiness Readiness `json:"readiness"`
	Items     []Item    `json:"items"`
}

// Item is one flow in a report.
type Item struct {
	Namespace   string    `json:"namespace"`
	ID          string    `json:"id"`
	File        string    `json:"file,omitempty"`
	Revision    *int      `json:"revision"`
	NewRevision *int      `json:"newRevision"`
	Status      Status    `json:"status"`
	Changes     []Change  `json:"changes"`
	Warnings    []Warning `json:"warnings"`
	Reason      *string   `json:"reason"`
	// Forced: rollback --force restored this flow over a revision that
	// changed since it was migrated (an edit was overwritten).
	Forced bool   `json:"forced,omitempty"`
	Diff   string `json:"diff,omitempty"`
}

// Recorder collects items from concurrent workers into a Report. Up-to-date
// flows are counted but not listed unless KeepUpToDate, so the report of a
// large, mostly clean fleet stays small; an up-to-date flow with a detection
// (a warning with a code) is listed all the same, so that a flow 2.0 would
// refuse is named without --all-items.
type Recorder struct {
	KeepUpToDate bool

	mu     sync.Mutex
	report Report
	byNS   map[string]*nsRecord
	// assess: the command's items are rewrite results (assesses).
	assess bool
}

type nsRecord struct {
	counts       Counts
	readiness    Readiness
	items        []Item
	tasksChanged int
	lastScan     *time.Time
	lastRunID    string
}

// NewRecorder starts a report.
func NewRecorder(command, runID string, now time.Time) *Recorder {
	return &Recorder{
		report: Report{SchemaVersion: ReportSchemaVersion, Command: command, RunID: runID, StartedAt: now.UTC()},
		byNS:   map[string]*nsRecord{},
		assess: assesses(command),
	}
}

// SetServer records where the flows come from.
func (r *Recorder) SetServer(server, tenant, version string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if tenant == "" {
		tenant = TenantNone // the tenant-less paths, as docs/cli.md spells it
	}
	r.report.Server, r.report.Tenant, r.report.ServerVersion = &server, &tenant, version
}

// lastScan records when the state file last recorded a namespace (status).
func (r *Recorder) lastScan(ns string, at time.Time, runID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec := r.namespace(ns)
	if !at.IsZero() {
		t := at.UTC()
		rec.lastScan = &t
	}
	rec.lastRunID = runID
}

// SetRules records the target and the rules of the run.
func (r *Recorder) SetRules(target string, rules []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.report.Target, r.report.Rules = target, rules
}

// Warn adds a run-wide warning.
func (r *Recorder) Warn(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.report.Warnings = append(r.report.Warnings, msg)
}

// Add records one flow.
func (r *Recorder) Add(it Item) {
	if it.Changes == nil {
		it.Changes = []Change{}
	}
	if it.Warnings == nil {
		it.Warnings = []Warning{}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	ns := r.namespace(it.Namespace)
	ns.counts.Add(it.Status)
	if r.assess {
		ns.readiness.add(it.Readiness(), it.Codes())
	} else {
		ns.readiness.add(ReadinessUnassessed, nil)
	}
	if it.Status == StatusPending || it.Status == StatusMigrated {
		ns.tasksChanged += len(it.Changes)
	}
	if it.Status != StatusUpToDate || r.KeepUpToDate || it.hasCodes() {
		ns.items = append(ns.items, it)
	}
}

// AddNamespace records a namespace finished by an earlier part of the run
// (resumed), or as the state file has it (status): its counts, without
// items. Its flows are unassessed: the counts keep no findings.
func (r *Recorder) AddNamespace(ns string, c Counts) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec := r.namespace(ns)
	rec.counts.addCounts(c)
	rec.readiness.Unassessed += c.Flows
}

// Touch makes a namespace appear even with no flow.
func (r *Recorder) Touch(ns string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.namespace(ns)
}

func (r *Recorder) namespace(ns string) *nsRecord {
	rec, ok := r.byNS[ns]
	if !ok {
		rec = &nsRecord{}
		r.byNS[ns] = rec
	}
	return rec
}

// Finish sorts and totals the report.
func (r *Recorder) Finish(now time.Time) *Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	rep := r.report
	rep.FinishedAt = now.UTC()
	rep.Summary = Summary{}
	rep.Readiness = Readiness{ByCode: map[string]int{}}
	rep.Namespaces = make([]NamespaceReport, 0, len(r.byNS))
	for ns, rec := range r.byNS {
		items := rec.items
		if items == nil {
			items = []Item{}
		}
		sort.Slice(items, func(i, j int) bool {
			if items[i].ID != items[j].ID {
				return items[i].ID < items[j].ID
			}
			return items[i].File < items[j].File
		})
		readiness := rec.readiness
		readiness.ByCode = maps.Clone(readiness.ByCode)
		if readiness.ByCode == nil {
			readiness.ByCode = map[string]int{}
		}
		rep.Namespaces = append(rep.Namespaces, NamespaceReport{Namespace: ns, Counts: rec.counts, Items: items,
			LastScan: rec.lastScan, LastRunID: rec.lastRunID, Readiness: readiness})
		rep.Summary.addCounts(rec.counts)
		rep.Readiness.addReadiness(readiness)
		rep.Summary.TasksChanged += rec.tasksChanged
	}
	sort.Slice(rep.Namespaces, func(i, j int) bool { return rep.Namespaces[i].Namespace < rep.Namespaces[j].Namespace })
	rep.Summary.Namespaces = len(rep.Namespaces)
	return &rep
}

// UnifiedDiff renders old -> new as a unified diff with 3 lines of context,
// "" when they are equal.
func UnifiedDiff(name string, old, new []byte) string {
	if string(old) == string(new) {
		return ""
	}
	return udiff.Unified("a/"+name, "b/"+name, string(old), string(new))
}
