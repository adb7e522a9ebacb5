package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/kestra-migrator/kestra-migrator/client/kestrafake"
	"github.com/kestra-migrator/kestra-migrator/configs"
	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/migrator/report"
)

// demoOptions are demo's flags.
type demoOptions struct {
	print *printFlags
}

func (o *demoOptions) AddFlags(cmd *cobra.Command) { o.print.AddFlags(cmd) }

// Validate checks the flags before anything starts.
func (o *demoOptions) Validate() error { return o.print.Validate() }

func newDemoCommand(a *app) *cobra.Command {
	o := &demoOptions{print: newPrintFlags(report.KindDemo, "table").noItems()}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "The whole job with no setup: a fake Kestra on loopback, then plan, apply, status, rollback",
		Long: "demo starts an in-process fake Kestra server on 127.0.0.1 (basic auth on), seeds it with\n" +
			"the example flows of configs/examples/flows, and runs plan, apply, status and rollback\n" +
			"against it through the real HTTP client. The narration goes to stderr; stdout (or --output)\n" +
			"holds the four reports (-o json: one document with the four). The state file lives in a\n" +
			"temporary directory, removed at the end. Nothing leaves this machine.",
		Example: "  kestra-migrator demo\n" +
			"  kestra-migrator demo -o json --output demo.json\n" +
			"  kestra-migrator demo -o markdown > demo.md",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return runDemo(cmd.Context(), a, o)
		},
	}
	o.AddFlags(cmd)
	return cmd
}

func runDemo(ctx context.Context, a *app, o *demoOptions) error {
	password := randomHex(12)
	srv := kestrafake.New(kestrafake.Options{Version: "1.3.0", Username: "demo@kestra.io", Password: password})
	defer srv.Close()
	seeded, err := srv.SeedFS(configs.Examples, "examples/flows")
	if err != nil {
		return err
	}
	for _, f := range seeded { // our own examples: each must be a clean flow
		if p := f.Problems(); len(p) > 0 {
			return fmt.Errorf("demo flows: %s", p[0])
		}
	}
	dir, err := os.MkdirTemp("", "kestra-migrator-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	a.cfg.Server, a.cfg.Tenant, a.cfg.Username, a.cfg.Password = srv.URL(), "", "demo@kestra.io", password
	a.cfg.PasswordFile, a.cfg.Token, a.cfg.TokenFile, a.cfg.CAFile = "", "", "", ""
	a.cfg.DB = filepath.Join(dir, "state.db")
	say := func(format string, args ...any) { fmt.Fprintf(a.stderr, format, args...) }
	say("A fake Kestra 1.3 serves %d example flows at %s (basic auth).\n", len(srv.Flows()), srv.URL())

	cli, err := a.newClient()
	if err != nil {
		return err
	}
	all := migrator.Selection{All: true}
	demo := &report.Demo{SchemaVersion: report.ReportSchemaVersion, Command: "demo"}

	say("\n== kestra-migrator plan --all   (dry run: nothing is written)\n")
	plan, err := a.engine(cli, nil, engineOptions{validate: true, diff: true}).Run(ctx, migrator.RunOptions{Mode: migrator.ModePlan, Selection: all})
	if err != nil {
		return err
	}
	say("   %s\n", countsLine(plan.Summary.Counts))
	st, closeStore, err := a.openStore()
	if err != nil {
		return err
	}
	defer closeStore()

	say("== kestra-migrator apply --all   (snapshot, re-read, write, record)\n")
	applied, err := a.engine(cli, st, engineOptions{validate: true, diff: true}).Run(ctx, migrator.RunOptions{Mode: migrator.ModeApply, Selection: all})
	if err != nil {
		return err
	}
	say("   run %s: %s\n", applied.RunID, countsLine(applied.Summary.Counts))

	say("== kestra-migrator status   (the state file's view)\n")
	progress, err := st.AllProgress()
	if err != nil {
		return err
	}
	runs, err := st.Runs(5)
	if err != nil {
		return err
	}
	status := report.StatusReport(progress, runs, a.now())

	say("== kestra-migrator rollback --run %s   (restore every original, byte for byte)\n", applied.RunID)
	rb, err := a.engine(cli, st, engineOptions{diff: true}).Rollback(ctx, migrator.RollbackOptions{RunID: applied.RunID})
	if err != nil {
		return err
	}
	a.bar.finish()
	restored := rb.Summary.Restored
	say("   run %s: %s\n", rb.RunID, countsLine(rb.Summary.Counts))
	demo.Reports = []*report.Report{plan, applied, status, rb}
	if err := o.print.Print(a, demo); err != nil {
		return err
	}
	say("\nDone: %s migrated, then %d restored. The server made %d requests in all.\n",
		flowCount(applied.Summary.Migrated), restored, srv.TotalRequests())
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
