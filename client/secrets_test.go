package client_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
)

const (
	testUser     = "admin@kestra.io"
	testPassword = "pa55-W0rd-never-shown"
	testToken    = "tok-never-shown-7f3a"
)

// TestDebugLogHoldsNoCredential makes authenticated calls fail in every way
// (refused, given up on 503, network error) with debug logging on, then
// searches the logs and errors for any form of the secrets.
func TestDebugLogHoldsNoCredential(t *testing.T) {
	secrets := []string{testPassword, testToken,
		base64.StdEncoding.EncodeToString([]byte(testUser + ":" + testPassword))}
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var errs []string

	// Basic credentials in the URL, server failing with 503 then refusing.
	s := kestratest.Start(t, kestratest.Options{Username: testUser, Password: "other"})
	s.SetFaults(kestratest.Faults{Initial503: 3})
	cfg := fastConfig(strings.Replace(s.URL(), "http://", "http://"+testUser+":"+testPassword+"@", 1))
	cfg.Tenant, cfg.Retries, cfg.Logger = "main", 2, logger
	c := newClient(t, cfg)
	_, err := c.Flow(context.Background(), "company", "etl") // 3 × 503: gives up
	errs = append(errs, err.Error(), fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg))
	_, err = c.Flow(context.Background(), "company", "etl") // 401
	if !errors.Is(err, client.ErrUnauthorized) {
		t.Fatalf("want 401, got %v", err)
	}
	errs = append(errs, err.Error())

	// Bearer token against a closed port: network errors.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	cfg = fastConfig("http://" + addr)
	cfg.Tenant, cfg.Token, cfg.Retries, cfg.Logger = "main", testToken, 1, logger
	c = newClient(t, cfg)
	_, err = c.Namespaces(context.Background())
	if err == nil {
		t.Fatal("want a network error")
	}
	errs = append(errs, err.Error(), cfg.String())

	all := logs.String() + strings.Join(errs, "\n")
	for _, secret := range secrets {
		if strings.Contains(all, secret) {
			t.Errorf("secret %q leaked in:\n%s", secret, all)
		}
	}
	// The log must hold the attempts, or this test would prove nothing.
	for _, want := range []string{`"status":503`, `"status":401`, `"attempt":3`, `"endpoint":"namespaces"`, `"status":0`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("debug log lacks %s:\n%s", want, logs.String())
		}
	}
}

func TestNewRefusesBadConfigWithoutEchoingSecrets(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	for _, tt := range []struct {
		cfg  client.Config
		want string
	}{
		{client.Config{}, "server URL is empty"},
		{client.Config{Server: "http://u:" + testPassword + "@ho st"}, "invalid server URL"},
		{client.Config{Server: "ftp://host"}, "scheme must be http or https"},
		{client.Config{Server: "http://h", Username: "u", Password: "p", Token: "t"}, "not both"},
		{client.Config{Server: "http://h", Password: "p"}, "needs both a username and a password"},
		{client.Config{Server: "http://h", Token: "t", TokenFile: empty}, "set token or token-file"},
		{client.Config{Server: "http://h", TokenFile: empty}, "is empty"},
		{client.Config{Server: "http://h", PasswordFile: filepath.Join(dir, "missing")}, "read password file"},
		{client.Config{Server: "http://h", Tenant: "a/b"}, "invalid tenant"},
		{client.Config{Server: "https://h", CAFile: empty}, "holds no PEM certificate"},
	} {
		_, err := client.New(tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%v) = %v, want %q", tt.cfg, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), testPassword) {
			t.Errorf("error echoes the password: %v", err)
		}
	}
}

func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "password")
	tok := filepath.Join(dir, "token")
	os.WriteFile(pw, []byte(testPassword+"\n"), 0o600)
	os.WriteFile(tok, []byte(testToken+"\r\n"), 0o600)
	_, c := startPair(t, kestratest.Options{Username: testUser, Password: testPassword}, func(cfg *client.Config) {
		cfg.Username, cfg.PasswordFile = testUser, pw
	})
	if _, err := c.Namespaces(context.Background()); err != nil {
		t.Errorf("password file: %v", err)
	}
	_, c = startPair(t, kestratest.Options{Token: testToken}, func(cfg *client.Config) { cfg.TokenFile = tok })
	if _, err := c.Namespaces(context.Background()); err != nil {
		t.Errorf("token file: %v", err)
	}
}

func TestTLS(t *testing.T) {
	s := kestratest.Start(t, kestratest.Options{TLS: true})
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	rec := &recorder{}
	cfg := fastConfig(s.URL())
	cfg.Tenant, cfg.Observer = "main", rec
	_, err := newClient(t, cfg).Namespaces(ctx)
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("unknown CA: %v", err)
	}
	if n := len(rec.all()); n != 1 {
		t.Errorf("a certificate error was tried %d times, want 1 (never retried)", n)
	}

	cfg = fastConfig(s.URL())
	cfg.CAFile = ca
	if _, err := newClient(t, cfg).Namespaces(ctx); err != nil {
		t.Errorf("with CA file: %v", err)
	}
	cfg = fastConfig(s.URL())
	cfg.InsecureSkipTLSVerify = true
	if _, err := newClient(t, cfg).Namespaces(ctx); err != nil {
		t.Errorf("skip verify: %v", err)
	}
}
