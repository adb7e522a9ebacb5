package main

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// The shell completions that read the state file: run ids and namespaces.
// They never contact a server and give up quickly on a busy file.

func (a *app) completeRuns(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if a.load(cmd) != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	st, err := a.openStoreReadOnly(context.Background(), 100*time.Millisecond)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	defer st.Close()
	runs, _ := st.Runs(50)
	var out []string
	for _, r := range runs {
		if strings.HasPrefix(r.ID, toComplete) {
			out = append(out, r.ID+"\t"+r.Command+" "+r.Status)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

func (a *app) completeNamespaces(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if a.load(cmd) != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	st, err := a.openStoreReadOnly(context.Background(), 100*time.Millisecond)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	defer st.Close()
	progress, _ := st.AllProgress()
	var out []string
	for _, p := range progress {
		if strings.HasPrefix(p.Namespace, toComplete) {
			out = append(out, p.Namespace)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
