package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cast"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/migrator/rewrite"
)

// settings are the resolved configuration keys of docs/cli.md.
type settings struct {
	Server, Tenant                   string
	Username, Password, PasswordFile string
	Token, TokenFile                 string
	CAFile                           string
	InsecureSkipTLSVerify            bool
	Timeout                          time.Duration
	Retries                          int
	RateLimit                        float64
	ValidateBatchSize                int
	BreakerThreshold                 int
	MaxAnswerSizeMiB                 int
	DB                               string
	Concurrency                      int
	Partial                          bool
	Types                            []string
	Target                           string
	Rules                            []string
	ProcessType, DockerType          string
	LogLevel, LogFormat              string
	Exclude                          []string // acknowledged flows, NS/ID
	Interval                         time.Duration
	Jitter                           float64
	Mode, Listen                     string
	AllowedHosts                     []string
	Window, WindowTimezone           string
}

// kind is how a setting's value is read.
type kind int

const (
	kindString kind = iota
	kindBool
	kindInt
	kindFloat
	kindDuration
	kindList
)

// group is the commands a setting concerns: a command shows the flags of
// the groups it uses, no others.
type group int

const (
	groupLog     group = iota // every command (persistent)
	groupServer               // commands that talk to a server
	groupState                // commands that read or write the state file
	groupEngine               // commands that migrate or restore flows
	groupRewrite              // commands that rewrite flows
	groupDaemon               // the daemon
	groupFile                 // the config file and environment only
)

// setting is one configuration key: its flag, its environment variable, its
// default (configs/default.yaml) and where the resolved value goes.
type setting struct {
	key   string
	kind  kind
	group group
	usage string
	// zero is shown as the default when the default is empty or zero (pflag
	// shows no default then).
	zero string
	set  func(s *settings, v any)
}

var settingList = []setting{
	{"server", kindString, groupServer, "Kestra base URL, with its scheme (http:// or https://)", "", func(s *settings, v any) { s.Server = v.(string) }},
	{"tenant", kindString, groupServer, `tenant: main, a tenant id, or none (pre-0.23 paths)`, "auto: detected once", func(s *settings, v any) { s.Tenant = v.(string) }},
	{"username", kindString, groupServer, "basic auth user (an e-mail address)", "none", func(s *settings, v any) { s.Username = v.(string) }},
	{"password", kindString, groupServer, "basic auth password (prefer --password-file or the environment)", "none", func(s *settings, v any) { s.Password = v.(string) }},
	{"password-file", kindString, groupServer, "file holding the basic auth password", "none", func(s *settings, v any) { s.PasswordFile = v.(string) }},
	{"token", kindString, groupServer, "bearer API token, Enterprise (prefer --token-file or the environment)", "none", func(s *settings, v any) { s.Token = v.(string) }},
	{"token-file", kindString, groupServer, "file holding the bearer token", "none", func(s *settings, v any) { s.TokenFile = v.(string) }},
	{"ca-file", kindString, groupServer, "CA bundle to verify the server's certificate", "the system's", func(s *settings, v any) { s.CAFile = v.(string) }},
	{"insecure-skip-tls-verify", kindBool, groupServer, "do not verify the server's certificate (unsafe)", "false", func(s *settings, v any) { s.InsecureSkipTLSVerify = v.(bool) }},
	{"timeout", kindDuration, groupServer, "per-request timeout, with a unit (30s, 2m)", "", func(s *settings, v any) { s.Timeout = v.(time.Duration) }},
	{"retries", kindInt, groupServer, "retries on network errors, 429 and 5xx", "", func(s *settings, v any) { s.Retries = v.(int) }},
	{"rate-limit", kindFloat, groupServer, "requests per second", "0: no limit", func(s *settings, v any) { s.RateLimit = v.(float64) }},
	{"breaker-threshold", kindInt, groupServer, "stop talking to the server after this many attempts in a row get no answer (-1: never)", "5", func(s *settings, v any) { s.BreakerThreshold = v.(int) }},
	{"max-answer-size", kindInt, groupServer, "refuse a JSON answer larger than this many MiB (exports are spooled to disk)", "64", func(s *settings, v any) { s.MaxAnswerSizeMiB = v.(int) }},
	{"validate-batch-size", kindInt, groupServer, "flows per validate request", "", func(s *settings, v any) { s.ValidateBatchSize = v.(int) }},
	{"db", kindString, groupState, "state file", "$XDG_STATE_HOME/kestra-migrator/state.db", func(s *settings, v any) { s.DB = v.(string) }},
	{"concurrency", kindInt, groupEngine, "flows in flight at once (1 to 256)", "", func(s *settings, v any) { s.Concurrency = v.(int) }},
	{"partial", kindBool, groupRewrite, "migrate the supported tasks of flows that also have unsupported ones", "false", func(s *settings, v any) { s.Partial = v.(bool) }},
	{"types", kindList, groupRewrite, "task types in scope (a trailing '.' makes a prefix)", "the built-in list", func(s *settings, v any) { s.Types = v.([]string) }},
	{"target", kindString, groupRewrite, "Kestra version the rewritten flows must be valid on: 1.3 or 2.0", "the server's version (fix: 2.0)", func(s *settings, v any) { s.Target = v.(string) }},
	{"rules", kindList, groupRewrite, "run only these rules (names as in the reports)", "every rule valid on the target", func(s *settings, v any) { s.Rules = v.([]string) }},
	{"process-type", kindString, groupRewrite, "target type for runner: PROCESS", "", func(s *settings, v any) { s.ProcessType = v.(string) }},
	{"docker-type", kindString, groupRewrite, "target type for runner: DOCKER", "", func(s *settings, v any) { s.DockerType = v.(string) }},
	{"log-level", kindString, groupLog, "debug, info, warn or error", "", func(s *settings, v any) { s.LogLevel = v.(string) }},
	{"log-format", kindString, groupLog, "text or json", "", func(s *settings, v any) { s.LogFormat = v.(string) }},
	{"exclude", kindList, groupFile, "acknowledged flows, NS/ID, counted as excluded", "none", func(s *settings, v any) { s.Exclude = v.([]string) }},
	{"interval", kindDuration, groupDaemon, "time between the starts of two passes, with a unit (15m)", "", func(s *settings, v any) { s.Interval = v.(time.Duration) }},
	{"jitter", kindFloat, groupDaemon, "spread each wait by up to this fraction of it, either way", "", func(s *settings, v any) { s.Jitter = v.(float64) }},
	{"mode", kindString, groupDaemon, "plan (report only) or apply (migrate)", "", func(s *settings, v any) { s.Mode = v.(string) }},
	{"listen", kindString, groupDaemon, "HOST:PORT of the HTTP endpoints (0.0.0.0:9464 in a container)", "", func(s *settings, v any) { s.Listen = v.(string) }},
	{"allowed-hosts", kindList, groupDaemon, `host names requests may carry besides localhost, loopback and the listen address ("*": any); others are refused (DNS rebinding)`, "none", func(s *settings, v any) { s.AllowedHosts = v.([]string) }},
	{"window", kindString, groupDaemon, `apply only between these times, e.g. "22:00-06:00 Europe/Paris"; outside, passes only plan`, "always", func(s *settings, v any) { s.Window = v.(string) }},
	{"window-timezone", kindString, groupDaemon, "time zone of a --window that names none", "local time", func(s *settings, v any) { s.WindowTimezone = v.(string) }},
}

func lookupSetting(key string) (setting, bool) {
	for _, s := range settingList {
		if s.key == key {
			return s, true
		}
	}
	return setting{}, false
}

// envName is the environment variable of a key.
func envName(key string) string {
	return envPrefix + "_" + strings.ToUpper(strings.ReplaceAll(key, "-", "_"))
}

const envPrefix = "KESTRA_MIGRATOR"

// addSettingFlags defines the flags of the settings of the given groups,
// each with its default and its environment variable in the help.
func addSettingFlags(f *pflag.FlagSet, groups ...group) {
	for _, s := range settingList {
		for _, g := range groups {
			if s.group == g {
				addSettingFlag(f, s)
			}
		}
	}
}

func addSettingFlag(f *pflag.FlagSet, s setting) {
	def := defaultValues[s.key]
	usage := s.usage
	if s.zero != "" {
		usage += " (default: " + s.zero + ")"
	}
	usage += " [$" + envName(s.key) + "]"
	switch s.kind {
	case kindBool:
		f.Bool(s.key, cast.ToBool(def), usage)
	case kindInt:
		f.Int(s.key, cast.ToInt(def), usage)
	case kindFloat:
		f.Float64(s.key, cast.ToFloat64(def), usage)
	case kindDuration:
		f.Var(&durationFlag{text: cast.ToString(def), key: s.key}, s.key, usage)
	case kindList:
		f.StringSlice(s.key, cast.ToStringSlice(def), usage)
	default:
		f.String(s.key, cast.ToString(def), usage)
	}
}

// durationFlag is a duration flag whose bare numbers are refused with the
// same message as in the file or the environment.
type durationFlag struct{ text, key string }

func (d *durationFlag) String() string { return d.text }
func (d *durationFlag) Type() string   { return "duration" }
func (d *durationFlag) Set(s string) error {
	if _, err := parseDuration(s); err != nil {
		return err
	}
	d.text = s
	return nil
}

// parseDuration reads "30s", "2m", "1h30m". A bare number is refused: a
// unit-less 30 is read as 30 nanoseconds by Go and as 30 seconds by people.
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return 0, fmt.Errorf("%q has no unit: write %ss (seconds), or use m, h, ms", s, s)
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration: write it like 30s, 2m or 1h30m", s)
	}
	return d, nil
}

// readValue converts a raw value (flag text, environment text, YAML value
// or default) to the setting's kind, strictly: "abc" is not 0.
func readValue(k kind, raw any) (any, error) {
	switch k {
	case kindBool:
		switch v := raw.(type) {
		case bool:
			return v, nil
		case string:
			b, err := strconv.ParseBool(strings.TrimSpace(v))
			if err != nil {
				return nil, fmt.Errorf("%q: want true or false", v)
			}
			return b, nil
		}
		return nil, fmt.Errorf("%v: want true or false", raw)
	case kindInt:
		switch v := raw.(type) {
		case int:
			return v, nil
		case int64:
			return int(v), nil
		case float64:
			if v == float64(int(v)) {
				return int(v), nil
			}
		case string:
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
				return n, nil
			}
		}
		return nil, fmt.Errorf("%s: want a whole number", quote(raw))
	case kindFloat:
		switch v := raw.(type) {
		case int:
			return float64(v), nil
		case float64:
			return v, nil
		case string:
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				return f, nil
			}
		}
		return nil, fmt.Errorf("%s: want a number", quote(raw))
	case kindDuration:
		switch v := raw.(type) {
		case string:
			return parseDuration(v)
		case int, int64, float64:
			return nil, fmt.Errorf("%v has no unit: write %vs (seconds), or use m, h, ms", v, v)
		case time.Duration:
			return v, nil
		}
		return nil, fmt.Errorf("%s: want a duration such as 30s", quote(raw))
	case kindList:
		switch v := raw.(type) {
		case nil:
			return []string(nil), nil
		case []string:
			return v, nil
		case []any:
			out := make([]string, 0, len(v))
			for _, e := range v {
				out = append(out, fmt.Sprint(e))
			}
			return out, nil
		case string:
			if strings.TrimSpace(v) == "" {
				return []string(nil), nil
			}
			parts := strings.Split(v, ",")
			for i := range parts {
				parts[i] = strings.TrimSpace(parts[i])
			}
			return parts, nil
		}
		return nil, fmt.Errorf("%s: want a list", quote(raw))
	}
	switch v := raw.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case map[string]any, []any:
		return nil, fmt.Errorf("%v: want a string", v)
	}
	return fmt.Sprint(raw), nil
}

func quote(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}

// readSettings reads every key strictly, naming the value and where it came
// from when it is wrong, then checks the values together.
func readSettings(v *viper.Viper, source func(key string) string) (settings, error) {
	var s settings
	for _, st := range settingList {
		val, err := readValue(st.kind, v.Get(st.key))
		if err != nil {
			return s, fmt.Errorf("%s %v (from %s)", st.key, err, source(st.key))
		}
		st.set(&s, val)
	}
	if err := s.validate(); err != nil {
		return s, err
	}
	return s, nil
}

// validate checks the values together.
func (s settings) validate() error {
	var lv slog.Level
	switch {
	case lv.UnmarshalText([]byte(s.LogLevel)) != nil:
		return fmt.Errorf("log-level %q: want debug, info, warn or error", s.LogLevel)
	case s.LogFormat != "text" && s.LogFormat != "json":
		return fmt.Errorf("log-format %q: want text or json", s.LogFormat)
	case s.Concurrency < 1 || s.Concurrency > 256:
		return fmt.Errorf("concurrency %d: want 1 to 256", s.Concurrency)
	case s.Retries < 0:
		return fmt.Errorf("retries %d: want 0 or more", s.Retries)
	case s.Timeout <= 0:
		return fmt.Errorf("timeout %s: want a positive duration such as 30s", s.Timeout)
	case s.RateLimit < 0:
		return fmt.Errorf("rate-limit %g: want 0 (none) or more", s.RateLimit)
	case s.MaxAnswerSizeMiB < 0:
		return fmt.Errorf("max-answer-size %d: want a size in MiB, 0 for the default", s.MaxAnswerSizeMiB)
	case s.ValidateBatchSize < 1:
		return fmt.Errorf("validate-batch-size %d: want 1 or more", s.ValidateBatchSize)
	case s.Password != "" && s.PasswordFile != "":
		return fmt.Errorf("password and password-file are both set: choose one")
	case s.Token != "" && s.TokenFile != "":
		return fmt.Errorf("token and token-file are both set: choose one")
	case (s.Token != "" || s.TokenFile != "") && s.Username != "":
		return fmt.Errorf("username and token are both set: choose basic auth or a bearer token")
	}
	for _, f := range s.Exclude {
		if ns, id, ok := strings.Cut(f, "/"); !ok || ns == "" || id == "" {
			return fmt.Errorf("exclude %q: want NAMESPACE/ID", f)
		}
	}
	if s.Target != "" {
		if _, err := rewrite.ParseTarget(s.Target); err != nil {
			return fmt.Errorf("target: %w", err)
		}
	}
	if _, err := rewrite.NewRewriter(s.rewriteOptions("")); err != nil {
		return fmt.Errorf("rules: %w", err)
	}
	return nil
}

// checkServer refuses a server URL that cannot be right, with the fix.
func (s settings) checkServer() error {
	switch {
	case strings.TrimSpace(s.Server) == "":
		return usagef("no Kestra server configured: set --server or %s (or server: in the config file)", envName("server"))
	case !strings.Contains(s.Server, "://"):
		return usagef("server %q has no scheme: did you mean http://%s (or https://%s)?", s.Server, s.Server, s.Server)
	}
	return nil
}

// rewriteOptions are the rule set of the settings; the target is --target,
// else defaultTarget ("": the engine reads the server's version).
func (s settings) rewriteOptions(defaultTarget rewrite.Target) rewrite.Options {
	target := defaultTarget
	if s.Target != "" {
		target = rewrite.Target(s.Target) // checked by validate
	}
	return rewrite.Options{
		Partial: s.Partial,
		Only:    s.Rules,
		Target:  target,
		Rules: rewrite.DefaultRules(rewrite.RuleConfig{
			Runner: rewrite.RunnerOptions{Scope: s.Types, ProcessType: s.ProcessType, DockerType: s.DockerType}}),
	}
}

// rewriter is the rule set of fix, which has no server: --target, else 2.0
// (as Kestra's own migration tool).
func (s settings) rewriter() *rewrite.Rewriter {
	return rewrite.MustRewriter(s.rewriteOptions(rewrite.Target20)) // checked by validate
}

// clientConfig maps the settings to the REST client's.
func (s settings) clientConfig(log *slog.Logger, userAgent string) client.Config {
	retries := s.Retries
	if retries == 0 {
		retries = -1 // the client reads 0 as its default; here 0 means none
	}
	return client.Config{
		IdentifyFlow: rewrite.FlowIdentity,
		Server:       s.Server, Tenant: s.Tenant,
		Username: s.Username, Password: s.Password, PasswordFile: s.PasswordFile,
		Token: s.Token, TokenFile: s.TokenFile,
		CAFile: s.CAFile, InsecureSkipTLSVerify: s.InsecureSkipTLSVerify,
		Timeout: s.Timeout, Retries: retries, RateLimit: s.RateLimit,
		ValidateBatchSize: s.ValidateBatchSize, Logger: log, UserAgent: userAgent,
		BreakerThreshold: s.BreakerThreshold, MaxAnswerSize: int64(s.MaxAnswerSizeMiB) << 20,
	}
}

// dbPath is the state file: the db key, else $XDG_STATE_HOME/kestra-migrator/state.db.
func (s settings) dbPath() (string, error) {
	if s.DB != "" {
		return s.DB, nil
	}
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("state file: set db (no home directory: %w)", err)
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, "kestra-migrator", "state.db"), nil
}

// durationVar defines a duration flag that is not a setting, read like one.
func durationVar(f *pflag.FlagSet, p *time.Duration, name string, def time.Duration, usage string) {
	*p = def
	f.Var(&boundDuration{p: p}, name, usage)
}

type boundDuration struct{ p *time.Duration }

func (d *boundDuration) String() string {
	if d.p == nil {
		return ""
	}
	return d.p.String()
}
func (d *boundDuration) Type() string { return "duration" }
func (d *boundDuration) Set(s string) error {
	v, err := parseDuration(s)
	if err == nil {
		*d.p = v
	}
	return err
}
