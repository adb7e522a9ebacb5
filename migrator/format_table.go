package migrator

import (
	"fmt"
	"io"
	"strconv"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
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
