package rewrite

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// legacyDefaultKeys are the task settings a defaults entry can interact with.
var legacyDefaultKeys = []string{"runner", "docker", "taskRunner", "containerImage", "outputDirectory"}

// planDefaults applies the rule to pluginDefaults (and taskDefaults) values,
// only where Kestra's merge of defaults into tasks keeps behaviour the same.
func (r *RunnerRule) planDefaults(d *Document, tasks map[*yaml.Node]string) []Outcome {
	var out []Outcome
	for _, section := range []string{"pluginDefaults", "taskDefaults"} {
		seq := resolveAlias(mapValue(d.Root, section))
		if seq == nil || seq.Kind != yaml.SequenceNode {
			continue
		}
		for i, e := range seq.Content {
			values := mapValue(e, "values")
			if values == nil {
				continue
			}
			typ := scalarString(mapValue(e, "type"))
			o := Outcome{Change: Change{Path: fmt.Sprintf("%s[%d].values", section, i), Type: typ}}
			if values.Kind != yaml.MappingNode {
				if mapValue(resolveAlias(values), "runner") != nil || mapValue(resolveAlias(values), "docker") != nil {
					o.Unsupported = "the defaults values are an alias: migrate them by hand"
					out = append(out, o)
				}
				continue
			}
			if mapIndex(values, "runner") < 0 && mapIndex(values, "docker") < 0 {
				if mapIndex(values, "dockerOptions") >= 0 || mergesLegacy(values, map[*yaml.Node]bool{}) {
					o.Unsupported = fmt.Sprintf("defaults for %q set dockerOptions or merge legacy keys in (<<), which no rule migrates: migrate them by hand", typ)
					out = append(out, o)
				}
				continue
			}
			switch {
			case !r.defaultsInScope(typ):
				o.Unsupported = fmt.Sprintf("defaults for %q also apply to types outside the migration scope", typ)
			default:
				o.Unsupported = defaultsInteraction(e, values, typ, tasks)
			}
			if o.Unsupported != "" {
				out = append(out, o)
				continue
			}
			if o, ok := r.planMapping(d, values, o); ok {
				out = append(out, o)
			}
		}
	}
	return out
}

// defaultsInScope: the entry's type (matched by prefix, as Kestra does)
// reaches only types in scope.
func (r *RunnerRule) defaultsInScope(typ string) bool {
	if typ == "" {
		return false
	}
	if r.inScope(typ) {
		return true
	}
	for _, s := range r.scope {
		if s == typ+"." {
			return true
		}
	}
	return false
}

// defaultsInteraction explains why migrating a defaults entry could change
// what a matching task does, or returns "" when it cannot.
func defaultsInteraction(entry, values *yaml.Node, typ string, tasks map[*yaml.Node]string) string {
	forced := isTrue(mapValue(entry, "forced"))
	runnerAlone := true
	for _, k := range legacyDefaultKeys[1:] {
		if mapValue(values, k) != nil {
			runnerAlone = false
		}
	}
	for t, path := range tasks {
		if !strings.HasPrefix(scalarString(mapValue(t, "type")), typ) {
			continue
		}
		sets := map[string]bool{}
		for _, k := range legacyDefaultKeys {
			sets[k] = mapValue(t, k) != nil
		}
		none := !sets["runner"] && !sets["docker"] && !sets["taskRunner"] && !sets["containerImage"] && !sets["outputDirectory"] && !mentionsOutputDir(t)
		ownRunner := sets["runner"] && !sets["taskRunner"] && !forced && runnerAlone
		if !none && !ownRunner {
			return fmt.Sprintf("pluginDefaults interact with task settings (task %s at %s): migrate them by hand",
				scalarString(mapValue(t, "id")), path)
		}
	}
	return ""
}

// isTrue reads a YAML true the way Kestra's parser may: true in any case
// (true, True, TRUE), also quoted, and the YAML 1.1 spellings yes and on.
// Reading too much as true only makes a defaults entry count as forced,
// which refuses more, never less.
func isTrue(n *yaml.Node) bool {
	if n == nil || n.Kind != yaml.ScalarNode {
		return false
	}
	switch strings.ToLower(n.Value) {
	case "true", "yes", "on":
		return true
	}
	return false
}
