package report

import (
	"fmt"
	"io"
	"strconv"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/kestra-migrator/kestra-migrator/store"
)

type tableFormat struct{}

// Format prints a table of namespaces, then one of the flows that need
// attention (everything but up-to-date).
func (tableFormat) Format(w io.Writer, r *Report) error {
	header := []any{"namespace", "flows"}
	for _, s := range Statuses {
		header = append(header, string(s))
	}
	t := newTable(w)
	t.Header(header...)
	for _, ns := range r.Namespaces {
		if err := t.Append(countsRow(ns.Namespace, ns.Counts)...); err != nil {
			return err
		}
	}
	t.Footer(countsRow(fmt.Sprintf("%d namespaces", r.Summary.Namespaces), r.Summary.Counts)...)
	if err := t.Render(); err != nil {
		return err
	}
	ft := newTable(w)
	ft.Header("flow", "status", "revision", "detail")
	rows := 0
	for _, ns := range r.Namespaces {
		for _, it := range ns.Items {
			if it.Status == StatusUpToDate {
				continue
			}
			rows++
			if err := ft.Append(it.flowName(), string(it.Status), revisions(it), it.detail()); err != nil {
				return err
			}
		}
	}
	if rows > 0 {
		if err := ft.Render(); err != nil {
			return err
		}
	}
	if len(r.Runs) > 0 {
		if err := RunsTable(w, r.Runs); err != nil {
			return err
		}
	}
	for _, warn := range r.Warnings {
		if _, err := fmt.Fprintf(w, "warning: %s\n", warn); err != nil {
			return err
		}
	}
	return nil
}

func countsRow(name string, c Counts) []any {
	row := []any{name, strconv.Itoa(c.Flows)}
	for _, s := range Statuses {
		row = append(row, strconv.Itoa(c.Get(s)))
	}
	return row
}

func newTable(w io.Writer) *tablewriter.Table {
	return tablewriter.NewTable(w, tablewriter.WithHeaderAutoFormat(tw.Off), tablewriter.WithFooterAutoFormat(tw.Off))
}

// RunsTable lists runs, newest first.
func RunsTable(w io.Writer, runs []RunSummary) error {
	t := newTable(w)
	t.Header("run", "command", "status", "started", "finished", "flows", "migrated", "problems")
	for _, r := range runs {
		finished := ""
		if r.FinishedAt != nil {
			finished = r.FinishedAt.Format("2006-01-02 15:04:05")
		}
		problems := r.Counters["invalid"] + r.Counters["conflict"] + r.Counters["unsupported"] + r.Counters["failed"]
		flows := 0
		for _, n := range r.Counters {
			flows += n
		}
		if err := t.Append(r.ID, r.Command, r.Status, r.StartedAt.Format("2006-01-02 15:04:05"), finished,
			strconv.Itoa(flows), strconv.Itoa(r.Counters["migrated"]), strconv.Itoa(problems)); err != nil {
			return err
		}
	}
	return t.Render()
}

// SnapshotsTable lists snapshots.
func SnapshotsTable(w io.Writer, snaps []store.Snapshot) error {
	t := newTable(w)
	t.Header("run", "flow", "revision", "new revision", "state", "rolled back by")
	for _, s := range snaps {
		newRev := ""
		if s.NewRevision > 0 {
			newRev = strconv.Itoa(s.NewRevision)
		}
		if err := t.Append(s.RunID, s.Namespace+"/"+s.FlowID, strconv.Itoa(s.Revision), newRev, string(s.State), s.RolledBackBy); err != nil {
			return err
		}
	}
	return t.Render()
}
