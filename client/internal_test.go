package client

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestBackoff(t *testing.T) {
	for attempt, want := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		want *= time.Millisecond
		for range 50 {
			d := backoff(100*time.Millisecond, time.Second, attempt, nil)
			if d < want/2 || d > want {
				t.Fatalf("attempt %d: %s not in [%s, %s]", attempt, d, want/2, want)
			}
		}
	}
	if d := backoff(time.Millisecond, time.Second, 200, nil); d > time.Second {
		t.Errorf("huge attempt: %s", d)
	}
	resp := &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {"3"}}}
	if d := backoff(time.Millisecond, 10*time.Millisecond, 0, resp); d != 3*time.Second {
		t.Errorf("Retry-After 3: %s", d)
	}
	resp.Header.Set("Retry-After", "86400")
	if d := backoff(time.Millisecond, 10*time.Millisecond, 0, resp); d != maxRetryAfter {
		t.Errorf("Retry-After a day: %s, want capped at %s", d, maxRetryAfter)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"5", 5 * time.Second, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{now.Add(10 * time.Second).Format(http.TimeFormat), 10 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
	} {
		d, ok := retryAfter(tt.in, now)
		if d != tt.want || ok != tt.ok {
			t.Errorf("retryAfter(%q) = %s, %v; want %s, %v", tt.in, d, ok, tt.want, tt.ok)
		}
	}
}

func TestStripLeadingMarker(t *testing.T) {
	for in, want := range map[string]string{
		"---\nid: a\n":        "id: a\n",
		"---\r\nid: a\r\n":    "id: a\r\n",
		"--- # doc\nid: a\n":  "id: a\n",
		"\n# c\n---\nid: a\n": "id: a\n",
		"id: a\n---\nid: b\n": "id: a\n---\nid: b\n",
		"# only\nid: a\n":     "# only\nid: a\n",
		"--- {id: a}\n":       "--- {id: a}\n",
		"----\nid: a\n":       "----\nid: a\n",
	} {
		if got := string(stripLeadingMarker([]byte(in))); got != want {
			t.Errorf("stripLeadingMarker(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSplitsOnServer(t *testing.T) {
	for in, want := range map[string]bool{
		"id: a\n":               false,
		"id: a\n  ---\n":        false, // indented: the regex needs "\n---"
		"id: a\n---\n":          true,
		"id: a\n---x: 1\n":      true,
		"--- {id: a}\n":         true,
		"   \n":                 true,
		"a: |\n  x\n---\n  y\n": true,
	} {
		if got := splitsOnServer([]byte(in)); got != want {
			t.Errorf("splitsOnServer(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestLabelsAcceptBothForms(t *testing.T) {
	var f Flow
	if err := json.Unmarshal([]byte(`{"labels":[{"key":"team","value":"data"},{"key":"n","value":3}]}`), &f); err != nil {
		t.Fatal(err)
	}
	want := Labels{{"team", "data"}, {"n", "3"}}
	if diff := cmp.Diff(want, f.Labels); diff != "" {
		t.Errorf("list (-want +got):\n%s", diff)
	}
	f = Flow{}
	if err := json.Unmarshal([]byte(`{"labels":{"team":"data","env":"prod"}}`), &f); err != nil {
		t.Fatal(err)
	}
	want = Labels{{"env", "prod"}, {"team", "data"}}
	if diff := cmp.Diff(want, f.Labels); diff != "" {
		t.Errorf("map (-want +got):\n%s", diff)
	}
}

func TestAPIErrorFromBody(t *testing.T) {
	body := []byte(`{"message":"Invalid entity","_embedded":{"errors":[{"message":"must not be null","path":"flow.id"}]}}`)
	e := newAPIError("create flow", 422, body, nil)
	if e.Message != "Invalid entity" || len(e.Violations) != 1 || e.Violations[0] != "flow.id: must not be null" {
		t.Errorf("%+v", e)
	}
	e = newAPIError("get a/b", 302, nil, http.Header{"Location": {"https://user:pw@example.com/login"}})
	if strings.Contains(e.Error(), "pw") || !strings.Contains(e.Error(), "https://example.com/login") {
		t.Errorf("redirect: %v", e)
	}
	e = newAPIError("get a/b", 500, []byte("<html>oops</html>"), nil)
	if e.Error() != "get a/b: 500 Internal Server Error" {
		t.Errorf("non-JSON error body: %q", e.Error())
	}
}

func TestEntryMatches(t *testing.T) {
	for _, tt := range []struct {
		name, ns, id string
		want         bool
	}{
		{"a.b-c.yml", "a.b", "c", true},
		{"a.b.c.yml", "a.b", "c", true},
		{"a.b.c.yaml", "a.b", "c", true},
		{"a.b.c.yml", "a", "b.c", true}, // ambiguous name, resolved by the source
		{"a-c.yml", "a", "d", false},
		{"a-c.yml.bak", "a", "c", false},
	} {
		if got := entryMatches(tt.name, tt.ns, tt.id); got != tt.want {
			t.Errorf("entryMatches(%q, %q, %q) = %v", tt.name, tt.ns, tt.id, got)
		}
	}
}
