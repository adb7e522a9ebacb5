package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
	"github.com/kestra-migrator/kestra-migrator/configs"
	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/migrator/report"
)

func newDemoCommand(a *app) *cobra.Command {
	var o outputOptions
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "The whole job with no setup: a fake Kestra on loopback, then plan, apply, status, rollback",
		Long: "demo starts an in-process fake Kestra server on 127.0.0.1 (basic auth on), seeds it with\n" +
			"the example flows of configs/examples/flows, and runs plan, apply, status and rollback\n" +
			"against it through the real HTTP client, printing each report. The state file lives in a\n" +
			"temporary directory, removed at the end. Nothing leaves this machine.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			return runDemo(cmd, a, o)
		},
	}
	o.addFlags(cmd.Flags(), "table")
	return cmd
}

func runDemo(cmd *cobra.Command, a *app, o outputOptions) error {
	ctx := cmd.Context()
	password := randomHex(12)
	srv := kestratest.New(kestratest.Options{Version: "1.3.0", Username: "demo@kestra.io", Password: password})
	defer srv.Close()
	if err := srv.SeedFS(configs.Examples, "examples/flows"); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "kestra-migrator-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	a.cfg.Server, a.cfg.Tenant, a.cfg.Username, a.cfg.Password = srv.URL(), "", "demo@kestra.io", password
	a.cfg.PasswordFile, a.cfg.Token, a.cfg.TokenFile, a.cfg.CAFile = "", "", "", ""
	a.cfg.DB = filepath.Join(dir, "state.db")
	fmt.Fprintf(a.stdout, "A fake Kestra 1.3 serves %d example flows at %s (basic auth).\n\n", len(srv.Flows()), srv.URL())

	cli, err := a.newClient()
	if err != nil {
		return err
	}
	all := migrator.Selection{All: true}
	step := func(title string) { fmt.Fprintf(a.stdout, "\n== %s\n\n", title) }

	step("kestra-migrator plan --all   (dry run: nothing is written)")
	o.Diff = true
	rep, err := a.engine(cli, nil, engineOptions{validate: true, diff: true}).Run(ctx, migrator.RunOptions{Mode: migrator.ModePlan, Selection: all})
	if err != nil {
		return err
	}
	if err := a.printReport(rep, o); err != nil {
		return err
	}
	st, closeStore, err := a.openStore()
	if err != nil {
		return err
	}
	defer closeStore()

	step("kestra-migrator apply --all   (snapshot, re-read, write, record)")
	applied, err := a.engine(cli, st, engineOptions{validate: true}).Run(ctx, migrator.RunOptions{Mode: migrator.ModeApply, Selection: all})
	if err != nil {
		return err
	}
	if err := a.printReport(applied, o); err != nil {
		return err
	}

	step("kestra-migrator status")
	progress, err := st.AllProgress()
	if err != nil {
		return err
	}
	runs, err := st.Runs(5)
	if err != nil {
		return err
	}
	if err := a.printReport(report.StatusReport(progress, runs, a.now()), o); err != nil {
		return err
	}

	step("kestra-migrator rollback --run " + applied.RunID + "   (restore every original, byte for byte)")
	rb, err := a.engine(cli, st, engineOptions{}).Rollback(ctx, migrator.RollbackOptions{RunID: applied.RunID})
	if err != nil {
		return err
	}
	if err := a.printReport(rb, o); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "\nDone: %d flows migrated, then %d restored. The server made %d requests in all.\n",
		applied.Summary.Migrated, rb.Summary.Restored, srv.TotalRequests())
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
