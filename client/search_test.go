package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
)

func TestSearchPagesOverManyFlows(t *testing.T) {
	for _, mode := range []kestratest.Mode{kestratest.ModeTenant, kestratest.ModeLegacy, kestratest.ModeEnterprise} {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			s, c := startPair(t, kestratest.Options{Mode: mode, Tenant: "acme"}, func(cfg *client.Config) {
				if mode == kestratest.ModeEnterprise {
					cfg.Tenant = "acme"
				}
			})
			var want []string
			for i := range 1234 {
				ns := fmt.Sprintf("ns%02d", i%7)
				if i%3 == 0 {
					ns += ".child"
				}
				id := fmt.Sprintf("flow%04d", i)
				kestratest.MustAdd(t, s, flowSrc(ns, id))
				want = append(want, ns+"/"+id)
			}
			slices.SortFunc(want, compareRef) // namespace, then id
			ctx := context.Background()
			if _, err := c.ResolveTenant(ctx); err != nil {
				t.Fatal(err)
			}
			s.ResetCounters()
			var got []string
			for f, err := range c.SearchFlows(ctx, client.SearchQuery{PageSize: 100}) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, f.Ref())
			}
			if !slices.Equal(got, want) {
				t.Fatalf("got %d flows, want %d in namespace/id order", len(got), len(want))
			}
			if n := s.RequestCount(kestratest.EndpointSearch); n != 13 {
				t.Errorf("search requests = %d, want 13", n)
			}
		})
	}
}

func compareRef(a, b string) int {
	an, ai, _ := strings.Cut(a, "/")
	bn, bi, _ := strings.Cut(b, "/")
	if c := strings.Compare(an, bn); c != 0 {
		return c
	}
	return strings.Compare(ai, bi)
}

func TestSearchStopsWhenTheConsumerStops(t *testing.T) {
	s, c := startPair(t, kestratest.Options{}, func(cfg *client.Config) { cfg.Tenant = "main" })
	for i := range 30 {
		kestratest.MustAdd(t, s, flowSrc("company", fmt.Sprintf("f%02d", i)))
	}
	n := 0
	for _, err := range c.SearchFlows(context.Background(), client.SearchQuery{Namespace: "company", PageSize: 10}) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 5 {
			break
		}
	}
	if got := s.RequestCount(kestratest.EndpointSearch); got != 1 {
		t.Errorf("search requests = %d, want 1", got)
	}
}

func TestSearchYieldsTheErrorOnceAndStops(t *testing.T) {
	_, c := startPair(t, kestratest.Options{Token: "tok"}, func(cfg *client.Config) { cfg.Tenant = "main" })
	var errs []error
	for _, err := range c.SearchFlows(context.Background(), client.SearchQuery{}) {
		errs = append(errs, err)
	}
	if len(errs) != 1 || !errors.Is(errs[0], client.ErrUnauthorized) || !strings.Contains(errs[0].Error(), "search") {
		t.Errorf("errors = %v", errs)
	}
}

func TestSearchFiltersByQuery(t *testing.T) {
	s, c := startPair(t, kestratest.Options{}, nil)
	kestratest.MustAdd(t, s, flowSrc("company", "daily-etl"), flowSrc("company", "report"))
	var got []string
	for f, err := range c.SearchFlows(context.Background(), client.SearchQuery{Query: "etl"}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, f.ID)
	}
	if !slices.Equal(got, []string{"daily-etl"}) {
		t.Errorf("got %v", got)
	}
}

func TestSearchFallsBackWhenSortIsRefused(t *testing.T) {
	var sorted, unsorted atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("sort") {
			sorted.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"message":"Invalid sort parameter"}`))
			return
		}
		unsorted.Add(1)
		w.Write([]byte(`{"results":[{"id":"a","namespace":"n","revision":1}],"total":2}`))
	}))
	defer srv.Close()
	c := newClient(t, client.Config{Server: srv.URL, Tenant: "main"})
	n := 0
	for _, err := range c.SearchFlows(context.Background(), client.SearchQuery{PageSize: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	// Page 2 repeats flow a: nothing new, so the iterator stops there.
	if n != 1 || sorted.Load() != 1 || unsorted.Load() != 2 {
		t.Errorf("flows %d, sorted requests %d, unsorted %d; want 1, 1, 2", n, sorted.Load(), unsorted.Load())
	}
}
