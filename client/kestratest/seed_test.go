package kestratest

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// logTB records what a helper logs on it.
type logTB struct {
	testing.TB
	logs []string
}

func (l *logTB) Logf(format string, args ...any) {
	l.logs = append(l.logs, fmt.Sprintf(format, args...))
}

func TestMustSeedStoresFlowsThatNoLongerValidateAndSaysWhich(t *testing.T) {
	s := Start(t, Options{})
	extended := flowSrc("company", "old") + "extend:\n  title: from 0.x\n"
	first, later := flowSrc("company", "twice"), flowSrc("company", "twice")+"# the later copy\n"
	tb := &logTB{TB: t}
	seeded := MustSeed(tb, s, extended, first, later)
	if len(seeded) != 3 || !strings.Contains(seeded[0].Invalid, `Unrecognized field "extend"`) ||
		seeded[1].Invalid+seeded[1].Replaced != "" || seeded[2].Replaced != "source 2" {
		t.Errorf("seed report: %+v", seeded)
	}
	if len(tb.logs) != 2 || !strings.Contains(tb.logs[0], "company/old (source 1) would not validate today") ||
		!strings.Contains(tb.logs[1], "company/twice (source 3) replaces the flow with the same id of source 2") {
		t.Errorf("logged %q", tb.logs)
	}
	for id, want := range map[string]string{"old": extended, "twice": later} {
		if f, ok := s.Flow("company", id); !ok || f.Source != want || f.Revision != 1 {
			t.Errorf("company/%s stored as %+v, want revision 1 of %q", id, f, want)
		}
	}
	c := newCaller(t, s)
	if a := c.get("/api/v1/main/flows/company/old?source=true"); a.status != http.StatusOK {
		t.Errorf("GET the invalid seed flow = %d %s", a.status, a.body)
	}
	var v []map[string]any
	c.yaml(http.MethodPost, "/api/v1/main/flows/validate", extended).json(t, &v)
	if cons, _ := v[0]["constraints"].(string); cons != seeded[0].Invalid {
		t.Errorf("validate says %q, the seed report %q", cons, seeded[0].Invalid)
	}
}
