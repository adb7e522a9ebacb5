package rewrite

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The HTTP options rules (official migrateHTTPBasicAuth and
// removeDeprecatedHTTPOptions, kestra-io/kestra2-flow-migration
// internal/migrate/migrate.go). Many plugins share Kestra's
// HttpConfiguration, so, as the official tool does, any mapping with an
// `options` mapping is concerned.

// HTTPBasicAuthRule moves options.basicAuthUser / basicAuthPassword into
// options.auth {type: BASIC, username, password}, the values' text kept.
type HTTPBasicAuthRule struct{}

// Info implements Rule.
func (HTTPBasicAuthRule) Info() RuleInfo {
	return RuleInfo{Name: "http-basic-auth", Keys: []string{"basicAuthUser", "basicAuthPassword"}, URL: GuideV2}
}

// Mentions implements Rule.
func (r HTTPBasicAuthRule) Mentions(src []byte) bool { return r.mentionsIn(newScan(src)) }

func (HTTPBasicAuthRule) mentionsIn(s *srcScan) bool {
	return s.keyOrEscape(keysBasicAuthUserBasicAuthPassword)
}

var basicAuthKeys = [...][2]string{{"basicAuthUser", "username"}, {"basicAuthPassword", "password"}}

// Plan implements Rule.
func (HTTPBasicAuthRule) Plan(d *Document) []Outcome {
	var out []Outcome
	d.eachMapping(func(m *yaml.Node, path, _ string) {
		opts := mapValue(m, "options")
		if opts == nil || opts.Kind != yaml.MappingNode ||
			mapIndex(opts, "basicAuthUser") < 0 && mapIndex(opts, "basicAuthPassword") < 0 {
			return
		}
		o := outcomeAt(m, joinPath(path, "options"))
		o.To = []string{"auth"}
		for _, k := range basicAuthKeys {
			if mapIndex(opts, k[0]) >= 0 {
				o.From = append(o.From, k[0])
			}
		}
		o.Unsupported = d.planBasicAuth(&o, m, opts)
		if o.Unsupported != "" {
			o.Edits, o.Mutate = nil, nil
		}
		out = append(out, o)
	})
	return out
}

func (d *Document) planBasicAuth(o *Outcome, m, opts *yaml.Node) string {
	if mapIndex(opts, "auth") >= 0 || mergedKey(opts, "auth") {
		return "options sets both auth and basicAuthUser/basicAuthPassword: merge them by hand (a second auth key would be a duplicate)"
	}
	if why := d.refuseShared(m, "options"); why != "" {
		return why
	}
	if opts.Style&yaml.FlowStyle != 0 {
		return d.planFlowBasicAuth(o, opts)
	}
	step := d.stepNear(m)
	pad := strings.Repeat(" ", step)
	lines := []string{"auth:", pad + "type: BASIC"}
	var present []string
	for _, k := range basicAuthKeys {
		v := mapValue(opts, k[0])
		if v == nil {
			continue
		}
		present = append(present, k[0])
		if why := d.refuseShared(opts, k[0]); why != "" {
			return why
		}
		if v.Kind != yaml.ScalarNode {
			return fmt.Sprintf("options.%s is not a single value: move it into options.auth by hand", k[0])
		}
		if isNullNode(v) || v.Value == "" {
			continue // the official tool writes only non-empty values
		}
		text, ok := d.oneLineValue(opts, k[0])
		if !ok {
			return fmt.Sprintf("options.%s is written on several lines: move it into options.auth by hand", k[0])
		}
		lines = append(lines, pad+k[1]+": "+text)
	}
	if len(lines) == 2 {
		return "basicAuthUser and basicAuthPassword are empty: remove them by hand"
	}
	e, mutate, ok := d.replaceEntryLines(opts, present[0], lines)
	if !ok {
		return "cannot write options.auth in place of " + present[0] + " safely: move it by hand"
	}
	o.Edits, o.Mutate = []Edit{e}, mutate
	if len(present) == 2 {
		e, mutate, ok := d.removeEntry(opts, present[1])
		if !ok {
			return "cannot remove options." + present[1] + " safely: move it by hand"
		}
		o.Edits, o.Mutate = append(o.Edits, e), chain(o.Mutate, mutate)
	}
	return ""
}

// planFlowBasicAuth is planBasicAuth for options written as a flow mapping
// ({basicAuthUser: u, basicAuthPassword: p}): the first key's entry becomes
// auth: {type: BASIC, username: u, password: p}, the values' text kept.
func (d *Document) planFlowBasicAuth(o *Outcome, opts *yaml.Node) string {
	parts := []string{"type: BASIC"}
	var present []string
	var first span
	for _, k := range basicAuthKeys {
		if mapIndex(opts, k[0]) < 0 {
			continue
		}
		ks, vs, _, ok := d.flowScalarEntry(opts, k[0])
		if !ok {
			return fmt.Sprintf("options.%s is not a one-line value in the flow mapping: move it into options.auth by hand", k[0])
		}
		if len(present) == 0 {
			first = span{ks.Start, vs.End}
		}
		present = append(present, k[0])
		if v := mapValue(opts, k[0]); !isNullNode(v) && v.Value != "" {
			parts = append(parts, k[1]+": "+string(d.Src[vs.Start:vs.End]))
		}
	}
	if len(parts) == 1 {
		return "basicAuthUser and basicAuthPassword are empty: remove them by hand"
	}
	text := "auth: {" + strings.Join(parts, ", ") + "}"
	added, ok := parseLines([]string{text})
	if !ok {
		return "cannot write options.auth safely: move basicAuthUser/basicAuthPassword by hand"
	}
	k := opts.Content[mapIndex(opts, present[0])]
	o.Edits = []Edit{{Start: first.Start, End: first.End, Text: text}}
	o.Mutate = func() { splicePairs(opts, k, false, added) }
	if len(present) == 2 {
		e, mutate, ok := d.removeFlowEntry(opts, present[1])
		if !ok {
			return "cannot remove options." + present[1] + " safely: move it by hand"
		}
		o.Edits, o.Mutate = append(o.Edits, e), chain(o.Mutate, mutate)
	}
	return ""
}

// HTTPOptionsRule removes options.connectionPoolIdleTimeout, which 2.0's
// HTTP client no longer has; an `options` left empty goes with it.
type HTTPOptionsRule struct{}

// Info implements Rule.
func (HTTPOptionsRule) Info() RuleInfo {
	return RuleInfo{Name: "http-options", Keys: []string{"connectionPoolIdleTimeout"}, URL: GuideV2}
}

// Mentions implements Rule.
func (r HTTPOptionsRule) Mentions(src []byte) bool { return r.mentionsIn(newScan(src)) }

func (HTTPOptionsRule) mentionsIn(s *srcScan) bool {
	return s.keyOrEscape(keysConnectionPoolIdleTimeout)
}

// Plan implements Rule.
func (HTTPOptionsRule) Plan(d *Document) []Outcome {
	var out []Outcome
	d.eachMapping(func(m *yaml.Node, path, _ string) {
		opts := mapValue(m, "options")
		if opts == nil || opts.Kind != yaml.MappingNode || mapIndex(opts, "connectionPoolIdleTimeout") < 0 {
			return
		}
		o := outcomeAt(m, joinPath(path, "options"))
		o.From = []string{"connectionPoolIdleTimeout"}
		if len(opts.Content) == 2 {
			// the only option: remove options itself
			o.Path = path
			o.From = []string{"options"}
			out = append(out, d.removeEntryOutcome(o, m, "options"))
			return
		}
		out = append(out, d.removeEntryOutcome(o, opts, "connectionPoolIdleTimeout"))
	})
	return out
}

// the key sets of the byte scans above (scan.go)
var (
	keysBasicAuthUserBasicAuthPassword = keysOf("basicAuthUser", "basicAuthPassword")
	keysConnectionPoolIdleTimeout      = keysOf("connectionPoolIdleTimeout")
)
