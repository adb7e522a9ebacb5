package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"

	"github.com/kestra-migrator/kestra-migrator/configs"
	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/migrator/report"
)

// app is what every command shares: resolved settings, logger and streams.
type app struct {
	stdout, stderr io.Writer
	v              *viper.Viper
	cfg            settings
	log            *slog.Logger
}

func (a *app) now() time.Time { return time.Now() }

func newRootCommand(stdout, stderr io.Writer) *cobra.Command {
	a := &app{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "kestra-migrator",
		Short: "Migrate fleets of Kestra flows off runner/docker to taskRunner/containerImage",
		Long: "kestra-migrator rewrites the deprecated runner/docker properties of Kestra script tasks\n" +
			"into taskRunner/containerImage, on a Kestra server through its REST API (plan, apply,\n" +
			"rollback, daemon) or in flow files kept in git (fix), changing only the bytes it must.",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.load(cmd)
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	addGlobalFlags(root.PersistentFlags())
	root.AddCommand(newPlanCommand(a), newApplyCommand(a), newRollbackCommand(a), newStatusCommand(a),
		newRunsCommand(a), newSnapshotsCommand(a), newDaemonCommand(a), newFixCommand(a), newDemoCommand(a), newVersionCommand())
	return root
}

func addGlobalFlags(f *pflag.FlagSet) {
	f.String("config", "", "config file (default ./kestra-migrator.yaml, then $XDG_CONFIG_HOME/kestra-migrator/config.yaml)")
	f.String("server", "", "Kestra base URL")
	f.String("tenant", "", `tenant: "" (auto), main, a tenant id, or none (pre-0.23 paths)`)
	f.String("username", "", "basic auth user")
	f.String("password", "", "basic auth password (prefer --password-file or KESTRA_MIGRATOR_PASSWORD)")
	f.String("password-file", "", "file holding the basic auth password")
	f.String("token", "", "bearer API token (prefer --token-file or KESTRA_MIGRATOR_TOKEN)")
	f.String("token-file", "", "file holding the bearer token")
	f.String("ca-file", "", "CA bundle to verify the server's certificate")
	f.Bool("insecure-skip-tls-verify", false, "do not verify the server's certificate (unsafe)")
	f.Duration("timeout", 0, "per-request timeout")
	f.Int("retries", 0, "retries on network errors, 429 and 5xx")
	f.Float64("rate-limit", 0, "requests per second (0: no limit)")
	f.Int("validate-batch-size", 0, "flows per validate request")
	f.String("db", "", "state file (default $XDG_STATE_HOME/kestra-migrator/state.db)")
	f.Int("concurrency", 0, "flows in flight at once")
	f.Bool("partial", false, "migrate the supported tasks of flows that also have unsupported ones")
	f.StringSlice("types", nil, "task types in scope (a trailing '.' makes a prefix)")
	f.String("process-type", "", "target type for runner: PROCESS")
	f.String("docker-type", "", "target type for runner: DOCKER")
	f.String("log-level", "", "debug, info, warn or error")
	f.String("log-format", "", "text or json")
}

// load resolves the settings: flag > environment > config file > defaults.
func (a *app) load(cmd *cobra.Command) error {
	v := viper.New()
	if err := setDefaults(v); err != nil {
		return err
	}
	v.SetEnvPrefix("KESTRA_MIGRATOR")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	file, explicit := configFile(cmd)
	if file != "" {
		v.SetConfigFile(file)
		v.SetConfigType("yaml")
		if err := v.MergeInConfig(); err != nil {
			if explicit || !errors.Is(err, os.ErrNotExist) {
				return usagef("config file %s: %v", file, err)
			}
		}
	}
	// only flags set on the command line override: viper treats a bound
	// flag's default as the lowest-precedence value, below env and file
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Name != "config" && f.Changed {
			v.Set(f.Name, flagValue(f))
		}
	})
	cfg, err := readSettings(v)
	if err != nil {
		return &usageError{err}
	}
	a.v, a.cfg = v, cfg
	a.log = newLogger(a.stderr, cfg.LogLevel, cfg.LogFormat)
	return nil
}

func flagValue(f *pflag.Flag) any {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		return sv.GetSlice()
	}
	return f.Value.String()
}

// setDefaults loads the embedded annotated config as viper defaults.
func setDefaults(v *viper.Viper) error {
	var defaults map[string]any
	if err := yaml.Unmarshal(configs.Default, &defaults); err != nil {
		return fmt.Errorf("embedded default config: %w", err)
	}
	for k, val := range defaults {
		v.SetDefault(k, val)
	}
	return nil
}

// configFile picks --config, else ./kestra-migrator.yaml, else the XDG one.
func configFile(cmd *cobra.Command) (path string, explicit bool) {
	if f := cmd.Flags().Lookup("config"); f != nil && f.Value.String() != "" {
		return f.Value.String(), true
	}
	if p := os.Getenv("KESTRA_MIGRATOR_CONFIG"); p != "" {
		return p, true
	}
	if _, err := os.Stat("kestra-migrator.yaml"); err == nil {
		return "kestra-migrator.yaml", false
	}
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", false
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "kestra-migrator", "config.yaml"), false
}

func newLogger(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level)) // validated in readSettings
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// outputOptions are the report flags of plan, apply, rollback, status and fix.
type outputOptions struct {
	Format   string
	Output   string
	Diff     bool
	AllItems bool
}

func (o *outputOptions) addFlags(f *pflag.FlagSet, defaultFormat string) {
	f.StringVarP(&o.Format, "format", "o", defaultFormat, "report format: "+strings.Join(report.FormatNames(), ", "))
	f.StringVar(&o.Output, "output", "", "write the report to this file instead of stdout")
	f.BoolVar(&o.Diff, "diff", false, "include each flow's unified diff in the report")
	f.BoolVar(&o.AllItems, "all-items", false, "list up-to-date flows in the report too (default: counted only)")
}

func (o *outputOptions) validate() error {
	if _, err := report.NewFormatter(o.Format); err != nil {
		return &usageError{err}
	}
	return nil
}

// wantDiff: diffs are computed when asked for or when the format shows them.
func (o *outputOptions) wantDiff() bool { return o.Diff || o.Format == "diff" || o.Format == "html" }

// printReport writes the report to --output (atomically) or stdout.
func (a *app) printReport(rep *report.Report, o outputOptions) error {
	f, err := report.NewFormatter(o.Format)
	if err != nil {
		return &usageError{err}
	}
	if o.Output == "" {
		return f.Format(a.stdout, rep)
	}
	var buf bytes.Buffer
	if err := f.Format(&buf, rep); err != nil {
		return err
	}
	if err := os.WriteFile(o.Output, nil, 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := migrator.WriteFileAtomic(o.Output, buf.Bytes()); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}
