package client_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
)

// zipServer answers every export with the given entries, in order.
func zipServer(t *testing.T, entries [][2]string) *httptest.Server {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.Create(e[0])
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(e[1]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/export/by-query") || r.URL.Query().Get("namespace") != "company" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(buf.Bytes())
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestExportMapsEntriesAndFlagsBadOnes(t *testing.T) {
	big := flowSrc("company", "big") + "# " + strings.Repeat("x", 600) + "\n"
	srv := zipServer(t, [][2]string{
		{"company-dash.yml", flowSrc("company", "dash")},
		{"company.team.dot.yml", flowSrc("company.team", "dot")},
		{"company-ext.yaml", flowSrc("company", "ext")},
		{"company-renamed.yml", flowSrc("company", "other")},
		{"../company-evil.yml", flowSrc("company", "evil")},
		{"sub/company-nested.yml", flowSrc("company", "nested")},
		{`..\company-win.yml`, flowSrc("company", "win")},
		{"company-big.yml", big},
		{"company-broken.yml", "id: [unclosed\n"},
		{"company-noid.yml", "namespace: company\ntasks: []\n"},
	})
	tmp := t.TempDir()
	cfg := fastConfig(srv.URL)
	cfg.Tenant, cfg.ExportEntryLimit, cfg.TempDir = "main", 512, tmp
	c := newClient(t, cfg)
	got := map[string]client.ExportedFlow{}
	err := c.ExportNamespace(context.Background(), "company", func(e client.ExportedFlow) error {
		got[e.Entry] = e
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for entry, ref := range map[string]string{
		"company-dash.yml": "company/dash", "company.team.dot.yml": "company.team/dot", "company-ext.yaml": "company/ext",
	} {
		e := got[entry]
		if e.Err != nil || e.Namespace+"/"+e.ID != ref || string(e.Source) != flowSrc(e.Namespace, e.ID) {
			t.Errorf("%s = %+v", entry, e)
		}
	}
	for entry, why := range map[string]string{
		"company-renamed.yml":    "does not match",
		"../company-evil.yml":    "unsafe entry name",
		"sub/company-nested.yml": "unsafe entry name",
		`..\company-win.yml`:     "unsafe entry name",
		"company-big.yml":        "exceeds the entry limit",
		"company-broken.yml":     "cannot map to a flow",
		"company-noid.yml":       "cannot map to a flow",
	} {
		e := got[entry]
		if e.Err == nil || !strings.Contains(e.Err.Error(), why) || e.Source != nil {
			t.Errorf("%s: Err = %v, Source %d bytes; want %q", entry, e.Err, len(e.Source), why)
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("spool file left behind: %v", left)
	}
}

func TestExportStopsWhenTheCallbackFails(t *testing.T) {
	srv := zipServer(t, [][2]string{
		{"company-a.yml", flowSrc("company", "a")},
		{"company-b.yml", flowSrc("company", "b")},
	})
	cfg := fastConfig(srv.URL)
	cfg.Tenant = "main"
	stop := errors.New("stop here")
	calls := 0
	err := newClient(t, cfg).ExportNamespace(context.Background(), "company", func(client.ExportedFlow) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("err = %v after %d calls", err, calls)
	}
}

func TestExportKeepsSourcesByteForByte(t *testing.T) {
	s, c := startPair(t, kestratest.Options{Mode: kestratest.ModeLegacy}, nil)
	srcs := map[string]string{
		"company/crlf":    strings.ReplaceAll(flowSrc("company", "crlf"), "\n", "\r\n"),
		"company/noeol":   strings.TrimSuffix(flowSrc("company", "noeol"), "\n"),
		"company.a/child": "# leading comment\n" + flowSrc("company.a", "child") + "\n\n",
		"companyx/sib":    flowSrc("companyx", "sib"), // not a child of company
	}
	for _, src := range srcs {
		kestratest.MustAdd(t, s, src)
	}
	got := map[string]string{}
	err := c.ExportNamespace(context.Background(), "company", func(e client.ExportedFlow) error {
		if e.Err != nil {
			return e.Err
		}
		got[e.Namespace+"/"+e.ID] = string(e.Source)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	delete(srcs, "companyx/sib")
	if len(got) != len(srcs) {
		t.Errorf("got %d flows, want %d", len(got), len(srcs))
	}
	for ref, src := range srcs {
		if got[ref] != src {
			t.Errorf("%s = %q, want %q", ref, got[ref], src)
		}
	}
}
