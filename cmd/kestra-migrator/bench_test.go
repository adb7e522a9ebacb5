package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kestra-migrator/kestra-migrator/client/kestrafake"
	"github.com/kestra-migrator/kestra-migrator/migrator/fleettest"
)

// BenchmarkPeakRSS runs the real binary's apply over fleets of 10,000 and
// 100,000 flows (30% pending, 40 namespaces) on a fake server in this
// process, and reports the binary's peak resident memory: it must stay flat
// in the number of flows. KESTRA_MIGRATOR_RSS_SIZES overrides the sizes.
func BenchmarkPeakRSS(b *testing.B) {
	timeBin, err := exec.LookPath("/usr/bin/time")
	if err != nil {
		b.Skip("needs GNU time (apt-get install time) to measure the binary's peak RSS")
	}
	bin := filepath.Join(b.TempDir(), "kestra-migrator")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	sizes := []int{10000, 100000}
	if s := os.Getenv("KESTRA_MIGRATOR_RSS_SIZES"); s != "" {
		sizes = nil
		for _, f := range strings.Split(s, ",") {
			var n int
			fmt.Sscan(f, &n)
			sizes = append(sizes, n)
		}
	}
	for _, n := range sizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				srv := kestrafake.New(kestrafake.Options{})
				if err := fleettest.Seed(srv, fleettest.Generate(n, 40, 0.3, false)); err != nil {
					b.Fatal(err)
				}
				db := filepath.Join(b.TempDir(), "state.db")
				rss := filepath.Join(b.TempDir(), "rss")
				// GNU time measures its own child: the rusage of a child of this
				// (large) process would count this process's memory, inherited
				// through vfork until the exec.
				cmd := exec.Command(timeBin, "-f", "%M", "-o", rss, bin, "apply", "--all", "--server", srv.URL(), "--db", db,
					"--concurrency", "8", "-o", "json", "--log-level", "warn")
				cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
				b.StartTimer()
				if err := cmd.Run(); err != nil {
					b.Fatalf("apply: %v", err)
				}
				b.StopTimer()
				srv.Close()
				out, err := os.ReadFile(rss)
				if err != nil {
					b.Fatal(err)
				}
				var kib float64
				fmt.Sscan(string(out), &kib)
				b.ReportMetric(kib/1024, "peak-rss-MiB")
			}
		})
	}
}
