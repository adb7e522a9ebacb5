package report

import (
	"time"

	"github.com/kestra-migrator/kestra-migrator/store"
)

// ListSchemaVersion is the version of the JSON of `runs` and `snapshots list`.
const ListSchemaVersion = 1

// RunSummary is one run, in `runs` and in the status report.
type RunSummary struct {
	RunID      string     `json:"runId"`
	Command    string     `json:"command"`
	Status     string     `json:"status"`
	Selection  []string   `json:"selection,omitempty"`
	Server     string     `json:"server,omitempty"`
	Tenant     string     `json:"tenant,omitempty"`
	Instance   string     `json:"instance,omitempty"` // Kestra's instance id, when the server gives one
	StartedAt  time.Time  `json:"startedAt"`
	FinishedAt *time.Time `json:"finishedAt"`
	// Summary has the counters of the reports (upToDate, restored...).
	Summary Counts `json:"summary"`
	Error   string `json:"error,omitempty"`
}

// RunList is what `runs` prints.
type RunList struct {
	SchemaVersion int          `json:"schemaVersion"`
	Command       string       `json:"command"`
	Runs          []RunSummary `json:"runs"`
}

// Kind implements Document.
func (*RunList) Kind() Kind { return KindRuns }

// NewRunList lists runs, newest first as given.
func NewRunList(runs []store.Run) *RunList {
	return &RunList{SchemaVersion: ListSchemaVersion, Command: "runs", Runs: RunSummaries(runs)}
}

// SnapshotSummary is one snapshot in `snapshots list`.
type SnapshotSummary struct {
	RunID        string    `json:"runId"`
	Namespace    string    `json:"namespace"`
	ID           string    `json:"id"`
	Revision     int       `json:"revision"`
	NewRevision  *int      `json:"newRevision"`
	State        string    `json:"state"`
	Server       string    `json:"server,omitempty"` // the server of its run
	Tenant       string    `json:"tenant,omitempty"`
	RolledBackBy string    `json:"rolledBackBy,omitempty"`
	CreatedAt    time.Time `json:"createdAt"`
	UpdatedAt    time.Time `json:"updatedAt"`
}

// SnapshotList is what `snapshots list` prints.
type SnapshotList struct {
	SchemaVersion int               `json:"schemaVersion"`
	Command       string            `json:"command"`
	Snapshots     []SnapshotSummary `json:"snapshots"`
}

// Kind implements Document.
func (*SnapshotList) Kind() Kind { return KindSnapshots }

// NewSnapshotList lists snapshots (their sources are not shown).
func NewSnapshotList(snaps []store.Snapshot) *SnapshotList {
	l := &SnapshotList{SchemaVersion: ListSchemaVersion, Command: "snapshots list", Snapshots: make([]SnapshotSummary, 0, len(snaps))}
	for _, s := range snaps {
		sum := SnapshotSummary{RunID: s.RunID, Namespace: s.Namespace, ID: s.FlowID, Revision: s.Revision,
			State: string(s.State), Server: s.Server.URL, Tenant: tenantName(s.Server.URL, s.Server.Tenant),
			RolledBackBy: s.RolledBackBy, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
		if s.NewRevision > 0 {
			sum.NewRevision = intPtr(s.NewRevision)
		}
		l.Snapshots = append(l.Snapshots, sum)
	}
	return l
}

// Demo is the demo's four reports: plan, apply, status, rollback.
type Demo struct {
	SchemaVersion int       `json:"schemaVersion"`
	Command       string    `json:"command"`
	Reports       []*Report `json:"reports"`
}

// Kind implements Document.
func (*Demo) Kind() Kind { return KindDemo }

// StatusReport is the progress per namespace and the last runs, from the
// state file: the counts each namespace's last run left, rollbacks included
// (a rollback moves the flows it restored from migrated to restored).
func StatusReport(progress []store.NamespaceProgress, runs []store.Run, now time.Time) *Report {
	rec := NewRecorder("status", "", now)
	servers := map[string]bool{}
	for _, p := range progress {
		servers[p.Server.URL+"\x00"+p.Server.Tenant] = true
	}
	for _, p := range progress {
		ns := p.Namespace
		if len(servers) > 1 { // one state file, several servers: never add their counts together
			ns += " @ " + serverText(p.Server.URL, tenantName(p.Server.URL, p.Server.Tenant))
		}
		rec.AddNamespace(ns, CountsFromMap(p.Counts))
		rec.lastScan(ns, p.LastScan, p.RunID)
		if !p.Complete {
			rec.Warn("namespace " + ns + ": its last scan (run " + p.RunID + ") did not complete")
		}
	}
	rep := rec.Finish(now)
	if len(runs) > 0 {
		rep.RunID = runs[0].ID
	}
	rep.Source = "state file"
	rep.Runs = RunSummaries(runs)
	return rep
}

// RunSummaries converts runs for reports.
func RunSummaries(runs []store.Run) []RunSummary {
	out := make([]RunSummary, 0, len(runs))
	for _, r := range runs {
		s := RunSummary{RunID: r.ID, Command: r.Command, Status: r.Status, Selection: r.Selection, Server: r.Server,
			Tenant: tenantName(r.Server, r.Tenant), Instance: r.Instance, StartedAt: r.StartedAt,
			Summary: CountsFromMap(r.Counters), Error: r.Error}
		if !r.FinishedAt.IsZero() {
			t := r.FinishedAt
			s.FinishedAt = &t
		}
		out = append(out, s)
	}
	return out
}

func intPtr(i int) *int { return &i }

// tenantName is a record's tenant as reports spell it: none on a server
// without tenants.
func tenantName(server, tenant string) string {
	if server != "" && tenant == "" {
		return TenantNone
	}
	return tenant
}
