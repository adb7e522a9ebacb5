package main

import (
	"context"
	"strings"
	"time"

	"github.com/kestra-migrator/kestra-migrator/store"
	"github.com/spf13/cobra"
)

// The shell completions that read the state file: run ids and namespaces.
// They never contact a server and give up quickly on a busy file.

func (a *app) completeRuns(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	return a.completeFromStore(cmd, func(st *store.Store) (out []string) {
		runs, _ := st.Runs(50)
		for _, r := range runs {
			if strings.HasPrefix(r.ID, toComplete) {
				out = append(out, r.ID+"\t"+r.Command+" "+r.Status)
			}
		}
		return out
	})
}

func (a *app) completeNamespaces(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	return a.completeFromStore(cmd, func(st *store.Store) (out []string) {
		progress, _ := st.AllProgress()
		for _, p := range progress {
			if strings.HasPrefix(p.Namespace, toComplete) {
				out = append(out, p.Namespace)
			}
		}
		return out
	})
}

// completeFromStore answers a completion from the state file, opened read
// only; nothing when the settings or the file cannot be read.
func (a *app) completeFromStore(cmd *cobra.Command, list func(*store.Store) []string) ([]string, cobra.ShellCompDirective) {
	if a.load(cmd) != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	st, err := a.openStoreReadOnly(context.Background(), 100*time.Millisecond)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	defer st.Close()
	return list(st), cobra.ShellCompDirectiveNoFileComp
}
