package client_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
)

func TestTenantAutoDetectsOnceAndSticks(t *testing.T) {
	s, c := startPair(t, kestratest.Options{Mode: kestratest.ModeLegacy}, nil)
	kestratest.MustAdd(t, s, flowSrc("company", "a"))
	ctx := context.Background()
	for range 3 {
		if _, err := c.Namespaces(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// One probe of /api/v1/main/flows (404, counted as unknown), one of
	// /api/v1/flows, then only the real calls.
	if got := s.Requests(); got[kestratest.EndpointUnknown] != 1 || got[kestratest.EndpointSearch] != 1 || got[kestratest.EndpointNamespaces] != 3 {
		t.Errorf("requests = %v", got)
	}
}

func TestTenantAutoFailsClearlyOnEnterprise(t *testing.T) {
	_, c := startPair(t, kestratest.Options{Mode: kestratest.ModeEnterprise, Tenant: "acme"}, nil)
	_, err := c.Namespaces(context.Background())
	if err == nil || !strings.Contains(err.Error(), "set the tenant explicitly") {
		t.Fatalf("err = %v", err)
	}
}

func TestTenantDetectionErrorIsNotKept(t *testing.T) {
	s, c := startPair(t, kestratest.Options{Token: "tok"}, func(cfg *client.Config) { cfg.Token = "wrong" })
	if _, err := c.ResolveTenant(context.Background()); !errors.Is(err, client.ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	if _, err := c.ResolveTenant(context.Background()); err == nil {
		t.Fatal("a failed detection must not be kept as a result")
	}
	if n := s.RequestCount(kestratest.EndpointSearch); n != 2 {
		t.Errorf("probes = %d, want 2 (one per call)", n)
	}
}

func TestServerVersion(t *testing.T) {
	s, c := startPair(t, kestratest.Options{Version: "0.19.4"}, nil)
	for range 2 {
		if v, err := c.ServerVersion(context.Background()); v != "0.19.4" || err != nil {
			t.Fatalf("ServerVersion = %q, %v", v, err)
		}
	}
	if n := s.RequestCount(kestratest.EndpointConfigs); n != 1 {
		t.Errorf("configs read %d times, want 1 (kept)", n)
	}
	_, c = startPair(t, kestratest.Options{NoConfigs: true}, nil)
	if v, err := c.ServerVersion(context.Background()); v != "" || err != nil {
		t.Errorf("without /api/v1/configs: %q, %v; want \"\", nil", v, err)
	}
}

// TestServerInstance reads Kestra's instance id from the same /configs
// answer as the version: one request for both; "" when there is none.
func TestServerInstance(t *testing.T) {
	s, c := startPair(t, kestratest.Options{Instance: "5bd6bd4c-97a4-4bcd-8b38-0d1e2a3f4c5d"}, nil)
	ctx := context.Background()
	if id, err := c.ServerInstance(ctx); id != "5bd6bd4c-97a4-4bcd-8b38-0d1e2a3f4c5d" || err != nil {
		t.Fatalf("ServerInstance = %q, %v", id, err)
	}
	if v, err := c.ServerVersion(ctx); v != "1.3.0" || err != nil {
		t.Fatalf("ServerVersion = %q, %v", v, err)
	}
	if n := s.RequestCount(kestratest.EndpointConfigs); n != 1 {
		t.Errorf("%d /configs requests for the version and the instance, want 1", n)
	}
	_, c = startPair(t, kestratest.Options{NoConfigs: true}, nil)
	if id, err := c.ServerInstance(ctx); id != "" || err != nil {
		t.Errorf("ServerInstance without /configs = %q, %v; want \"\", nil", id, err)
	}
	a, b := kestratest.Start(t, kestratest.Options{}), kestratest.Start(t, kestratest.Options{})
	ida, _ := newClient(t, fastConfig(a.URL())).ServerInstance(ctx)
	idb, _ := newClient(t, fastConfig(b.URL())).ServerInstance(ctx)
	if ida == "" || ida == idb {
		t.Errorf("two fakes answer instance ids %q and %q: want distinct ones", ida, idb)
	}
}
