package main

import (
	"github.com/spf13/cobra"

	"github.com/kestra-migrator/kestra-migrator/migrator"
)

// selectionFlags are the flow selectors of plan, apply and daemon.
type selectionFlags struct {
	Namespaces, Flows, Exclude, ExcludeFlows []string
	All                                      bool
}

// AddFlags defines the selectors, with completion of namespaces.
func (s *selectionFlags) AddFlags(cmd *cobra.Command, a *app) {
	f := cmd.Flags()
	f.StringArrayVarP(&s.Namespaces, "namespace", "n", nil, "a namespace and its children (repeatable)")
	f.StringArrayVar(&s.Flows, "flow", nil, "one flow, NAMESPACE/ID (repeatable)")
	f.StringArrayVar(&s.Exclude, "exclude-namespace", nil, "leave a namespace and its children out (repeatable)")
	f.StringArrayVar(&s.ExcludeFlows, "exclude-flow", nil, "acknowledge a flow, NAMESPACE/ID (repeatable): counted as excluded, never touched,\nnever changing the exit code; adds to the config file's exclude list [$"+envName("exclude")+"]")
	f.BoolVar(&s.All, "all", false, "every namespace")
	_ = cmd.RegisterFlagCompletionFunc("namespace", a.completeNamespaces)
	_ = cmd.RegisterFlagCompletionFunc("exclude-namespace", a.completeNamespaces)
}

// selection builds the engine's selection (with the config file's exclude
// list); required refuses an empty selection (apply, daemon), else an empty
// one means --all (plan).
func (s selectionFlags) selection(a *app, required bool) (migrator.Selection, error) {
	sel := migrator.Selection{All: s.All, Namespaces: s.Namespaces, Flows: s.Flows, Exclude: s.Exclude,
		ExcludeFlows: append(append([]string{}, a.cfg.Exclude...), s.ExcludeFlows...)}
	if len(sel.ExcludeFlows) == 0 {
		sel.ExcludeFlows = nil
	}
	if err := sel.Validate(); err != nil {
		return sel, asUsage(err)
	}
	if sel.Empty() {
		if required {
			return sel, usagef("select flows with --namespace, --flow or --all")
		}
		sel.All = true
	}
	return sel, nil
}
