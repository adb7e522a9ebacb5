package client_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestRedirectIsReportedNotFollowed(t *testing.T) {
	var leaked atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Store(true)
		}
		w.Write([]byte(`[]`))
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusMovedPermanently)
	}))
	defer srv.Close()
	cfg := fastConfig(srv.URL)
	cfg.Tenant, cfg.Token = "main", testToken
	_, err := newClient(t, cfg).Namespaces(context.Background())
	if err == nil || !strings.Contains(err.Error(), "301 Moved Permanently: redirected to") {
		t.Errorf("err = %v", err)
	}
	if leaked.Load() {
		t.Error("credentials were sent to the redirect target")
	}
}
