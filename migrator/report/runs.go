package report

import (
	"time"

	"github.com/kestra-migrator/kestra-migrator/store"
)

// RunSummary is one run in the status report.
type RunSummary struct {
	ID         string         `json:"id"`
	Command    string         `json:"command"`
	Status     string         `json:"status"`
	Selection  []string       `json:"selection,omitempty"`
	Server     string         `json:"server,omitempty"`
	StartedAt  time.Time      `json:"startedAt"`
	FinishedAt *time.Time     `json:"finishedAt"`
	Counters   map[string]int `json:"counters,omitempty"`
	Error      string         `json:"error,omitempty"`
}

// StatusReport is the progress per namespace and the last runs, from the
// state file: the counts of each namespace's latest scan.
func StatusReport(progress []store.NamespaceProgress, runs []store.Run, now time.Time) *Report {
	rec := NewRecorder("status", "", now)
	for _, p := range progress {
		rec.AddNamespace(p.Namespace, CountsFromMap(p.Counts))
		if !p.Complete {
			rec.Warn("namespace " + p.Namespace + ": its last scan (run " + p.RunID + ") did not complete")
		}
	}
	rep := rec.Finish(now)
	if len(runs) > 0 {
		rep.RunID = runs[0].ID
	}
	rep.Runs = RunSummaries(runs)
	return rep
}

// RunSummaries converts runs for reports.
func RunSummaries(runs []store.Run) []RunSummary {
	out := make([]RunSummary, 0, len(runs))
	for _, r := range runs {
		s := RunSummary{ID: r.ID, Command: r.Command, Status: r.Status, Selection: r.Selection, Server: r.Server,
			StartedAt: r.StartedAt, Counters: r.Counters, Error: r.Error}
		if !r.FinishedAt.IsZero() {
			t := r.FinishedAt
			s.FinishedAt = &t
		}
		out = append(out, s)
	}
	return out
}
