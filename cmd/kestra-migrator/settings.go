package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

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
	DB                               string
	Concurrency                      int
	Partial                          bool
	Types                            []string
	ProcessType, DockerType          string
	LogLevel, LogFormat              string
}

func readSettings(v *viper.Viper) (settings, error) {
	s := settings{
		Server: v.GetString("server"), Tenant: v.GetString("tenant"),
		Username: v.GetString("username"), Password: v.GetString("password"), PasswordFile: v.GetString("password-file"),
		Token: v.GetString("token"), TokenFile: v.GetString("token-file"),
		CAFile: v.GetString("ca-file"), InsecureSkipTLSVerify: v.GetBool("insecure-skip-tls-verify"),
		Timeout: v.GetDuration("timeout"), Retries: v.GetInt("retries"), RateLimit: v.GetFloat64("rate-limit"),
		ValidateBatchSize: v.GetInt("validate-batch-size"),
		DB:                v.GetString("db"), Concurrency: v.GetInt("concurrency"), Partial: v.GetBool("partial"),
		Types: v.GetStringSlice("types"), ProcessType: v.GetString("process-type"), DockerType: v.GetString("docker-type"),
		LogLevel: v.GetString("log-level"), LogFormat: v.GetString("log-format"),
	}
	return s, s.validate()
}

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
		return fmt.Errorf("timeout %s: want a positive duration", s.Timeout)
	case s.RateLimit < 0:
		return fmt.Errorf("rate-limit %g: want 0 (none) or more", s.RateLimit)
	case s.ValidateBatchSize < 1:
		return fmt.Errorf("validate-batch-size %d: want 1 or more", s.ValidateBatchSize)
	case s.Password != "" && s.PasswordFile != "":
		return fmt.Errorf("password and password-file are both set: choose one")
	case s.Token != "" && s.TokenFile != "":
		return fmt.Errorf("token and token-file are both set: choose one")
	case (s.Token != "" || s.TokenFile != "") && s.Username != "":
		return fmt.Errorf("username and token are both set: choose basic auth or a bearer token")
	}
	return nil
}

// rewriter builds the rewrite from the settings.
func (s settings) rewriter() *rewrite.Rewriter {
	return rewrite.MustRewriter(rewrite.Options{
		Partial: s.Partial,
		Rules: rewrite.DefaultRules(rewrite.RuleConfig{
			Runner: rewrite.RunnerOptions{Scope: s.Types, ProcessType: s.ProcessType, DockerType: s.DockerType}}),
	})
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
