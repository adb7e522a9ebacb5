package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kestra-migrator/kestra-migrator/migrator/report"
	"github.com/kestra-migrator/kestra-migrator/store"
)

func newStatusCommand(a *app) *cobra.Command {
	var o outputOptions
	var limit int
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Progress per namespace and the last runs, from the state file (works while a daemon runs)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			progress, runs, note, err := a.readStatus(cmd.Context(), limit)
			if err != nil {
				return err
			}
			rep := report.StatusReport(progress, runs, time.Now())
			if note != "" {
				rep.Warnings = append([]string{note}, rep.Warnings...)
			}
			return a.printReport(rep, o)
		},
	}
	o.addFlags(cmd.Flags(), "table")
	cmd.Flags().IntVar(&limit, "runs", 5, "how many recent runs to list")
	return cmd
}

// readStatus reads the progress and the last runs from the state file, or,
// while a run holds it, from what that run publishes beside it.
func (a *app) readStatus(ctx context.Context, limit int) ([]store.NamespaceProgress, []store.Run, string, error) {
	st, err := a.openStoreReadOnly(ctx, 2*time.Second)
	if errors.Is(err, store.ErrLocked) {
		path, _ := a.cfg.dbPath()
		if live, lerr := store.ReadLive(path); lerr == nil {
			note := fmt.Sprintf("the state file is held by a running process (pid %d): its progress as of %s",
				live.PID, live.PublishedAt.Format(time.RFC3339))
			return live.Progress, live.Runs[:min(limit, len(live.Runs))], note, nil
		}
		st, err = a.openStoreReadOnly(ctx, 30*time.Second)
	}
	if err != nil {
		return nil, nil, "", err
	}
	defer st.Close()
	progress, err := st.AllProgress()
	if err != nil {
		return nil, nil, "", err
	}
	runs, err := st.Runs(limit)
	return progress, runs, "", err
}

func newRunsCommand(a *app) *cobra.Command {
	var format string
	var limit int
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "List the runs recorded in the state file, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "table" && format != "json" {
				return usagef("runs: --format %q: want table or json", format)
			}
			st, err := a.openStoreReadOnly(cmd.Context(), 30*time.Second)
			if err != nil {
				return err
			}
			defer st.Close()
			runs, err := st.Runs(limit)
			if err != nil {
				return err
			}
			if format == "json" {
				return writeJSON(a, report.RunSummaries(runs))
			}
			return report.RunsTable(a.stdout, report.RunSummaries(runs))
		},
	}
	cmd.Flags().StringVarP(&format, "format", "o", "table", "table or json")
	cmd.Flags().IntVar(&limit, "limit", 50, "how many runs")
	return cmd
}

func newSnapshotsCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "snapshots",
		Short: "List or show the rollback snapshots in the state file",
	}
	var f store.SnapshotFilter
	var format, flow string
	list := &cobra.Command{
		Use:   "list",
		Short: "List snapshots (run, flow, revisions, state)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if flow != "" {
				ns, id, ok := strings.Cut(flow, "/")
				if !ok {
					return usagef("--flow %q: want NAMESPACE/ID", flow)
				}
				f.Namespace, f.FlowID = ns, id
			}
			st, err := a.openStoreReadOnly(cmd.Context(), 30*time.Second)
			if err != nil {
				return err
			}
			defer st.Close()
			f.SkipSources = true
			snaps, err := st.Snapshots(f)
			if err != nil {
				return err
			}
			if format == "json" {
				return writeJSON(a, snaps)
			}
			return report.SnapshotsTable(a.stdout, snaps)
		},
	}
	list.Flags().StringVar(&f.RunID, "run", "", "snapshots of one run")
	list.Flags().StringVar(&f.Namespace, "namespace", "", "a namespace and its children")
	list.Flags().StringVar(&flow, "flow", "", "one flow, NAMESPACE/ID")
	list.Flags().StringVar((*string)(&f.State), "state", "", "saved, written, abandoned or rolled-back")
	list.Flags().StringVarP(&format, "format", "o", "table", "table or json")
	var which string
	show := &cobra.Command{
		Use:   "show RUN NAMESPACE/ID",
		Short: "Print a snapshot's original source (or --source migrated, or --source diff)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ns, id, ok := strings.Cut(args[1], "/")
			if !ok {
				return usagef("%q: want NAMESPACE/ID", args[1])
			}
			st, err := a.openStoreReadOnly(cmd.Context(), 30*time.Second)
			if err != nil {
				return err
			}
			defer st.Close()
			snap, err := st.Snapshot(args[0], ns, id)
			if err != nil {
				return err
			}
			switch which {
			case "original":
				_, err = a.stdout.Write(snap.Original)
			case "migrated":
				_, err = a.stdout.Write(snap.Migrated)
			case "diff":
				_, err = fmt.Fprint(a.stdout, report.UnifiedDiff(ns+"/"+id+".yml", snap.Original, snap.Migrated))
			default:
				return usagef("--source %q: want original, migrated or diff", which)
			}
			return err
		},
	}
	show.Flags().StringVar(&which, "source", "original", "original, migrated or diff")
	cmd.AddCommand(list, show)
	return cmd
}

func writeJSON(a *app, v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
