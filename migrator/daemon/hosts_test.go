package daemon

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
)

func TestHostAllowed(t *testing.T) {
	tests := []struct {
		host, listen string
		allowed      []string
		want         bool
	}{
		{"127.0.0.1:9464", "127.0.0.1", nil, true},
		{"localhost:9464", "127.0.0.1", nil, true},
		{"LOCALHOST", "127.0.0.1", nil, true},
		{"[::1]:9464", "127.0.0.1", nil, true},
		{"evil.example.com:9464", "127.0.0.1", nil, false}, // rebound to 127.0.0.1
		{"evil.example.com", "0.0.0.0", nil, false},
		{"10.1.2.3:9464", "0.0.0.0", nil, true}, // a pod scraped by its IP
		{"[fd00::3]:9464", "", nil, true},
		{"10.1.2.3:9464", "127.0.0.1", nil, false},
		{"10.0.0.5:9464", "10.0.0.5", nil, true},
		{"migrator.example.com:9464", "migrator.example.com", nil, true},
		{"kestra-migrator.monitoring.svc:9464", "0.0.0.0", []string{"kestra-migrator.monitoring.svc"}, true},
		{"kestra-migrator.monitoring.svc", "0.0.0.0", []string{"Kestra-Migrator.monitoring.svc:9464"}, true},
		{"evil.example.com", "0.0.0.0", []string{"*"}, true},
		{"", "127.0.0.1", nil, false},
	}
	for _, tt := range tests {
		if got := hostAllowed(tt.host, tt.listen, tt.allowed); got != tt.want {
			t.Errorf("hostAllowed(%q, listen %q, %v) = %v, want %v", tt.host, tt.listen, tt.allowed, got, tt.want)
		}
	}
}

// TestListenerRefusesForeignHosts: the daemon's own listener refuses a
// request that names another host (a page that rebound its DNS name to
// 127.0.0.1), and serves its own address, localhost and allowed names.
func TestListenerRefusesForeignHosts(t *testing.T) {
	cfg := testConfig(t)
	cfg.Listen, cfg.AllowedHosts = "127.0.0.1:0", []string{"migrator.internal"}
	f := &fakePass{block: true}
	addr := make(chan net.Addr, 1)
	d := newTestDaemon(f, Options{Load: loader(cfg), Listening: func(a net.Addr) { addr <- a }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	defer func() { cancel(); <-done }()
	a := (<-addr).String()
	for host, want := range map[string]int{
		"evil.example.com": http.StatusForbidden, "evil.example.com:" + port(a): http.StatusForbidden,
		a: http.StatusOK, "localhost:" + port(a): http.StatusOK, "migrator.internal:" + port(a): http.StatusOK,
	} {
		req, err := http.NewRequest(http.MethodGet, "http://"+a+"/healthz", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %s: %d, want %d", host, resp.StatusCode, want)
		}
	}
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}
