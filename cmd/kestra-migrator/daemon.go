package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
	_ "time/tzdata" // --window time zones in images without /usr/share/zoneinfo

	"github.com/spf13/cobra"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/migrator/daemon"
)

type daemonOptions struct {
	selectionFlags
	Once bool
}

func newDaemonCommand(a *app) *cobra.Command {
	var o daemonOptions
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
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sel, err := o.selection(true)
			if err != nil {
				return err
			}
			return runDaemon(cmd, a, o, sel)
		},
	}
	f := cmd.Flags()
	f.Duration("interval", 15*time.Minute, "time between the starts of two passes")
	f.Float64("jitter", 0.1, "spread each wait by up to this fraction of it, either way")
	f.String("mode", "plan", "plan (report only) or apply (migrate)")
	f.String("listen", "127.0.0.1:9464", "HOST:PORT of the HTTP endpoints (0.0.0.0:9464 in a container)")
	f.StringSlice("allowed-hosts", nil, `host names requests may carry besides localhost, loopback and the listen address ("*": any); others are refused (DNS rebinding)`)
	f.String("window", "", `apply only between these times, e.g. "22:00-06:00 Europe/Paris"; outside, passes only plan ("": always)`)
	f.String("window-timezone", "", "time zone of a --window that names none (default: local time)")
	f.BoolVar(&o.Once, "once", false, "run one pass and exit, serving nothing (for a CronJob)")
	o.selectionFlags.addFlags(f)
	return cmd
}

// runDaemon runs the daemon until SIGTERM or SIGINT; SIGHUP reloads the
// configuration (flags keep their values; the file and environment are read again).
func runDaemon(cmd *cobra.Command, a *app, o daemonOptions, sel migrator.Selection) error {
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
			return a.daemonConfig(obs, sel)
		},
		Reload: hup,
		Once:   o.Once,
	})
	err := d.Run(cmd.Context())
	if errors.Is(err, context.Canceled) {
		return errors.New("interrupted: in-flight flows were finished or left untouched")
	}
	return err
}

// daemonConfig maps the settings and the daemon keys to the daemon's
// configuration, with a REST client that reports to obs.
func (a *app) daemonConfig(obs client.Observer, sel migrator.Selection) (daemon.Config, error) {
	v := a.v
	interval, err := time.ParseDuration(v.GetString("interval"))
	if err != nil {
		return daemon.Config{}, usagef("interval %q: %v", v.GetString("interval"), err)
	}
	jitter, err := strconv.ParseFloat(v.GetString("jitter"), 64)
	if err != nil {
		return daemon.Config{}, usagef("jitter %q: want a fraction such as 0.1", v.GetString("jitter"))
	}
	window, err := daemon.ParseWindow(v.GetString("window"), v.GetString("window-timezone"))
	if err != nil {
		return daemon.Config{}, &usageError{err}
	}
	path, err := a.cfg.dbPath()
	if err != nil {
		return daemon.Config{}, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return daemon.Config{}, fmt.Errorf("state file: %w", err)
	}
	ver, _ := buildVersion()
	ccfg := a.cfg.clientConfig(a.log, "kestra-migrator/"+ver)
	ccfg.Observer = obs
	cli, err := client.New(ccfg)
	if err != nil {
		return daemon.Config{}, &usageError{err}
	}
	e := a.engine(cli, nil, engineOptions{validate: true})
	e.Observer = nil // no progress bar in a daemon
	cfg := daemon.Config{Interval: interval, Jitter: jitter, Mode: migrator.Mode(v.GetString("mode")), Window: window,
		Selection: sel, StatePath: path, Listen: v.GetString("listen"), AllowedHosts: v.GetStringSlice("allowed-hosts"), Engine: e, Log: a.log}
	if err := cfg.Validate(); err != nil {
		return daemon.Config{}, &usageError{err}
	}
	return cfg, nil
}
