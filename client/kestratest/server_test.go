package kestratest

import (
	"archive/zip"
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestModesServeTheirPathsOnly(t *testing.T) {
	tests := []struct {
		mode     Mode
		tenant   string
		ok, miss []string
		tenantID string
	}{
		{ModeTenant, "", []string{"/api/v1/main/flows/company/hello", "/api/v1/flows/company/hello"}, []string{"/api/v1/acme/flows/company/hello"}, "main"},
		{ModeLegacy, "", []string{"/api/v1/flows/company/hello"}, []string{"/api/v1/main/flows/company/hello"}, ""},
		{ModeEnterprise, "acme", []string{"/api/v1/acme/flows/company/hello"}, []string{"/api/v1/flows/company/hello", "/api/v1/main/flows/company/hello"}, "acme"},
	}
	for _, tt := range tests {
		t.Run(tt.mode.String(), func(t *testing.T) {
			s := Start(t, Options{Mode: tt.mode, Tenant: tt.tenant})
			MustAdd(t, s, flowSrc("company", "hello"))
			c := newCaller(t, s)
			for _, p := range tt.ok {
				a := c.get(p)
				if a.status != http.StatusOK {
					t.Fatalf("GET %s = %d, want 200", p, a.status)
				}
				var f map[string]any
				a.json(t, &f)
				if got, _ := f["tenantId"].(string); got != tt.tenantID {
					t.Errorf("tenantId = %q, want %q", got, tt.tenantID)
				}
			}
			for _, p := range tt.miss {
				if a := c.get(p); a.status != http.StatusNotFound {
					t.Errorf("GET %s = %d, want 404", p, a.status)
				}
			}
		})
	}
}

func TestAuthRefusalHasEmptyBodyAndChallenge(t *testing.T) {
	s := Start(t, Options{Username: "admin@kestra.io", Password: "pw", Token: "tok"})
	c := newCaller(t, s)
	a := c.get("/api/v1/main/flows/search")
	if a.status != http.StatusUnauthorized || len(a.body) != 0 || !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Basic") {
		t.Fatalf("no credentials: status %d body %q challenge %q", a.status, a.body, a.header.Get("WWW-Authenticate"))
	}
	if a := c.get("/api/v1/configs"); a.status != http.StatusOK {
		t.Errorf("configs must stay open, got %d", a.status)
	}
	for name, h := range map[string]string{
		"basic":  "Basic YWRtaW5Aa2VzdHJhLmlvOnB3", // admin@kestra.io:pw
		"bearer": "Bearer tok",
	} {
		c.header.Set("Authorization", h)
		if a := c.get("/api/v1/main/flows/search"); a.status != http.StatusOK {
			t.Errorf("%s: status %d", name, a.status)
		}
	}
	c.header.Set("Authorization", "Bearer wrong")
	if a := c.get("/api/v1/main/flows/search"); a.status != http.StatusUnauthorized {
		t.Errorf("wrong token: status %d", a.status)
	}
}

func TestRevisionsFollowKestraRules(t *testing.T) {
	s := Start(t, Options{})
	c := newCaller(t, s)
	src := flowSrc("company", "etl")
	var f struct {
		Revision int    `json:"revision"`
		Source   string `json:"source"`
	}
	a := c.yaml(http.MethodPost, "/api/v1/main/flows", src)
	if a.status != http.StatusOK {
		t.Fatalf("create = %d %s", a.status, a.body)
	}
	a.json(t, &f)
	if f.Revision != 1 || f.Source != src {
		t.Fatalf("create: revision %d source %q", f.Revision, f.Source)
	}
	if a := c.yaml(http.MethodPost, "/api/v1/main/flows", src); a.status != http.StatusUnprocessableEntity {
		t.Errorf("create existing = %d, want 422", a.status)
	}
	c.yaml(http.MethodPut, "/api/v1/main/flows/company/etl", src).json(t, &f)
	if f.Revision != 1 {
		t.Errorf("identical source made revision %d", f.Revision)
	}
	edited := src + "# a comment\n"
	c.yaml(http.MethodPut, "/api/v1/main/flows/company/etl", edited).json(t, &f)
	if f.Revision != 2 || f.Source != edited {
		t.Errorf("edit: revision %d source %q", f.Revision, f.Source)
	}
	for _, bad := range []struct{ src, msg string }{
		{flowSrc("company", "other"), "Illegal flow id update"},
		{flowSrc("elsewhere", "etl"), "Illegal namespace update"},
		{"id: etl\nnamespace: company\n", "tasks: must not be empty"},
	} {
		a := c.yaml(http.MethodPut, "/api/v1/main/flows/company/etl", bad.src)
		var e struct {
			Message  string `json:"message"`
			Embedded struct {
				Errors []struct{ Path string } `json:"errors"`
			} `json:"_embedded"`
		}
		a.json(t, &e)
		if a.status != http.StatusUnprocessableEntity || !strings.Contains(e.Message, bad.msg) || len(e.Embedded.Errors) == 0 {
			t.Errorf("PUT %q = %d %s, want 422 %q", bad.src, a.status, a.body, bad.msg)
		}
	}
	if a := c.yaml(http.MethodPut, "/api/v1/main/flows/company/missing", flowSrc("company", "missing")); a.status != http.StatusNotFound {
		t.Errorf("update missing = %d", a.status)
	}
	if a := c.do(http.MethodPut, "/api/v1/main/flows/company/etl", "application/json", edited); a.status != http.StatusUnsupportedMediaType {
		t.Errorf("JSON body = %d, want 415", a.status)
	}
	if a := c.get("/api/v1/main/flows/company/etl?revision=1&source=true"); !strings.Contains(string(a.body), `"revision":1`) {
		t.Errorf("revision 1: %d %s", a.status, a.body)
	}
	if a := c.do(http.MethodDelete, "/api/v1/main/flows/company/etl", "", ""); a.status != http.StatusNoContent {
		t.Fatalf("delete = %d", a.status)
	}
	if a := c.get("/api/v1/main/flows/company/etl?source=true"); a.status != http.StatusNotFound {
		t.Errorf("get deleted = %d", a.status)
	}
	var revs []struct{ Revision int }
	c.get("/api/v1/main/flows/company/etl/revisions").json(t, &revs)
	if diff := cmp.Diff([]struct{ Revision int }{{1}, {2}}, revs); diff != "" {
		t.Errorf("revisions (-want +got):\n%s", diff)
	}
	if got := s.Revisions("company", "etl"); len(got) != 3 || !got[2].Deleted {
		t.Errorf("stored revisions: %+v", got)
	}
	if s.Writes() != 10 {
		t.Errorf("Writes() = %d, want 10", s.Writes())
	}
}

func TestSearchPagesByNamespacePrefix(t *testing.T) {
	s := Start(t, Options{})
	for _, ns := range []string{"a", "a.b", "a.b.c", "ab", "a-b", "b"} {
		MustAdd(t, s, flowSrc(ns, "f1"), flowSrc(ns, "f2"))
	}
	c := newCaller(t, s)
	var page struct {
		Results []struct{ ID, Namespace, Source string }
		Total   int
	}
	var got []string
	for p := 1; p <= 3; p++ {
		c.get("/api/v1/main/flows/search?namespace=a&size=2&page="+string(rune('0'+p))).json(t, &page)
		for _, f := range page.Results {
			if f.Source != "" {
				t.Errorf("search result carries source")
			}
			got = append(got, f.Namespace+"/"+f.ID)
		}
	}
	want := []string{"a/f1", "a/f2", "a.b/f1", "a.b/f2", "a.b.c/f1", "a.b.c/f2"}
	if diff := cmp.Diff(want, got); diff != "" || page.Total != 6 {
		t.Errorf("total %d; pages (-want +got):\n%s", page.Total, diff)
	}
	c.get("/api/v1/main/flows/search?filters[namespace][PREFIX]=a.b&namespace=b&size=100").json(t, &page)
	if page.Total != 4 {
		t.Errorf("filters[...] must win over legacy params: total %d", page.Total)
	}
	if a := c.get("/api/v1/main/flows/search?sort=bad"); a.status != http.StatusUnprocessableEntity {
		t.Errorf("bad sort = %d", a.status)
	}
	var nss []string
	c.get("/api/v1/main/flows/distinct-namespaces").json(t, &nss)
	if diff := cmp.Diff([]string{"a", "a-b", "a.b", "a.b.c", "ab", "b"}, nss); diff != "" {
		t.Errorf("namespaces (-want +got):\n%s", diff)
	}
}

func TestValidateSplitsLikeKestra(t *testing.T) {
	s := Start(t, Options{})
	c := newCaller(t, s)
	legacy := "id: py\nnamespace: company\ntasks:\n  - id: wd\n    type: io.kestra.plugin.core.flow.WorkingDirectory\n    tasks:\n      - id: a\n        type: io.kestra.plugin.core.log.Log\n        message: a\n      - id: b\n        type: io.kestra.plugin.scripts.python.Script\n        runner: DOCKER\n        docker:\n          image: python\n  - id: c\n    type: io.kestra.plugin.scripts.shell.Commands\n    runner: PROCESS\n"
	body := flowSrc("company", "ok") + "\n---\n" + "---\n" + legacy + "\n---\nid: [broken\n---\nid: x\nnamespace: company\ntasks:\n  - type: io.kestra.plugin.core.log.Log\n"
	var got []map[string]any
	c.yaml(http.MethodPost, "/api/v1/main/flows/validate", body).json(t, &got)
	if len(got) != 5 {
		t.Fatalf("got %d answers, want 5 (the leading --- of the 2nd source makes an empty document): %v", len(got), got)
	}
	if _, ok := got[0]["constraints"]; ok {
		t.Errorf("valid flow has constraints: %v", got[0])
	}
	if _, ok := got[1]["constraints"]; !ok {
		t.Errorf("empty document must be invalid: %v", got[1])
	}
	wantPaths := []any{"tasks[1].runner", "tasks[1].docker", "tasks[1].runner"}
	if diff := cmp.Diff(wantPaths, got[2]["deprecationPaths"]); diff != "" {
		t.Errorf("deprecation paths (-want +got):\n%s", diff)
	}
	if _, ok := got[3]["flow"]; ok || got[3]["constraints"] == nil {
		t.Errorf("unparsable flow must carry only index, outdated, constraints: %v", got[3])
	}
	if c, _ := got[4]["constraints"].(string); !strings.Contains(c, "tasks[0].id: must not be null") {
		t.Errorf("task without id: %v", got[4])
	}
}

func TestValidateOnKestra2RejectsDocker(t *testing.T) {
	s := Start(t, Options{Version: "2.0.0"})
	c := newCaller(t, s)
	src := "id: py\nnamespace: company\ntasks:\n  - id: p\n    type: io.kestra.plugin.scripts.python.Script\n    runner: PROCESS\n    docker:\n      image: python\n"
	var got []map[string]any
	c.yaml(http.MethodPost, "/api/v1/main/flows/validate", src).json(t, &got)
	cons, _ := got[0]["constraints"].(string)
	if !strings.Contains(cons, `Unrecognized field "docker"`) || len(got[0]["deprecationPaths"].([]any)) != 0 {
		t.Errorf("2.0 answer: %v", got[0])
	}
	if _, err := s.AddFlow(src); err == nil {
		t.Error("2.0 must refuse to store a docker block")
	}
}

func TestValidatorAndOutdated(t *testing.T) {
	s := Start(t, Options{})
	MustAdd(t, s, flowSrc("company", "etl"))
	s.SetValidator(func(ns, id string, _ []byte) string {
		if id == "forbidden" {
			return "forbidden by policy"
		}
		return ""
	})
	c := newCaller(t, s)
	var got []map[string]any
	c.yaml(http.MethodPost, "/api/v1/main/flows/validate", flowSrc("company", "forbidden")+"\n---\nrevision: 5\n"+flowSrc("company", "etl")).json(t, &got)
	if got[0]["constraints"] != "forbidden by policy" || got[1]["outdated"] != true {
		t.Errorf("answers: %v", got)
	}
	if a := c.yaml(http.MethodPost, "/api/v1/main/flows", flowSrc("company", "forbidden")); a.status != http.StatusUnprocessableEntity {
		t.Errorf("create refused by validator = %d", a.status)
	}
}

func TestExportNamingAndContent(t *testing.T) {
	for _, tt := range []struct {
		opts Options
		want []string
	}{
		{Options{}, []string{"a-f.yml", "a.b-g.yml"}},
		{Options{Mode: ModeLegacy}, []string{"a.f.yml", "a.b.g.yml"}},
		{Options{ExportNaming: NamingDot}, []string{"a.f.yml", "a.b.g.yml"}},
	} {
		s := Start(t, tt.opts)
		srcs := []string{flowSrc("a", "f") + "# keep me\r\n", flowSrc("a.b", "g")}
		MustAdd(t, s, srcs[0], srcs[1], flowSrc("ab", "h"))
		base := "/api/v1/main/flows"
		if tt.opts.Mode == ModeLegacy {
			base = "/api/v1/flows"
		}
		a := newCaller(t, s).get(base + "/export/by-query?namespace=a")
		zr, err := zip.NewReader(bytes.NewReader(a.body), int64(len(a.body)))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for i, f := range zr.File {
			names = append(names, f.Name)
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			if string(b) != srcs[i] {
				t.Errorf("%s content %q, want %q", f.Name, b, srcs[i])
			}
		}
		if diff := cmp.Diff(tt.want, names); diff != "" {
			t.Errorf("%+v names (-want +got):\n%s", tt.opts, diff)
		}
	}
}

func TestRefusesBulkEndpoints(t *testing.T) {
	s := Start(t, Options{})
	MustAdd(t, s, flowSrc("company", "keep"))
	c := newCaller(t, s)
	c.yaml(http.MethodPost, "/api/v1/main/flows/bulk", flowSrc("company", "x"))
	c.yaml(http.MethodPost, "/api/v1/main/flows/company", flowSrc("company", "x"))
	if s.RequestCount(EndpointBulk) != 1 || s.RequestCount(EndpointNamespaceReplace) != 1 || len(s.Flows()) != 1 {
		t.Errorf("counts %v flows %d", s.Requests(), len(s.Flows()))
	}
}

func TestSeedDir(t *testing.T) {
	s := Start(t, Options{})
	seeded := MustSeedDir(t, s, "testdata/flows")
	wantSeeded := []SeedFlow{{Origin: "hello.yml", Namespace: "company", ID: "hello"},
		{Origin: "team/two.yaml#1", Namespace: "company.team", ID: "etl"},
		{Origin: "team/two.yaml#2", Namespace: "company.team", ID: "report"}}
	if diff := cmp.Diff(wantSeeded, seeded); diff != "" {
		t.Errorf("seed report (-want +got):\n%s", diff)
	}
	var got []string
	for _, f := range s.Flows() {
		got = append(got, f.Namespace+"/"+f.ID)
	}
	if diff := cmp.Diff([]string{"company/hello", "company.team/etl", "company.team/report"}, got); diff != "" {
		t.Errorf("seeded (-want +got):\n%s", diff)
	}
	f, _ := s.Flow("company.team", "etl")
	if !strings.HasPrefix(f.Source, "# two flows in one file\nid: etl\n") || strings.Contains(f.Source, "---") {
		t.Errorf("etl source %q", f.Source)
	}
}

// TestRoutes: each method and path of docs/kestra-api.md reaches its
// endpoint, on the tenant base and on the legacy one the server rewrites;
// anything else gets Kestra's JSON error body (a 405 naming the methods the
// path takes) and is counted as unknown; an unclean path is never redirected.
func TestRoutes(t *testing.T) {
	const base = "/api/v1/main/flows"
	s := Start(t, Options{})
	src := flowSrc("company", "hello")
	MustAdd(t, s, src)
	c := newCaller(t, s)
	for _, tt := range []struct {
		method, path string
		status       int
		endpoint     string
		allow        string
	}{
		{http.MethodGet, "/api/v1/configs", 200, EndpointConfigs, ""},
		{http.MethodGet, base + "/search?namespace=company", 200, EndpointSearch, ""},
		{http.MethodGet, "/api/v1/flows/search", 200, EndpointSearch, ""},
		{http.MethodGet, base + "/distinct-namespaces", 200, EndpointNamespaces, ""},
		{http.MethodGet, base + "/company", 200, EndpointList, ""},
		{http.MethodGet, base + "/company/hello?source=true", 200, EndpointGet, ""},
		{http.MethodGet, base + "/company/hello/", 200, EndpointGet, ""}, // one trailing slash is ignored
		{http.MethodGet, base + "/company/hello?revision=1", 200, EndpointRevision, ""},
		{http.MethodGet, base + "/company/hello/revisions", 200, EndpointRevisions, ""},
		{http.MethodGet, base + "/export/by-query?namespace=company", 200, EndpointExport, ""},
		{http.MethodPost, base + "/validate", 200, EndpointValidate, ""},
		{http.MethodPut, base + "/company/hello", 200, EndpointUpdate, ""},
		{http.MethodPost, base, 422, EndpointCreate, ""}, // it exists
		{http.MethodPost, base + "/bulk", 501, EndpointBulk, ""},
		{http.MethodPost, base + "/company", 501, EndpointNamespaceReplace, ""},
		{http.MethodDelete, "/api/v1/flows/company/missing", 404, EndpointDelete, ""},
		{http.MethodPatch, base + "/company/hello", 405, EndpointUnknown, "GET, PUT, DELETE"},
		{http.MethodDelete, base + "/search", 405, EndpointUnknown, "GET, POST"},
		{http.MethodGet, base, 405, EndpointUnknown, "POST"},
		{http.MethodGet, "/api/v1/acme/flows/company/hello", 404, EndpointUnknown, ""},
		{http.MethodGet, base + "/company/hello/extra", 404, EndpointUnknown, ""},
		{http.MethodGet, base + "/other/../company/hello", 404, EndpointUnknown, ""},
		{http.MethodGet, base + "/company//hello", 404, EndpointUnknown, ""},
		{http.MethodGet, base + "/company/%2E%2E", 404, EndpointGet, ""}, // a flow named "..": none
	} {
		s.ResetCounters()
		a := c.do(tt.method, tt.path, "application/x-yaml", src)
		if a.status != tt.status || a.header.Get("Allow") != tt.allow || a.header.Get("Location") != "" {
			t.Errorf("%s %s = %d Allow %q Location %q, want %d Allow %q",
				tt.method, tt.path, a.status, a.header.Get("Allow"), a.header.Get("Location"), tt.status, tt.allow)
		}
		if got := s.Requests(); len(got) != 1 || got[tt.endpoint] != 1 {
			t.Errorf("%s %s counted as %v, want %s", tt.method, tt.path, got, tt.endpoint)
		}
		if a.status >= 400 {
			var e struct{ Message string }
			a.json(t, &e)
			if e.Message == "" || a.header.Get("Content-Type") != "application/json" {
				t.Errorf("%s %s: error body %q (%s), want Kestra's JSON", tt.method, tt.path, a.body, a.header.Get("Content-Type"))
			}
		}
	}
	if f, _ := s.Flow("company", "hello"); f.Revision != 1 {
		t.Errorf("a refused call changed the flow: revision %d", f.Revision)
	}
}
