package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func newRootCommand(stdout, stderr io.Writer) *cobra.Command {
	a := &app{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "kestra-migrator",
		Short: "Migrate fleets of Kestra flows off runner/docker to taskRunner/containerImage",
		Long: "kestra-migrator rewrites the deprecated runner/docker properties of Kestra script tasks\n" +
			"into taskRunner/containerImage, on a Kestra server through its REST API (plan, apply,\n" +
			"rollback, daemon) or in flow files kept in git (fix), changing only the bytes it must.\n\n" +
			"Every setting is a flag, an environment variable (KESTRA_MIGRATOR_ + the key in upper\n" +
			"case) and a key of the config file; a flag wins over the environment, which wins over the file.",
		Example: "  kestra-migrator demo\n" +
			"  kestra-migrator plan --server http://localhost:8080 -n company.data\n" +
			"  kestra-migrator apply --all",
		Version:       versionLine(),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          unknownCommand,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.load(cmd)
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.SuggestionsMinimumDistance = 2
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return &usageError{err: err, cmd: cmd} })
	addGlobalFlags(root.PersistentFlags())
	root.AddCommand(newPlanCommand(a), newApplyCommand(a), newRollbackCommand(a), newStatusCommand(a),
		newRunsCommand(a), newSnapshotsCommand(a), newDaemonCommand(a), newFixCommand(a), newDemoCommand(a), newVersionCommand())
	for _, cmd := range root.Commands() {
		guardArgs(cmd)
	}
	return root
}

// unknownCommand refuses a command the root does not know, with cobra's
// suggestions.
func unknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q", args[0])
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf(" (did you mean %q?)", s[0])
	}
	return &usageError{err: errors.New(msg), cmd: cmd}
}

// guardArgs makes every command's argument errors usage errors (exit 2),
// with no matching of cobra's messages.
func guardArgs(cmd *cobra.Command) {
	if cmd.Args != nil {
		cmd.Args = usageArgs(cmd.Args)
	} else if cmd.HasSubCommands() {
		cmd.Args = usageArgs(cobra.NoArgs)
		if cmd.RunE == nil && cmd.Run == nil {
			cmd.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
		}
	}
	for _, sub := range cmd.Commands() {
		guardArgs(sub)
	}
}

func addGlobalFlags(f *pflag.FlagSet) {
	f.String("config", "", "config file (default: ./kestra-migrator.yaml, then $XDG_CONFIG_HOME/kestra-migrator/config.yaml) [$"+envPrefix+"_CONFIG]")
	addSettingFlags(f, groupLog)
}
