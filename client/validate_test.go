package client_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
)

// scalarWithMarker has a "---" line meant as part of a block scalar; Kestra's
// split regex cuts the document there.
const scalarWithMarker = `id: script
namespace: company
tasks:
  - id: sh
    type: io.kestra.plugin.scripts.shell.Script
    script: |
      echo start
---
      echo end
`

func TestValidateMapsAnswersBackByIndex(t *testing.T) {
	s, c := startPair(t, kestratest.Options{}, func(cfg *client.Config) { cfg.ValidateBatchSize = 2 })
	sources := [][]byte{
		[]byte(flowSrc("company", "first")),
		[]byte("---\n" + legacySrc("company", "marked")),                          // leading marker: stripped, batched
		[]byte(scalarWithMarker),                                                  // sent alone
		[]byte("# header comment\n--- # doc\n" + flowSrc("company", "commented")), // stripped with its comment
		[]byte("id: broken\nnamespace: company\n"),                                // invalid: no tasks
		[]byte(legacySrc("company", "last")),
	}
	vs, err := c.Validate(context.Background(), sources)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		flow       string
		valid      bool
		deprecated int
		partial    bool
	}{
		{"first", true, 0, false},
		{"marked", true, 2, false},
		{"script", true, 0, true},
		{"commented", true, 0, false},
		{"broken", false, 0, false},
		{"last", true, 2, false},
	}
	for i, w := range want {
		v := vs[i]
		if v.Index != i || v.Flow != w.flow || v.Valid() != w.valid || len(v.DeprecationPaths) != w.deprecated || v.Partial != w.partial {
			t.Errorf("result %d = %+v, want %+v", i, v, w)
		}
	}
	if !strings.Contains(strings.Join(vs[2].Warnings, " "), "split this source into 2 documents") {
		t.Errorf("partial validation must be explained: %v", vs[2].Warnings)
	}
	// 5 batchable sources in batches of 2, plus the one sent alone.
	if n := s.RequestCount(kestratest.EndpointValidate); n != 4 {
		t.Errorf("validate requests = %d, want 4", n)
	}
}

func TestValidateRefusesAMismatchedAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`[{"index":0,"flow":"a","namespace":"n","outdated":false}]`))
	}))
	defer srv.Close()
	c := newClient(t, client.Config{Server: srv.URL, Tenant: "main"})
	_, err := c.Validate(context.Background(), [][]byte{[]byte(flowSrc("n", "a")), []byte(flowSrc("n", "b"))})
	if err == nil || !strings.Contains(err.Error(), "answered 1 results for 2 documents") {
		t.Errorf("err = %v", err)
	}
}

func TestValidateEmptyInput(t *testing.T) {
	s, c := startPair(t, kestratest.Options{}, nil)
	vs, err := c.Validate(context.Background(), nil)
	if err != nil || len(vs) != 0 || s.RequestCount(kestratest.EndpointValidate) != 0 {
		t.Errorf("Validate(nil) = %v, %v with %d requests", vs, err, s.RequestCount(kestratest.EndpointValidate))
	}
}

func TestValidateBlankSourceIsAnsweredAlone(t *testing.T) {
	_, c := startPair(t, kestratest.Options{}, nil)
	vs, err := c.Validate(context.Background(), [][]byte{[]byte(flowSrc("n", "a")), []byte("\n  \n"), []byte(flowSrc("n", "b"))})
	if err != nil || vs[0].Flow != "a" || vs[1].Valid() || vs[2].Flow != "b" {
		t.Errorf("Validate = %+v, %v", vs, err)
	}
}
