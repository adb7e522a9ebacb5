package client_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
)

// TestContract runs every call against each server era, tenant setting and
// authentication mode.
func TestContract(t *testing.T) {
	type auth struct {
		name string
		opts func(*kestratest.Options)
		cfg  func(*client.Config)
	}
	basic := auth{"basic",
		func(o *kestratest.Options) { o.Username, o.Password = "admin@kestra.io", "Secr3t!" },
		func(c *client.Config) { c.Username, c.Password = "admin@kestra.io", "Secr3t!" }}
	bearer := auth{"bearer",
		func(o *kestratest.Options) { o.Token = "tok-123" },
		func(c *client.Config) { c.Token = "tok-123" }}
	none := auth{"none", func(*kestratest.Options) {}, func(*client.Config) {}}
	tests := []struct {
		mode       kestratest.Mode
		tenant     string // fake's tenant (Enterprise)
		cfgTenant  string
		wantTenant string
		auths      []auth
	}{
		{kestratest.ModeTenant, "", "", "main", []auth{none, basic}},
		{kestratest.ModeTenant, "", "main", "main", []auth{basic}},
		{kestratest.ModeTenant, "", "none", "", []auth{basic}}, // old path, rewritten by the server
		{kestratest.ModeLegacy, "", "auto", "", []auth{none, basic}},
		{kestratest.ModeLegacy, "", "none", "", []auth{none}},
		{kestratest.ModeEnterprise, "acme", "acme", "acme", []auth{bearer, basic}},
		{kestratest.ModeEnterprise, "main", "", "main", []auth{bearer}},
	}
	for _, tt := range tests {
		for _, a := range tt.auths {
			name := tt.mode.String() + "/tenant=" + tt.cfgTenant + "/" + a.name
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				opts := kestratest.Options{Mode: tt.mode, Tenant: tt.tenant}
				a.opts(&opts)
				s, c := startPair(t, opts, func(cfg *client.Config) { cfg.Tenant = tt.cfgTenant; a.cfg(cfg) })
				exerciseEveryCall(t, s, c, tt.wantTenant)
			})
		}
	}
}

func exerciseEveryCall(t *testing.T, s *kestratest.Server, c *client.Client, wantTenant string) {
	ctx := context.Background()
	kestratest.MustAdd(t, s, flowSrc("company", "hello"), legacySrc("company.team", "etl"), flowSrc("other", "x"))

	tenant, err := c.ResolveTenant(ctx)
	if err != nil || tenant != wantTenant {
		t.Fatalf("ResolveTenant = %q, %v; want %q", tenant, err, wantTenant)
	}
	if v, err := c.ServerVersion(ctx); err != nil || v != s.Options().Version {
		t.Errorf("ServerVersion = %q, %v; want %q", v, err, s.Options().Version)
	}
	ns, err := c.Namespaces(ctx)
	if diff := cmp.Diff([]string{"company", "company.team", "other"}, ns); err != nil || diff != "" {
		t.Errorf("Namespaces: %v (-want +got):\n%s", err, diff)
	}
	var refs []string
	for f, err := range c.SearchFlows(ctx, client.SearchQuery{Namespace: "company", PageSize: 1}) {
		if err != nil {
			t.Fatalf("SearchFlows: %v", err)
		}
		refs = append(refs, f.Ref())
	}
	if diff := cmp.Diff([]string{"company/hello", "company.team/etl"}, refs); diff != "" {
		t.Errorf("SearchFlows (-want +got):\n%s", diff)
	}

	f, err := c.Flow(ctx, "company.team", "etl")
	if err != nil || f.Source != legacySrc("company.team", "etl") || f.Revision != 1 || f.TenantID != s.Flows()[0].TenantID {
		t.Fatalf("Flow = %+v, %v", f, err)
	}
	edited := []byte(f.Source + "# migrated\n")
	up, err := c.UpdateFlow(ctx, "company.team", "etl", edited)
	if err != nil || up.Revision != 2 || up.Source != string(edited) {
		t.Fatalf("UpdateFlow = %+v, %v", up, err)
	}
	if again, err := c.UpdateFlow(ctx, "company.team", "etl", edited); err != nil || again.Revision != 2 {
		t.Errorf("identical update = %+v, %v; want revision 2 kept", again, err)
	}
	if old, err := c.FlowRevision(ctx, "company.team", "etl", 1); err != nil || old.Source != f.Source {
		t.Errorf("FlowRevision 1 = %+v, %v", old, err)
	}
	revs, err := c.Revisions(ctx, "company.team", "etl")
	if err != nil || len(revs) != 2 || revs[1].Source != string(edited) {
		t.Errorf("Revisions = %+v, %v", revs, err)
	}

	got := map[string]string{}
	err = c.ExportNamespace(ctx, "company", func(e client.ExportedFlow) error {
		if e.Err != nil {
			t.Errorf("export entry %s: %v", e.Entry, e.Err)
		}
		got[e.Namespace+"/"+e.ID] = string(e.Source)
		return nil
	})
	want := map[string]string{"company/hello": flowSrc("company", "hello"), "company.team/etl": string(edited)}
	if diff := cmp.Diff(want, got); err != nil || diff != "" {
		t.Errorf("ExportNamespace: %v (-want +got):\n%s", err, diff)
	}

	vs, err := c.Validate(ctx, [][]byte{[]byte(legacySrc("company.team", "etl")), []byte("id: bad\n")})
	if err != nil || len(vs) != 2 || !vs[0].Valid() || vs[1].Valid() ||
		!slices.Equal(vs[0].DeprecationPaths, []string{"tasks[0].runner", "tasks[0].docker"}) {
		t.Errorf("Validate = %+v, %v", vs, err)
	}

	created, err := c.CreateFlow(ctx, []byte(flowSrc("company", "new")))
	if err != nil || created.Revision != 1 || created.ID != "new" {
		t.Errorf("CreateFlow = %+v, %v", created, err)
	}
	if err := c.DeleteFlow(ctx, "company", "new"); err != nil {
		t.Errorf("DeleteFlow: %v", err)
	}
	if _, err := c.Flow(ctx, "company", "new"); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("Flow after delete: %v, want ErrNotFound", err)
	}
	if n := s.RequestCount(kestratest.EndpointBulk) + s.RequestCount(kestratest.EndpointNamespaceReplace); n != 0 {
		t.Errorf("bulk endpoints called %d times", n)
	}
}
