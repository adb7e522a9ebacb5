package rewrite

import "testing"

func TestFlowIdentity(t *testing.T) {
	cases := []struct {
		src    string
		ns, id string
		ok     bool
	}{
		{"id: etl\nnamespace: company.team\ntasks: []\n", "company.team", "etl", true},
		{"namespace: 'a.b'\r\n\"id\": \"x-1\" # comment\r\n", "a.b", "x-1", true},
		{"id: a\nnamespace: n\nid: b\n", "", "", false}, // a key twice: Jackson keeps the last
		{"id: &x a\nnamespace: n\n", "", "", false},     // an anchor
		{"{id: a, namespace: n}\n", "", "", false},      // a flow mapping
		{"id: a\ndescription: |\n  namespace: fake\nnamespace: n\n", "n", "a", true},
		{"id: a\n", "", "a", false},                         // no namespace
		{"id: \"a\\u0041\"\nnamespace: n\n", "", "", false}, // an escape
	}
	for _, c := range cases {
		ns, id, ok := FlowIdentity([]byte(c.src))
		if ok != c.ok || (ok && (ns != c.ns || id != c.id)) {
			t.Errorf("%q: got %q %q %v, want %q %q %v", c.src, ns, id, ok, c.ns, c.id, c.ok)
		}
	}
}
