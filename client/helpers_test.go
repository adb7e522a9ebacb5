package client_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
)

// flowSrc is a minimal valid flow.
func flowSrc(ns, id string) string {
	return fmt.Sprintf("id: %s\nnamespace: %s\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n", id, ns)
}

// legacySrc is a flow with a deprecated runner/docker pair.
func legacySrc(ns, id string) string {
	return fmt.Sprintf("id: %s\nnamespace: %s\ntasks:\n  - id: py\n    type: io.kestra.plugin.scripts.python.Script\n    runner: DOCKER\n    docker:\n      image: python:3.12\n    script: print(1)\n", id, ns)
}

// fastConfig retries quickly so fault tests stay fast.
func fastConfig(server string) client.Config {
	return client.Config{
		Server:       server,
		Timeout:      time.Hour, // none a loaded machine reaches; the timeout tests set theirs
		Retries:      5,
		RetryWaitMin: time.Millisecond,
		RetryWaitMax: 5 * time.Millisecond,
	}
}

func newClient(t testing.TB, cfg client.Config) *client.Client {
	t.Helper()
	c, err := client.New(cfg)
	if err != nil {
		t.Fatalf("client.New: %v", err)
	}
	return c
}

// startPair starts a fake and a client pointed at it, with edit applied to
// the client's configuration.
func startPair(t testing.TB, opts kestratest.Options, edit func(*client.Config)) (*kestratest.Server, *client.Client) {
	t.Helper()
	s := kestratest.Start(t, opts)
	cfg := fastConfig(s.URL())
	if edit != nil {
		edit(&cfg)
	}
	return s, newClient(t, cfg)
}

// observation is one ObserveRequest call.
type observation struct {
	Endpoint, Method string
	Code, Attempt    int
}

type recorder struct {
	mu  sync.Mutex
	obs []observation
}

func (r *recorder) ObserveRequest(endpoint, method string, code, attempt int, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.obs = append(r.obs, observation{endpoint, method, code, attempt})
}

func (r *recorder) all() []observation {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]observation(nil), r.obs...)
}
