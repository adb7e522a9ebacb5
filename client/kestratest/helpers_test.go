package kestratest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

func flowSrc(ns, id string) string {
	return fmt.Sprintf("id: %s\nnamespace: %s\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n", id, ns)
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("decode %q: %v", a.body, err)
	}
}

type caller struct {
	t      *testing.T
	base   string
	header http.Header
}

func newCaller(t *testing.T, s *Server) *caller {
	return &caller{t: t, base: s.URL(), header: http.Header{}}
}

func (c *caller) do(method, path, ctype, body string) answer {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read: %v", method, path, err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

func (c *caller) get(path string) answer { return c.do(http.MethodGet, path, "", "") }

func (c *caller) yaml(method, path, body string) answer {
	return c.do(method, path, "application/x-yaml", body)
}
