package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	_ "time/tzdata" // --window time zones in images without /usr/share/zoneinfo

	"github.com/spf13/cobra"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/migrator/daemon"
)

// daemonOptions are daemon's flags (the daemon keys are settings, so that
// SIGHUP reloads them from the file and the environment).
type daemonOptions struct {
	selection selectionFlags
	Once      bool
}

func (o *daemonOptions) AddFlags(cmd *cobra.Command, a *app) {
	f := cmd.Flags()
	o.selection.AddFlags(cmd, a)
	f.BoolVar(&o.Once, "once", false, "run one pass and exit, serving nothing (for a CronJob)")
	addSettingFlags(f, groupServer, groupState, groupEngine, groupRewrite, groupDaemon)
	_ = cmd.RegisterFlagCompletionFunc("mode", cobra.FixedCompletions([]string{string(migrator.ModePlan), string(migrator.ModeApply)}, cobra.ShellCompDirectiveNoFileComp))
}

// Validate checks the flags before anything is read.
func (o *daemonOptions) Validate() error { return nil }

func newDaemonCommand(a *app) *cobra.Command {
	o := &daemonOptions{}
	cmd := &cobra.Command{
		Use:   "daemon",
		Short: "Keep the selection migrated: a plan or apply pass every interval; serves /healthz /readyz /metrics /status",
		Long: "daemon runs a pass over the selected flows every --interval (spread by --jitter): --mode plan\n" +
			"(the default) only reports, --mode apply migrates what drifted back. Passes are incremental:\n" +
			"a flow unchanged since the last pass is not read again. A failed pass (server down) is\n" +
			"retried with exponential backoff up to the interval. Outside --window, apply passes only plan.\n" +
			"Serves --listen (loopback by default): /healthz, /readyz, /metrics (Prometheus), /status\n" +
			"(the JSON report of the last pass) and /report (HTML). SIGTERM or SIGINT stops it cleanly\n" +
			"(exit 0); SIGHUP reloads the configuration file. One daemon per state file.",
		Example: "  kestra-migrator daemon --all\n" +
			"  kestra-migrator daemon --all --mode apply --window \"22:00-06:00 Europe/Paris\" --listen 0.0.0.0:9464\n" +
			"  kestra-migrator daemon -n company.data --mode apply --once",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return runDaemon(cmd, a, o)
		},
	}
	o.AddFlags(cmd, a)
	return cmd
}

// runDaemon runs the daemon until SIGTERM or SIGINT; SIGHUP reloads the
// configuration (flags keep their values; the file and environment are read
// again). It takes the command, not only its context, to reload.
func runDaemon(cmd *cobra.Command, a *app, o *daemonOptions) error {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	loaded := true // by PersistentPreRunE, for the first Load
	d := daemon.New(daemon.Options{
		Load: func(obs client.Observer) (daemon.Config, error) {
			if !loaded {
				if err := a.load(cmd); err != nil {
					return daemon.Config{}, err
				}
			}
			loaded = false
			sel, err := o.selection.selection(a, true)
			if err != nil {
				return daemon.Config{}, err
			}
			return a.daemonConfig(obs, sel)
		},
		Reload: hup,
		Once:   o.Once,
	})
	err := d.Run(cmd.Context())
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("interrupted: in-flight flows were finished or left untouched: %w", migrator.ErrInterrupted)
	}
	return err
}

// daemonConfig maps the settings to the daemon's configuration, with a
// REST client that reports to obs.
func (a *app) daemonConfig(obs client.Observer, sel migrator.Selection) (daemon.Config, error) {
	window, err := daemon.ParseWindow(a.cfg.Window, a.cfg.WindowTimezone)
	if err != nil {
		return daemon.Config{}, asUsage(err)
	}
	path, err := a.cfg.dbPath()
	if err != nil {
		return daemon.Config{}, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return daemon.Config{}, fmt.Errorf("state file: %w", err)
	}
	if err := a.cfg.checkServer(); err != nil {
		return daemon.Config{}, err
	}
	ver, _ := buildVersion()
	ccfg := a.cfg.clientConfig(a.log, "kestra-migrator/"+ver)
	ccfg.Observer = obs
	cli, err := client.New(ccfg)
	if err != nil {
		return daemon.Config{}, asUsage(err)
	}
	e := &migrator.Engine{Source: cli, RewriteOptions: a.cfg.rewriteOptions(""), Log: a.log, Concurrency: a.cfg.Concurrency, Validate: true}
	cfg := daemon.Config{Interval: a.cfg.Interval, Jitter: a.cfg.Jitter, Mode: migrator.Mode(a.cfg.Mode), Window: window,
		Selection: sel, StatePath: path, Listen: a.cfg.Listen, AllowedHosts: a.cfg.AllowedHosts, Engine: e, Log: a.log}
	if err := cfg.Validate(); err != nil {
		return daemon.Config{}, asUsage(err)
	}
	return cfg, nil
}
