package rewrite

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var updateDetect = flag.Bool("update-detect", false, "rewrite the golden files under testdata/detect/")

// goldenRewriter runs the runner rule and the detections only, so that the
// golden results here do not move when another rewrite rule joins
// DefaultRules (its own goldens show its changes).
func goldenRewriter() *Rewriter {
	return MustRewriter(Options{Rules: append([]Rule{NewRunnerRule(RunnerOptions{})}, detectionRules()...)})
}

// detectionRules are the rules of DefaultRules that only report.
func detectionRules() []Rule {
	var out []Rule
	for _, r := range DefaultRules(RuleConfig{}) {
		if _, ok := r.(*detectRule); ok {
			out = append(out, r)
		}
	}
	return out
}

// knownCodes maps each detection code to its severity: one severity per
// code, except sdk-auth (two codes, one rule).
var knownCodes = map[string]Severity{
	CodeRemovedType: SeverityBlocking, CodeForEachLoop: SeverityBlocking, CodePluginDefaults: SeverityBlocking,
	CodeMissingTriggerInput: SeverityBlocking, CodeSDKAuthRequired: SeverityBlocking, CodeSDKAuthAdvisory: SeverityAdvisory,
	CodePebbleVersionArg: SeverityAdvisory, CodeIonRead: SeverityAdvisory, CodeWorkerGroup: SeverityBlocking,
	CodeTriggerConditions: SeverityBlocking, CodeStateToKV: SeverityBlocking, CodeReservedFlowID: SeverityBlocking,
}

// TestDetectGolden runs every testdata/detect/*.in.yml through the default
// rewriter and compares what it reports (*.result.txt): status, changes and
// each warning with its rule, code, severity, path and guide URL.
func TestDetectGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/detect/*.in.yml")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	rw := goldenRewriter()
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".in.yml")
		t.Run(name, func(t *testing.T) {
			src := mustRead(t, in)
			res, err := rw.Rewrite(src)
			if err != nil {
				t.Fatal(err)
			}
			checkDetections(t, src, res)
			goldenDetect(t, strings.TrimSuffix(in, ".in.yml")+".result.txt", []byte(describeDetections(res)))
		})
	}
}

// checkDetections: a detection never changes the text, and every coded
// warning names its rule, a known code with that code's severity, and a URL.
func checkDetections(t *testing.T, src []byte, res Result) {
	t.Helper()
	if len(res.Changes) == 0 && !bytes.Equal(res.Source, src) {
		t.Errorf("no change reported but the source changed")
	}
	for _, w := range res.Warnings {
		if w.Code == "" {
			continue
		}
		sev, ok := knownCodes[w.Code]
		switch {
		case !ok:
			t.Errorf("unknown code %q", w.Code)
		case w.Severity != sev:
			t.Errorf("%s has severity %q, want %q", w.Code, w.Severity, sev)
		}
		if w.Rule == "" || !strings.HasPrefix(w.Rule, "detect-") || w.URL == "" || w.Message == "" {
			t.Errorf("incomplete detection %+v", w)
		}
	}
}

func describeDetections(res Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "status: %s\nreadiness: %s\n", res.Status, Readiness(res))
	for _, c := range res.Changes {
		fmt.Fprintf(&b, "change: %s %s: %v -> %v\n", c.Rule, c.Path, c.From, c.To)
	}
	for _, u := range res.Unsupported {
		fmt.Fprintf(&b, "unsupported: %s: %s\n", u.Describe(), u.Unsupported)
	}
	for _, w := range res.Warnings {
		if w.Code == "" {
			fmt.Fprintf(&b, "note: %s: %s\n", w.Rule, w.Message)
			continue
		}
		fmt.Fprintf(&b, "detected: %s %s %s at %s <%s>\n  %s\n", w.Rule, w.Code, w.Severity, orRoot(w.Path), w.URL, w.Message)
	}
	return b.String()
}

func goldenDetect(t *testing.T, path string, got []byte) {
	t.Helper()
	if *updateDetect {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want := mustRead(t, path)
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -run TestDetectGolden -update-detect, then review)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// mentionsMissed is what makes the fast path wrong: a rule that finds
// something in a document while its byte scan said there was nothing.
func mentionsMissed(t *testing.T, src []byte) []string {
	t.Helper()
	d, err := ParseDocument(src)
	if err != nil || d.Root == nil {
		return nil
	}
	var missed []string
	for _, r := range detectionRules() {
		if len(r.Plan(d)) > 0 && !r.Mentions(src) {
			missed = append(missed, r.Info().Name)
		}
	}
	return missed
}

// TestDetectMentionsNeverMisses: over every input we have (our golden files,
// the runner's, and the shared corpus and peer pairs when present), a rule
// that detects something also said so in its byte scan.
func TestDetectMentionsNeverMisses(t *testing.T) {
	var files []string
	for _, pattern := range []string{"testdata/detect/*.in.yml", "testdata/rewrite/*.in.yml"} {
		m, _ := filepath.Glob(pattern)
		files = append(files, m...)
	}
	for _, sub := range []string{"corpus", "peer/kestra-migrate-v2", "peer/kestra-migrate"} {
		root := sharedRoot()
		if dir := filepath.Join(root, sub); dirExists(dir) {
			files = append(files, yamlFiles(t, dir)...)
		}
	}
	checked := 0
	for _, f := range files {
		for _, doc := range SplitDocuments(mustRead(t, f)) {
			if missed := mentionsMissed(t, doc); len(missed) > 0 {
				t.Errorf("%s: %v found something their byte scan denied", f, missed)
			}
			checked++
		}
	}
	if checked < 20 {
		t.Fatalf("only %d documents checked", checked)
	}
}

func dirExists(dir string) bool {
	fi, err := os.Stat(dir)
	return err == nil && fi.IsDir()
}

// TestDetectMentionsCases pins the byte scans: spellings that must make the
// rule parse, and clean flows that must not cost a parse.
func TestDetectMentionsCases(t *testing.T) {
	byName := map[string]Rule{}
	for _, r := range detectionRules() {
		byName[r.Info().Name] = r
	}
	cases := []struct {
		rule, src string
		want      bool
	}{
		{DetectRemovedTypesName, "type: io.kestra.plugin.core.flow.ForEach\n", true},
		{DetectRemovedTypesName, "type: io.kestra.plugin.core.flow.ForEachItem}", true},
		{DetectRemovedTypesName, "type: io.kestra.core.tasks.scripts.Python", true},
		{DetectRemovedTypesName, "id: 0\ntype: io.kestra.core.tasks.scripts.", true}, // the prefix alone, at the end (found by fuzzing)
		{DetectRemovedTypesName, `type: "io.kestra.plugin.core.flow.\x46orEach"`, true},
		{DetectRemovedTypesName, "type: \"io.kestra.plugin.core.flow.\\\n  ForEach\"", true},
		{DetectRemovedTypesName, "type: io.kestra.plugin.core.flow.Loop\nmessage: ForEach\n", false},
		{DetectRemovedTypesName, "type: io.kestra.plugin.core.flow.ForEachLoop\n", false},
		{DetectRemovedTypesName, "script: echo \\n \\t \\\\x\n", false},
		{DetectStateStoreName, "type: io.kestra.core.tasks.states.Set", true},
		{DetectStateStoreName, "type: io.kestra.plugin.core.kv.Set", false},
		{DetectSDKAuthName, "type: io.kestra.plugin.kestra.flows.Export", true},
		{DetectSDKAuthName, "type: io.kestra.plugin.git.Clone", false},
		{DetectPluginDefaultsName, "taskDefaults:\n", true},
		{DetectPluginDefaultsName, "tasks: []\n", false},
		{DetectTriggerConditionsName, "    scheduleConditions:\n", true},
		{DetectTriggerConditionsName, "    timeWindow:\n", true},
		{DetectTriggerConditionsName, "    when: x\n", false},
		{DetectTriggerInputsName, "inputs: []\ntriggers:\n  - type: io.kestra.plugin.core.trigger.Schedule", true},
		{DetectTriggerInputsName, "triggers:\n  - type: io.kestra.plugin.core.trigger.Schedule", false},
		{DetectTriggerInputsName, "inputs: []\ntriggers:\n  - type: io.kestra.plugin.core.trigger.Flow", false},
		{DetectWorkerGroupName, "workerGroup:", true},
		{DetectReservedFlowIDName, "id: kill\nnamespace: n\n", true},
		{DetectReservedFlowIDName, "id: 'enable'\nnamespace: n\n", true},
		{DetectReservedFlowIDName, "{id: pause, namespace: n}", true}, // the line scan cannot tell: parse
		{DetectReservedFlowIDName, "id: killer\nnamespace: n\n", false},
		{DetectReservedFlowIDName, "id: pause # comment\nnamespace: n\n", true},
		{DetectReservedFlowIDName, "id: pause\t# comment\nnamespace: n\n", true},
		{DetectReservedFlowIDName, "id: pause#not-a-comment\nnamespace: n\n", false},
		{DetectReservedFlowIDName, "\"id\" : \"source\"\r\nnamespace: n\r\n", true},
		{DetectReservedFlowIDName, "id: &a search\nnamespace: n\n", true},      // an anchor: parse
		{DetectReservedFlowIDName, "id: \"s\\x65arch\"\nnamespace: n\n", true}, // an escape: parse
		{DetectReservedFlowIDName, "  id: pause\n  namespace: n\n", true},      // an indented root: parse
		{DetectReservedFlowIDName, "--- {id: pause}\n", true},
		{DetectReservedFlowIDName, "id:\n  pause\nnamespace: n\n", true},
		{DetectReservedFlowIDName, "identity: pause\nid: ok\nnamespace: n\n", false},
		{DetectReservedFlowIDName, "id: ok\ntasks:\n  - id: pause\n", false},
		{DetectPebbleVersionArgName, "m: \"{{ read('a', version=1) }}\"", true},
		{DetectPebbleVersionArgName, "m: \"{{ read('a') }}\"", false},
		{DetectIonReadName, "m: \"{{ read(outputs.a.uri) }}\"", true},
		{DetectIonReadName, "m: \"{{ outputs.a.uri }}\"", false},
		{DetectIonReadName, "m: >\n  {{ read (\n  outputs.a.uri) }}", true},
		{DetectIonReadName, `m: "{{ read(\toutputs.a.uri) }}"`, true},
		{DetectIonReadName, "description: already read the outputs\nm: \"{{ read('f') }} {{ outputs.a }}\"", false},
		{DetectPebbleVersionArgName, "m: \"{{ fileURI ('a', version=1) }}\"", true},
		{DetectPebbleVersionArgName, "m: \"{{ fileURI\\t('a', version=1) }}\"", true},
		{DetectPebbleVersionArgName, "m: >\n  {{ read\n  ('a', version=1) }}", true},
		{DetectPebbleVersionArgName, "m: \"{{ readAll('a', version=1) }}\" # not a read() call", false},
		{DetectIonReadName, "m: \"{{ read\\ (outputs.a.uri) }}\"", true},
		{DetectRemovedTypesName, "kestra.plugin.core.flow.ForEach", false},
		{DetectRemovedTypesName, "type: io.kestra.plugin.core.flow.EachParallel", true},
		{DetectPebbleVersionArgName, "description: read this\nversion: 3\n", false},
	}
	for _, c := range cases {
		r, ok := byName[c.rule]
		if !ok {
			t.Fatalf("no rule %s", c.rule)
		}
		if got := r.Mentions([]byte(c.src)); got != c.want {
			t.Errorf("%s.Mentions(%q) = %v, want %v", c.rule, c.src, got, c.want)
		}
	}
	// a clean flow is answered by every rule's byte scan, no parse
	clean := mustRead(t, "testdata/rewrite/already-migrated.in.yml")
	for _, r := range DefaultRules(RuleConfig{}) {
		if r.Mentions(clean) {
			if _, ok := r.(*detectRule); ok {
				t.Errorf("%s mentions a clean flow: it would cost a parse per flow", r.Info().Name)
			}
		}
	}
}

// TestDetectionsRunForEveryTarget: a detection declares no minimum version,
// so a 1.3 target keeps it (it reports what 2.0 will refuse).
func TestDetectionsRunForEveryTarget(t *testing.T) {
	rules := detectionRules()
	if len(rules) != 10 {
		t.Fatalf("%d detection rules, want 10", len(rules))
	}
	for _, target := range []Target{Target13, Target20} {
		names := RuleNames(MustRewriter(Options{Target: target}).Rules())
		for _, r := range rules {
			if r.Info().Since != "" {
				t.Errorf("%s declares Since %q", r.Info().Name, r.Info().Since)
			}
			if !contains(names, r.Info().Name) {
				t.Errorf("target %s drops %s", target, r.Info().Name)
			}
		}
	}
	// --rules picks one detection alone
	rw := MustRewriter(Options{Only: []string{DetectWorkerGroupName}})
	res, err := rw.Rewrite(mustRead(t, "testdata/detect/worker-group.in.yml"))
	if err != nil || len(res.Warnings) == 0 {
		t.Fatalf("worker-group alone: %v, %v", res.Warnings, err)
	}
	for _, w := range res.Warnings {
		if w.Rule != DetectWorkerGroupName || w.Code != CodeWorkerGroup {
			t.Errorf("unexpected warning %+v", w)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestDetectionCodesOfEachRule: every code is reported by exactly one rule,
// so a code in a report names its family.
func TestDetectionCodesOfEachRule(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/detect/*.in.yml")
	owner := map[string]string{}
	rw := MustRewriter(Options{})
	for _, in := range inputs {
		res, err := rw.Rewrite(mustRead(t, in))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range res.Warnings {
			if w.Code == "" {
				continue
			}
			if o, ok := owner[w.Code]; ok && o != w.Rule {
				t.Errorf("code %s reported by %s and %s", w.Code, o, w.Rule)
			}
			owner[w.Code] = w.Rule
		}
	}
	var missing []string
	for code := range knownCodes {
		if _, ok := owner[code]; !ok {
			missing = append(missing, code)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("codes no golden case exercises: %v", missing)
	}
}

// BenchmarkDetectMentions measures each rule's byte scan over flows that no
// rule touches (migrated seed flows): what the fast path pays per rule.
func BenchmarkDetectMentions(b *testing.B) {
	var flows [][]byte
	rw := MustRewriter(Options{})
	for _, f := range seedFlows(b) {
		if res, err := rw.Rewrite(f); err == nil && res.Status == StatusPending && !rw.mentions(res.Source) {
			flows = append(flows, res.Source)
		}
	}
	if len(flows) == 0 {
		b.Skip("no clean flows")
	}
	size := 0
	for _, f := range flows {
		size += len(f)
	}
	for _, r := range rw.Rules() {
		b.Run(r.Info().Name, func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				for _, f := range flows {
					if r.Mentions(f) {
						b.Fatal("a clean flow is mentioned")
					}
				}
			}
		})
	}
}

// FuzzDetectMentions: whatever the source, a detection rule that finds
// something in it has said so in its byte scan (false means surely nothing).
func FuzzDetectMentions(f *testing.F) {
	files, _ := filepath.Glob("testdata/detect/*.in.yml")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err == nil {
			f.Add(b)
		}
	}
	rules := detectionRules()
	f.Fuzz(func(t *testing.T, src []byte) {
		if hasOddLineBreaks(src) {
			return // refused before any rule runs
		}
		d, err := ParseDocument(src)
		if err != nil || d.Root == nil {
			return
		}
		for _, r := range rules {
			if len(r.Plan(d)) > 0 && !r.Mentions(src) {
				t.Fatalf("%s finds something its byte scan denied in:\n%q", r.Info().Name, src)
			}
		}
	})
}
