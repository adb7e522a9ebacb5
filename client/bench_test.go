package client_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
)

// BenchmarkPagingAndExport10k lists 10,000 flows page by page, then exports
// their sources namespace by namespace, as a migrator's scan does.
func BenchmarkPagingAndExport10k(b *testing.B) {
	const flows, namespaces = 10_000, 20
	s, c := startPair(b, kestratest.Options{}, func(cfg *client.Config) { cfg.Tenant = "main" })
	for i := range flows {
		ns := fmt.Sprintf("company.team%02d", i%namespaces)
		if _, err := s.AddFlow(legacySrc(ns, fmt.Sprintf("flow%05d", i))); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	s.ResetCounters()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		listed := 0
		for _, err := range c.SearchFlows(ctx, client.SearchQuery{Namespace: "company"}) {
			if err != nil {
				b.Fatal(err)
			}
			listed++
		}
		ns, err := c.Namespaces(ctx)
		if err != nil {
			b.Fatal(err)
		}
		exported := 0
		for _, n := range ns {
			err := c.ExportNamespace(ctx, n, func(e client.ExportedFlow) error {
				if e.Err != nil {
					return e.Err
				}
				exported++
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		if listed != flows || exported != flows {
			b.Fatalf("listed %d, exported %d, want %d", listed, exported, flows)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(s.TotalRequests())/float64(b.N), "requests/op")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/flows, "ns/flow")
}
