package migrator

import "testing"

func TestSelectionResolveAndValidate(t *testing.T) {
	server := []string{"company", "company.data", "company.data.ingest", "company-x", "other"}
	cases := []struct {
		sel  Selection
		want string
	}{
		{Selection{All: true}, "[company company-x company.data company.data.ingest other]"},
		{Selection{Namespaces: []string{"company"}}, "[company company.data company.data.ingest]"},
		{Selection{Namespaces: []string{"company"}, Exclude: []string{"company.data"}}, "[company]"},
		{Selection{All: true, Exclude: []string{"company"}}, "[company-x other]"},
		{Selection{Flows: []string{"other/etl"}}, "[other]"},
	}
	for _, c := range cases {
		if got := fmtNamespaces(c.sel.resolve(server)); got != c.want {
			t.Errorf("%v: %s, want %s", c.sel.Strings(), got, c.want)
		}
	}
	if sc := (Selection{Flows: []string{"other/etl"}}).resolve(server); !sc.only["other"]["etl"] || len(sc.only["other"]) != 1 {
		t.Errorf("--flow selects only that flow: %v", sc.only)
	}
	for _, bad := range []Selection{{Namespaces: []string{"Company"}}, {Flows: []string{"company"}}, {Flows: []string{"company/a/b"}},
		{Exclude: []string{""}}, {Flows: []string{"company/-x"}}} {
		if bad.Validate() == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if err := (Selection{Namespaces: []string{"company.data_1-x"}, Flows: []string{"a/Etl.v2"}}).Validate(); err != nil {
		t.Errorf("a valid selection refused: %v", err)
	}
}

func fmtNamespaces(sc scope) string {
	s := "["
	for i, ns := range sc.namespaces {
		if i > 0 {
			s += " "
		}
		s += ns
	}
	return s + "]"
}
