package rewrite

import (
	"regexp"
	"strings"
	"testing"
)

// kestra2RuleSince lists the rules of issue 13 with the oldest version their
// output is valid on.
var kestra2RuleSince = map[string]Target{
	"type-renames": "", "input-id": "", "input-types": "", "multiselect-values": "",
	"input-required-defaults": "", "max-attempts": "", "pause-duration": "", "fetch-type": "",
	"cancelled-state": Target13, "http-basic-auth": "", "http-options": "", "local-delete-recursive": "",
	"removed-properties": "", "pebble-json": "", "plugin-defaults-name": "",
	"checks-when": Target20, "purgekv-behavior": Target20, "ee-git-clone": Target20,
}

// TestKestra2RuleSet: every rule of issue 13 is in the default set once,
// under its stable kebab-case name, with the guide's URL, and the three
// whose output only 2.0 accepts are dropped when aiming at 1.3.
func TestKestra2RuleSet(t *testing.T) {
	want := kestra2RuleSince
	kebab := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	seen := map[string]bool{}
	for _, r := range DefaultRules(RuleConfig{}) {
		info := r.Info()
		if seen[info.Name] {
			t.Errorf("rule %s twice", info.Name)
		}
		seen[info.Name] = true
		if !kebab.MatchString(info.Name) {
			t.Errorf("rule name %q is not kebab-case", info.Name)
		}
		since, ours := want[info.Name]
		if !ours {
			continue
		}
		if info.Since != since {
			t.Errorf("%s: Since %q, want %q", info.Name, info.Since, since)
		}
		if !strings.HasPrefix(info.URL, GuideV2) {
			t.Errorf("%s: URL %q is not the migration guide", info.Name, info.URL)
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("rule %s missing from DefaultRules", name)
		}
	}
	on13 := map[string]bool{}
	for _, n := range RuleNames(MustRewriter(Options{Target: Target13}).Rules()) {
		on13[n] = true
	}
	for name, since := range want {
		if on13[name] != (since != Target20) {
			t.Errorf("target 1.3 keeps %s: %v", name, on13[name])
		}
	}
}

// TestKestra2EachRuleAlone runs every golden input through each rule on its
// own (--rules NAME): each rule is idempotent on its own output, and what it
// changes alone it also changes in the full set (its edits do not depend on
// another rule's).
func TestKestra2EachRuleAlone(t *testing.T) {
	full := MustRewriter(Options{Target: Target20, Partial: true})
	for _, src := range kestra2Seeds(t) {
		all, err := full.Rewrite(src)
		if err != nil {
			continue
		}
		inFull := map[string]bool{}
		for _, c := range all.Changes {
			inFull[c.Rule+" "+c.Path] = true
		}
		for _, name := range RuleNames(full.Rules()) {
			rw := MustRewriter(Options{Only: []string{name}, Target: Target20, Partial: true})
			res, err := rw.Rewrite(src)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			checkInvariants(t, rw, src, res)
			if all.Status != StatusPending {
				continue
			}
			for _, c := range res.Changes {
				if !inFull[c.Rule+" "+c.Path] {
					t.Errorf("%s alone changes %s, the full set does not:\n%s", name, c.Path, src)
				}
			}
		}
	}
}

// TestKestra2KeysImplyMentions: a rule's Keys are deprecated wherever they
// appear (the engine matches the server's deprecationPaths on them), so a
// source using one as a key is always mentioned by the rule's fast scan;
// keys deprecated only on some types (name, options, delay, fetchType,
// condition...) are not declared.
func TestKestra2KeysImplyMentions(t *testing.T) {
	for _, r := range DefaultRules(RuleConfig{}) {
		for _, k := range r.Info().Keys {
			for _, src := range []string{k + ": x\n", "id: a\ntasks:\n  - id: b\n    type: t\n    " + k + ":\n      c: 1\n", "{" + k + ": 1}"} {
				if !r.Mentions([]byte(src)) {
					t.Errorf("%s declares key %s but does not mention %q", r.Info().Name, k, src)
				}
			}
		}
	}
}
