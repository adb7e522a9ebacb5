package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/migrator/report"
	"github.com/kestra-migrator/kestra-migrator/store"
)

// snapshotStates are the values of --state.
var snapshotStates = []string{string(store.SnapshotSaved), string(store.SnapshotWritten), string(store.SnapshotAbandoned), string(store.SnapshotRolledBack)}

func newSnapshotsCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "snapshots",
		Short: "List or show the rollback snapshots in the state file",
		Example: "  kestra-migrator snapshots list --run 20261127T101500Z-3fa9c2\n" +
			"  kestra-migrator snapshots show 20261127T101500Z-3fa9c2 company.data/nightly-etl --source diff",
	}
	cmd.AddCommand(newSnapshotsListCommand(a), newSnapshotsShowCommand(a))
	return cmd
}

// snapshotsListOptions are snapshots list's flags.
type snapshotsListOptions struct {
	print  *printFlags
	filter store.SnapshotFilter
	Flow   string
	State  string
	Wait   time.Duration
}

func (o *snapshotsListOptions) AddFlags(cmd *cobra.Command, a *app) {
	o.print.AddFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.filter.RunID, "run", "", "snapshots of one run")
	f.StringVarP(&o.filter.Namespace, "namespace", "n", "", "a namespace and its children")
	f.StringVar(&o.Flow, "flow", "", "one flow, NAMESPACE/ID")
	f.StringVar(&o.State, "state", "", strings.Join(snapshotStates, ", "))
	durationVar(f, &o.Wait, "wait", 10*time.Second, "how long to wait for a run or daemon pass holding the state file")
	addSettingFlags(f, groupState)
	_ = cmd.RegisterFlagCompletionFunc("state", cobra.FixedCompletions(snapshotStates, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("run", a.completeRuns)
	_ = cmd.RegisterFlagCompletionFunc("namespace", a.completeNamespaces)
}

// Validate checks the flags before anything is read.
func (o *snapshotsListOptions) Validate() error {
	if o.State != "" && !slices.Contains(snapshotStates, o.State) {
		return usagef("--state %q: want %s", o.State, strings.Join(snapshotStates, ", "))
	}
	o.filter.State = store.SnapshotState(o.State)
	if o.Flow != "" {
		ns, id, ok := strings.Cut(o.Flow, "/")
		if !ok || ns == "" || id == "" {
			return usagef("--flow %q: want NAMESPACE/ID", o.Flow)
		}
		o.filter.Namespace, o.filter.FlowID = ns, id
	}
	return o.print.Validate()
}

func newSnapshotsListCommand(a *app) *cobra.Command {
	o := &snapshotsListOptions{print: newPrintFlags(report.KindSnapshots, "table")}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List snapshots (run, flow, revisions, state)",
		Example: "  kestra-migrator snapshots list\n" +
			"  kestra-migrator snapshots list --run 20261127T101500Z-3fa9c2 --state written -o json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return runSnapshotsList(cmd.Context(), a, o)
		},
	}
	o.AddFlags(cmd, a)
	return cmd
}

func runSnapshotsList(ctx context.Context, a *app, o *snapshotsListOptions) error {
	st, err := a.openStoreReadOnly(ctx, o.Wait)
	if err != nil {
		return err
	}
	defer st.Close()
	if o.filter.RunID != "" {
		if _, err := st.Run(o.filter.RunID); errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("--run %s: no such run in the state file (see kestra-migrator runs): %w", o.filter.RunID, migrator.ErrNoMatch)
		}
	}
	f := o.filter
	f.SkipSources = true
	snaps, err := st.Snapshots(f)
	if err != nil {
		return err
	}
	return o.print.Print(a, report.NewSnapshotList(snaps))
}

// snapshotsShowOptions are snapshots show's flags.
type snapshotsShowOptions struct {
	Source string
	Wait   time.Duration
}

var snapshotSources = []string{"original", "migrated", "diff"}

func (o *snapshotsShowOptions) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.Source, "source", "original", strings.Join(snapshotSources, ", "))
	durationVar(cmd.Flags(), &o.Wait, "wait", 10*time.Second, "how long to wait for a run or daemon pass holding the state file")
	addSettingFlags(cmd.Flags(), groupState)
	_ = cmd.RegisterFlagCompletionFunc("source", cobra.FixedCompletions(snapshotSources, cobra.ShellCompDirectiveNoFileComp))
}

// Validate checks the flags before anything is read.
func (o *snapshotsShowOptions) Validate() error {
	if !slices.Contains(snapshotSources, o.Source) {
		return usagef("--source %q: want %s", o.Source, strings.Join(snapshotSources, ", "))
	}
	return nil
}

func newSnapshotsShowCommand(a *app) *cobra.Command {
	o := &snapshotsShowOptions{}
	cmd := &cobra.Command{
		Use:   "show RUN NAMESPACE/ID",
		Short: "Print a snapshot's original source (or --source migrated, or --source diff)",
		Example: "  kestra-migrator snapshots show 20261127T101500Z-3fa9c2 company.data/nightly-etl\n" +
			"  kestra-migrator snapshots show 20261127T101500Z-3fa9c2 company.data/nightly-etl --source diff",
		Args: cobra.ExactArgs(2),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return a.completeRuns(cmd, args, toComplete)
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return runSnapshotsShow(cmd.Context(), a, o, args[0], args[1])
		},
	}
	o.AddFlags(cmd)
	return cmd
}

func runSnapshotsShow(ctx context.Context, a *app, o *snapshotsShowOptions, runID, flow string) error {
	ns, id, ok := strings.Cut(flow, "/")
	if !ok || ns == "" || id == "" {
		return usagef("%q: want NAMESPACE/ID", flow)
	}
	st, err := a.openStoreReadOnly(ctx, o.Wait)
	if err != nil {
		return err
	}
	defer st.Close()
	snap, err := st.Snapshot(runID, ns, id)
	if err != nil {
		return err
	}
	switch o.Source {
	case "migrated":
		_, err = a.stdout.Write(snap.Migrated)
	case "diff":
		_, err = fmt.Fprint(a.stdout, report.UnifiedDiff(ns+"/"+id+".yml", snap.Original, snap.Migrated))
	default:
		_, err = a.stdout.Write(snap.Original)
	}
	return err
}
