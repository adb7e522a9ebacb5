package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"

	"github.com/kestra-migrator/kestra-migrator/configs"
)

// app is what every command shares: resolved settings, logger and streams.
type app struct {
	stdout, stderr io.Writer
	v              *viper.Viper
	cfg            settings
	log            *slog.Logger
	// bar is the progress bar on stderr, when one is drawn; log lines
	// clear it first so that they do not tear it.
	bar *progress
	// serverDefault: no server was configured; the built-in default is used.
	serverDefault bool
}

func (a *app) now() time.Time { return time.Now() }

// defaultValues are the built-in defaults: configs/default.yaml, embedded.
var defaultValues = func() map[string]any {
	var m map[string]any
	if err := yaml.Unmarshal(configs.Default, &m); err != nil {
		panic("embedded default config: " + err.Error())
	}
	return m
}()

// load resolves the settings: flag > environment > config file > defaults.
func (a *app) load(cmd *cobra.Command) error {
	v := viper.New()
	for k, val := range defaultValues {
		v.SetDefault(k, val)
	}
	v.SetEnvPrefix(envPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	file, fileKeys, err := mergeConfigFile(cmd, v)
	if err != nil {
		return &usageError{err: err, cmd: cmd}
	}
	// only flags set on the command line override: viper treats a bound
	// flag's default as the lowest-precedence value, below env and file
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if _, ok := lookupSetting(f.Name); ok && f.Changed {
			v.Set(f.Name, flagValue(f))
		}
	})
	source := func(key string) string {
		if f := cmd.Flags().Lookup(key); f != nil && f.Changed {
			return "flag --" + key
		}
		if _, ok := os.LookupEnv(envName(key)); ok {
			return "environment " + envName(key)
		}
		if fileKeys[key] {
			return "config file " + file
		}
		return "the built-in default"
	}
	cfg, err := readSettings(v, source)
	if err != nil {
		return &usageError{err: err, cmd: cmd}
	}
	a.v, a.cfg = v, cfg
	a.serverDefault = source("server") == "the built-in default"
	a.log = newLogger(&logWriter{a: a}, cfg.LogLevel, cfg.LogFormat)
	return nil
}

func flagValue(f *pflag.Flag) any {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		return sv.GetSlice()
	}
	return f.Value.String()
}

// mergeConfigFile reads the config file, refusing keys it does not know
// (a typo is never silently ignored), and returns its path and keys.
func mergeConfigFile(cmd *cobra.Command, v *viper.Viper) (string, map[string]bool, error) {
	file, explicit := configFile(cmd)
	if file == "" {
		return "", nil, nil
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		if explicit || !errors.Is(err, os.ErrNotExist) {
			return "", nil, fmt.Errorf("config file %s: %w", file, err)
		}
		return "", nil, nil
	}
	var m map[string]any
	if err := yaml.Unmarshal(raw, &m); err != nil {
		return "", nil, fmt.Errorf("config file %s: %w", file, err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	seen := map[string]bool{}
	for _, k := range keys {
		if _, ok := lookupSetting(k); !ok {
			msg := fmt.Sprintf("config file %s: unknown key %q", file, k)
			if s := suggestKey(k); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			return "", nil, errors.New(msg)
		}
		seen[k] = true
	}
	if err := v.MergeConfigMap(m); err != nil {
		return "", nil, fmt.Errorf("config file %s: %w", file, err)
	}
	return file, seen, nil
}

// suggestKey is the known key closest to a mistyped one, or "".
func suggestKey(k string) string {
	best, bestDist := "", 3
	for _, s := range settingList {
		if d := editDistance(k, s.key); d < bestDist {
			best, bestDist = s.key, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// configFile picks --config, else ./kestra-migrator.yaml, else the XDG one.
func configFile(cmd *cobra.Command) (path string, explicit bool) {
	if f := cmd.Flags().Lookup("config"); f != nil && f.Value.String() != "" {
		return f.Value.String(), true
	}
	if p := os.Getenv(envPrefix + "_CONFIG"); p != "" {
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

// logWriter writes log lines to stderr, clearing the progress bar first.
type logWriter struct{ a *app }

func (w *logWriter) Write(p []byte) (int, error) {
	if bar := w.a.bar; bar != nil {
		return bar.writeAbove(w.a.stderr, p)
	}
	return w.a.stderr.Write(p)
}
