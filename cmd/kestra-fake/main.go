// Command kestra-fake serves an in-memory fake of Kestra's flow API, seeded
// from a directory of flow files, so that the migrator and users' own
// pipelines can be tried without a Kestra server. Seed flows are stored as
// they are, like those of a server upgraded from an older release: one that
// would not validate today is logged, not refused; of two files with the same
// flow id, the later (in lexical order) wins, with a warning.
//
//	kestra-fake --flows ./flows --listen 127.0.0.1:8080 [--mode tenant|legacy|enterprise]
//	            [--tenant T] [--version V] [--username U --password P | --token T]
//	            [--latency 10ms] [--rate-503 0.1] [--every-429 25] [--drop-rate 0.05] [--editor-rate 0.2]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/kestra-migrator/kestra-migrator/client/kestrafake"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stderr, nil))
}

// options are the parsed flags.
type options struct {
	flows, listen string
	mode          string
	server        kestrafake.Options
	faults        kestrafake.Faults
	editorRate    float64
	quiet         bool
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("kestra-fake", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.flows, "flows", "", "directory of flow files (*.yml, *.yaml, recursive) to seed")
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&o.mode, "mode", "tenant", "server era: tenant (OSS >= 0.23), legacy (OSS <= 0.22) or enterprise")
	fs.StringVar(&o.server.Tenant, "tenant", "main", "tenant served in enterprise mode")
	fs.StringVar(&o.server.Version, "version", "", `version answered by /api/v1/configs, which validation follows: 2.x refuses what Kestra 2.0 removed, `+
		`1.x the keys only 2.0 has (default "1.3.0", "0.22.0" in legacy mode)`)
	fs.StringVar(&o.server.Username, "username", "", "require basic auth with this user")
	fs.StringVar(&o.server.Password, "password", "", "require basic auth with this password")
	fs.StringVar(&o.server.Token, "token", "", "require bearer auth with this token")
	fs.DurationVar(&o.faults.Latency, "latency", 0, "added to every answer")
	fs.DurationVar(&o.faults.Jitter, "jitter", 0, "random extra latency, up to this")
	fs.Float64Var(&o.faults.Rate503, "rate-503", 0, "fraction of requests answered 503")
	fs.IntVar(&o.faults.Every429, "every-429", 0, "answer every Nth request with 429")
	fs.DurationVar(&o.faults.RetryAfter, "retry-after", time.Second, "Retry-After sent with 429 and 503")
	fs.Float64Var(&o.faults.DropRate, "drop-rate", 0, "fraction of answers cut off by closing the connection (after processing)")
	fs.Float64Var(&o.faults.TruncateRate, "truncate-rate", 0, "fraction of answers sent with half a body")
	fs.Int64Var(&o.faults.Seed, "seed", 0, "seed of the random faults and edits")
	fs.Float64Var(&o.editorRate, "editor-rate", 0, "fraction of flow reads followed by a simulated human edit")
	fs.BoolVar(&o.quiet, "quiet", false, "do not log requests")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	mode, err := kestrafake.ParseMode(o.mode)
	if err != nil {
		return o, err
	}
	o.server.Mode = mode
	if (o.server.Username == "") != (o.server.Password == "") {
		return o, errors.New("--username and --password go together")
	}
	for name, r := range map[string]float64{"rate-503": o.faults.Rate503, "drop-rate": o.faults.DropRate,
		"truncate-rate": o.faults.TruncateRate, "editor-rate": o.editorRate} {
		if r < 0 || r > 1 {
			return o, fmt.Errorf("--%s must be between 0 and 1", name)
		}
	}
	return o, nil
}

// run parses args and serves until ctx ends; ready, when set, receives the
// listening address. It returns the exit code.
func run(ctx context.Context, args []string, stderr io.Writer, ready func(addr string)) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "kestra-fake:", err)
		return 2
	}
	if err := serve(ctx, o, stderr, ready); err != nil {
		fmt.Fprintln(stderr, "kestra-fake:", err)
		return 1
	}
	return 0
}

func serve(ctx context.Context, o options, stderr io.Writer, ready func(string)) error {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if !o.quiet {
		o.server.Logger = log
	}
	fake := kestrafake.NewHandler(o.server)
	defer fake.Close() // releases hanging requests
	if o.flows != "" {
		seeded, err := fake.SeedDir(o.flows)
		if err != nil {
			return err
		}
		logSeeded(log, o.flows, seeded)
	}
	fake.SetFaults(o.faults)
	fake.SetEditor(kestrafake.Editor{Rate: o.editorRate, Seed: o.faults.Seed})

	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	if !isLoopback(ln.Addr()) {
		log.Warn("listening beyond loopback: anyone who can reach this address can change its flows", "addr", addr)
	}
	log.Info("kestra-fake ready", "url", "http://"+addr, "mode", o.server.Mode.String(),
		"flows", len(fake.Flows()), "auth", o.server.Username != "" || o.server.Token != "")
	if ready != nil {
		ready(addr)
	}
	srv := &http.Server{Handler: fake, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("kestra-fake stopping")
	fake.Close()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return srv.Close()
	}
	return nil
}

// logSeeded warns of each seed flow that replaced another or would not
// validate today: stored all the same, as an upgraded server holds them.
func logSeeded(log *slog.Logger, dir string, seeded []kestrafake.SeedFlow) {
	invalid := 0
	for _, f := range seeded {
		flow, file := f.Namespace+"/"+f.ID, filepath.Join(dir, f.Origin)
		if f.Replaced != "" {
			log.Warn("seed flow replaces an earlier one with the same id", "flow", flow, "file", file, "replaced", f.Replaced)
		}
		if f.Invalid != "" {
			invalid++
			log.Warn("seed flow would not validate today; stored as it is", "flow", flow, "file", file, "constraints", f.Invalid)
		}
	}
	log.Info("seeded", "dir", dir, "documents", len(seeded), "invalid", invalid)
}

func isLoopback(a net.Addr) bool {
	tcp, ok := a.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}
