package rewrite

import (
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
	runGoldenDir(t, "testdata/kestra2", func(name string) *Rewriter {
		target := Target20
		if strings.HasPrefix(name, "t13-") {
			target = Target13
		}
		return MustRewriter(Options{Only: kestra2GoldenRules(), Target: target, Partial: strings.HasPrefix(name, "partial-")})
	})
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
