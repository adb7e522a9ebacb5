package chaos_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/pem"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/migrator/fleettest"
	"github.com/kestra-migrator/kestra-migrator/migrator/rewrite"
)

const chaosToken = "kestra-api-token-0c7e4f1d9b2a"

// secretForms are the ways a secret could leak: as is, base64-encoded
// alone, and inside the Authorization header's value.
func secretForms(user, secret string) []string {
	forms := []string{secret, base64.StdEncoding.EncodeToString([]byte(secret))}
	if user != "" {
		forms = append(forms, base64.StdEncoding.EncodeToString([]byte(user+":"+secret)))
	}
	return forms
}

// leakCheck collects everything a run showed or left behind.
type leakCheck struct {
	t      *testing.T
	forms  []string
	output bytes.Buffer
}

func (l *leakCheck) add(what string, r result) {
	l.output.WriteString("\n== " + what + "\n" + r.stdout + r.stderr)
	for _, f := range l.forms {
		for _, part := range []struct{ name, text string }{{"stdout", r.stdout}, {"stderr", r.stderr}} {
			if strings.Contains(part.text, f) {
				l.t.Errorf("%s: a secret (%.4s...) is in its %s", what, f, part.name)
			}
		}
	}
}

// files checks every file under dir, the state file included, byte for byte.
func (l *leakCheck) files(dir string) (n int) {
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		for _, f := range l.forms {
			if bytes.Contains(b, []byte(f)) {
				l.t.Errorf("a secret (%.4s...) is in %s", f, path)
			}
		}
		return nil
	})
	if err != nil {
		l.t.Fatal(err)
	}
	return n
}

// TestSecretsNeverLeak runs every command of the binary at debug level,
// with JSON and text logs, every report format, failing flows, retried
// requests, refused credentials and an unreachable server, with basic auth
// (from the environment, from the server URL) and with a bearer token: no
// form of the secret shows in stdout, stderr, the reports or any byte of
// the state directory. The state file is 0600 in a 0700 directory.
func TestSecretsNeverLeak(t *testing.T) {
	bin := migratorBinary(t)
	cases := []struct {
		name       string
		opts       kestratest.Options
		env        func(*kestratest.Server) []string
		serverURL  func(*kestratest.Server) string
		authFlags  []string
		forms      []string
		wrongEnv   []string
		wrongValue string
	}{
		{
			name:       "basic auth from the environment",
			opts:       kestratest.Options{Username: chaosUser, Password: chaosPassword},
			env:        func(*kestratest.Server) []string { return []string{"KESTRA_MIGRATOR_PASSWORD=" + chaosPassword} },
			serverURL:  (*kestratest.Server).URL,
			authFlags:  []string{"--username", chaosUser},
			forms:      secretForms(chaosUser, chaosPassword),
			wrongEnv:   []string{"KESTRA_MIGRATOR_PASSWORD=Wrong-Pa55word-e1d2"},
			wrongValue: "Wrong-Pa55word-e1d2",
		},
		{
			name: "basic auth in the server URL",
			opts: kestratest.Options{Username: chaosUser, Password: chaosPassword},
			env:  func(*kestratest.Server) []string { return nil },
			serverURL: func(s *kestratest.Server) string {
				u, _ := url.Parse(s.URL())
				u.User = url.UserPassword(chaosUser, chaosPassword)
				return u.String()
			},
			forms:      secretForms(chaosUser, chaosPassword),
			wrongEnv:   []string{"KESTRA_MIGRATOR_PASSWORD=Wrong-Pa55word-e1d2", "KESTRA_MIGRATOR_USERNAME=" + chaosUser},
			wrongValue: "Wrong-Pa55word-e1d2",
		},
		{
			name:       "bearer token",
			opts:       kestratest.Options{Token: chaosToken},
			env:        func(*kestratest.Server) []string { return []string{"KESTRA_MIGRATOR_TOKEN=" + chaosToken} },
			serverURL:  (*kestratest.Server).URL,
			forms:      secretForms("", chaosToken),
			wrongEnv:   []string{"KESTRA_MIGRATOR_TOKEN=wrong-token-5a6b7c"},
			wrongValue: "wrong-token-5a6b7c",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := kestratest.Start(t, tc.opts)
			flows := fleettest.Generate(100, 3, 0.5, true) // with invalid, unsupported and broken flows
			if err := fleettest.Seed(srv, flows); err != nil {
				t.Fatal(err)
			}
			srv.SetFaults(kestratest.Faults{Rate503: 0.1, DropRate: 0.05, Seed: 3}) // retries show in the logs
			sb := newSandbox(t)
			sb.env = tc.env(srv)
			serverURL := tc.serverURL(srv)
			l := &leakCheck{t: t, forms: tc.forms}
			// the state file and the log level through the environment, as a
			// deployment sets them; server flags only on the commands that read the server
			sb.env = append(sb.env, "KESTRA_MIGRATOR_DB="+sb.db(), "KESTRA_MIGRATOR_LOG_LEVEL=debug")
			server := append([]string{"--server", serverURL, "--retries", "8"}, tc.authFlags...)
			steps := [][]string{
				append([]string{"plan", "-o", "json", "--diff"}, server...),
				append([]string{"apply", "--all", "-o", "json", "--diff", "--log-format", "json"}, server...),
				{"status", "-o", "json"},
				{"runs", "-o", "json"},
				{"snapshots", "list"},
				append([]string{"plan", "-o", "markdown", "--output", filepath.Join(sb.work, "plan.md")}, server...),
				append([]string{"plan", "-o", "html", "--output", filepath.Join(sb.work, "plan.html")}, server...),
				append([]string{"rollback", "--all", "-o", "json", "--diff"}, server...),
			}
			for _, step := range steps {
				r := sb.run(t, bin, step...)
				if r.code != 0 && r.code != 3 && r.code != 4 {
					t.Fatalf("%s: %s", strings.Join(step, " "), r)
				}
				l.add(strings.Join(step, " "), r)
			}
			if !strings.Contains(l.output.String(), "kestra request") || !strings.Contains(l.output.String(), "status=503") {
				t.Fatalf("no debug record of the requests and their retries: the test proves little\n%s", tail(l.output.String(), 2000))
			}

			// refused credentials, then an unreachable server
			wrong := *sb
			wrong.env = append(tc.wrongEnv, "KESTRA_MIGRATOR_DB="+sb.db())
			wrongURL := srv.URL()
			if strings.Contains(serverURL, "@") {
				u, _ := url.Parse(serverURL)
				u.User = url.UserPassword(chaosUser, tc.wrongValue)
				wrongURL = u.String()
			}
			refused := wrong.run(t, bin, append([]string{"plan", "--server", wrongURL, "--log-level", "debug"}, tc.authFlags...)...)
			if refused.code != 1 || !strings.Contains(refused.stderr, "401") {
				t.Errorf("wrong credentials: want exit 1 naming the 401: %s", refused)
			}
			if strings.Contains(refused.stderr+refused.stdout, tc.wrongValue) {
				t.Errorf("the refused secret is shown: %s", refused)
			}
			l.add("plan with refused credentials", refused)
			closed := closedPort(t)
			down := strings.Replace(serverURL, srv.URL()[len("http://"):], closed, 1)
			unreachable := sb.run(t, bin, append([]string{"plan", "--server", down, "--retries", "1", "--log-level", "debug"}, tc.authFlags...)...)
			if unreachable.code != 1 {
				t.Errorf("unreachable server: want exit 1: %s", unreachable)
			}
			l.add("plan against an unreachable server", unreachable)

			n := l.files(sb.root)
			assertMode(t, sb.db(), 0o600)
			assertMode(t, sb.stateDir, 0o700|os.ModeDir)
			t.Logf("%d commands, %d KiB of output and %d files checked for %d forms of the secret",
				len(steps)+2, l.output.Len()>>10, n, len(tc.forms))
		})
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode() != want {
		t.Errorf("%s has mode %s, want %s", path, info.Mode(), want)
	}
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestEngineDebugLogsHoldNoSecret is the in-process form of the above (it
// also runs with -short): the engine and the client log at debug level
// into a buffer, through retries and failures.
func TestEngineDebugLogsHoldNoSecret(t *testing.T) {
	opts := kestratest.Options{Username: chaosUser, Password: chaosPassword}
	srv := kestratest.Start(t, opts)
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := fleettest.ClientConfig(srv.URL(), opts)
	cfg.Logger = log
	f := fleettest.NewFleetOn(t, srv, srv.URL(), fleettest.Generate(100, 3, 0.5, true), cfg) // invalid, unsupported and broken flows
	srv.SetFaults(kestratest.Faults{Rate503: 0.1, DropRate: 0.05, Seed: 4})
	engine := func() *migrator.Engine { e := f.Engine(); e.Log = log; return e }
	rep, err := engine().Run(context.Background(), migrator.RunOptions{Mode: migrator.ModeApply, Selection: migrator.Selection{All: true}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := engine().Rollback(context.Background(), migrator.RollbackOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "kestra request") || !strings.Contains(logs.String(), "status=503") || rep.Summary.Failed == 0 {
		t.Fatalf("no debug records of retried requests or no failed flow: the test proves little")
	}
	for _, form := range secretForms(chaosUser, chaosPassword) {
		if strings.Contains(logs.String(), form) {
			t.Errorf("a secret (%.4s...) is in the debug logs", form)
		}
	}
}

// TestTLSVerifiedByDefault: against a server with a self-signed
// certificate, the binary refuses to connect (exit 1, naming the
// certificate) unless given the certificate with --ca-file, or told to skip
// verification, which it warns about.
func TestTLSVerifiedByDefault(t *testing.T) {
	bin := migratorBinary(t)
	srv := kestratest.Start(t, kestratest.Options{TLS: true, Username: chaosUser, Password: chaosPassword})
	flows := fleettest.Generate(20, 2, 0.5, false)
	if err := fleettest.Seed(srv, flows); err != nil {
		t.Fatal(err)
	}
	sb := newSandbox(t)
	sb.env = []string{"KESTRA_MIGRATOR_PASSWORD=" + chaosPassword}
	ca := filepath.Join(sb.work, "kestra-ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	common := []string{"plan", "-o", "json", "--server", srv.URL(), "--username", chaosUser, "--retries", "1"}

	refused := sb.run(t, bin, common...)
	if refused.code != 1 || !strings.Contains(refused.stderr, "certificate") {
		t.Errorf("without --ca-file: want exit 1 naming the certificate; got %s", refused)
	}
	if srv.RequestCount(kestratest.EndpointSearch) != 0 {
		t.Errorf("a request went through without a verified certificate")
	}
	trusted := sb.run(t, bin, append(common, "--ca-file", ca)...)
	if rep := decodeReport(t, trusted); trusted.code != 3 || rep.Summary.Flows != len(flows) {
		t.Errorf("with --ca-file: want exit 3 over %d flows; got %+v, %s", len(flows), rep.Summary, trusted)
	}
	skipped := sb.run(t, bin, append(common, "--insecure-skip-tls-verify")...)
	if skipped.code != 3 || !strings.Contains(skipped.stderr, "verification is disabled") {
		t.Errorf("with --insecure-skip-tls-verify: want exit 3 and a warning; got %s", skipped)
	}
}

// TestClientVerifiesTLSByDefault is the in-process form (runs with -short).
func TestClientVerifiesTLSByDefault(t *testing.T) {
	srv := kestratest.Start(t, kestratest.Options{TLS: true})
	if err := fleettest.Seed(srv, fleettest.Generate(4, 1, 0.5, false)); err != nil {
		t.Fatal(err)
	}
	cli, err := client.New(client.Config{Server: srv.URL(), Retries: -1, Timeout: fleettest.NoTimeout})
	if err != nil {
		t.Fatal(err)
	}
	e := &migrator.Engine{Source: cli, Rewriter: rewrite.MustRewriter(rewrite.Options{}), Concurrency: 2}
	_, err = e.Run(context.Background(), migrator.RunOptions{Mode: migrator.ModePlan, Selection: migrator.Selection{All: true}})
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("plan against a self-signed server: %v, want an error naming the certificate", err)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	cli, err = client.New(client.Config{Server: srv.URL(), CAFile: ca, Retries: -1, Timeout: fleettest.NoTimeout})
	if err != nil {
		t.Fatal(err)
	}
	e.Source = cli
	if rep, err := e.Run(context.Background(), migrator.RunOptions{Mode: migrator.ModePlan, Selection: migrator.Selection{All: true}}); err != nil || rep.Summary.Flows != 4 {
		t.Errorf("plan with the CA file: %v", err)
	}
}
