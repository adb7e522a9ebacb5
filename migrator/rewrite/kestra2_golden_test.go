package rewrite

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestKestra2Golden runs every testdata/kestra2/*.in.yml through the rewrite
// rules of the default set (the runner rule and the 2.0 rules, not the
// detections, whose own goldens cover them) aimed at 2.0 (a name starting with "t13-" aims at 1.3, with
// "partial-" migrates partially) and compares the text (*.out.yml) and the
// findings (*.result.txt); every case also checks the invariants (the
// output parses, a second pass changes nothing, only pending changes text).
func TestKestra2Golden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/kestra2/*.in.yml")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".in.yml")
		t.Run(name, func(t *testing.T) {
			src := mustRead(t, in)
			target := Target20
			if strings.HasPrefix(name, "t13-") {
				target = Target13
			}
			rw := MustRewriter(Options{Only: kestra2GoldenRules(), Target: target, Partial: strings.HasPrefix(name, "partial-")})
			res, err := rw.Rewrite(src)
			if err != nil {
				t.Fatalf("rewrite: %v", err)
			}
			checkInvariants(t, rw, src, res)
			golden(t, strings.TrimSuffix(in, ".in.yml")+".out.yml", res.Source)
			golden(t, strings.TrimSuffix(in, ".in.yml")+".result.txt", []byte(describeResult(res)))
		})
	}
}

// kestra2GoldenRules names the runner rule and every 2.0 rewrite rule: the
// default rules that edit text, in the default order.
func kestra2GoldenRules() []string {
	var names []string
	for _, name := range RuleNames(DefaultRules(RuleConfig{})) {
		if _, ours := kestra2RuleSince[name]; ours || name == RunnerRuleName {
			names = append(names, name)
		}
	}
	return names
}
