package rewrite

import (
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// carried is a docker option moving into the new taskRunner (or image into
// containerImage): its original text and the column that text was written at.
type carried struct {
	name  string     // the target key
	key   *yaml.Node // original key (nil for image)
	value *yaml.Node
	text  string // "name: value..." for options, the bare value text for the image
	col   int    // column of the text's first line in the source (flow style: -1, single line)
}

// taskPlan is what one task mapping says about its runner.
type taskPlan struct {
	m        *yaml.Node
	col      int // the column of the task's keys
	runner   *entry
	docker   *entry
	tr       *entry // explicit taskRunner
	trType   string
	ci       *entry // existing containerImage
	hasOD    bool   // outputDirectory is set
	options  []carried
	image    *carried
	hasEntry bool // docker.entryPoint is set
}

// planTask decides one task found anywhere in the flow.
func (r *RunnerRule) planTask(d *Document, t *yaml.Node, path string) (Outcome, bool) {
	o := Outcome{Change: Change{Path: path, TaskID: scalarString(taskValue(t, "id")), Type: scalarString(taskValue(t, "type"))}}
	return r.planMapping(d, t, o)
}

// planMapping decides the rewrite of one task mapping (or defaults values).
func (r *RunnerRule) planMapping(d *Document, m *yaml.Node, o Outcome) (Outcome, bool) {
	legacy := mapIndex(m, "runner") >= 0 || mapIndex(m, "docker") >= 0
	dockerOptions := mapIndex(m, "dockerOptions") >= 0
	switch {
	case mergesLegacy(m, map[*yaml.Node]bool{}):
		o.Unsupported = "runner/docker/dockerOptions come through a YAML merge key (<<): migrate it by hand"
		return o, true
	case !legacy && !dockerOptions:
		return o, false
	case !r.inScope(o.Type):
		o.Unsupported = outOfScopeReason(o.Type)
		return o, true
	case dockerOptions:
		o.Unsupported = fmt.Sprintf("%s sets dockerOptions, the legacy option of older plugin versions, which no rule migrates: migrate it by hand", o.Type)
		return o, true
	}
	if m.Style&yaml.FlowStyle != 0 {
		o.Unsupported = "the task is a flow-style mapping ({...}) that cannot be edited safely"
		return o, true
	}
	if k := duplicateKey(m); k != "" {
		o.Unsupported = fmt.Sprintf("the key %q appears twice in the task (Kestra keeps the last one): fix it by hand", k)
		return o, true
	}
	p, reason := r.readTask(d, m)
	if reason != "" {
		o.Unsupported = reason
		return o, true
	}
	return r.rewriteTask(d, p, o)
}

// readTask gathers the task's legacy and current keys, refusing what cannot
// be migrated faithfully.
func (r *RunnerRule) readTask(d *Document, m *yaml.Node) (*taskPlan, string) {
	p := &taskPlan{m: m}
	for _, e := range d.mappingEntries(m) {
		e := e
		switch e.Key.Value {
		case "runner":
			p.runner = &e
		case "docker":
			p.docker = &e
		case "taskRunner":
			p.tr = &e
		case "containerImage":
			p.ci = &e
		case "outputDirectory":
			p.hasOD = true
		}
		p.col = e.Col
	}
	for _, e := range []*entry{p.runner, p.docker} {
		if e == nil {
			continue
		}
		if reason := d.sharedNode(e.Key.Value, e.Value); reason != "" {
			return nil, reason
		}
	}
	if p.runner != nil {
		v := p.runner.Value
		if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" || (v.Value != "DOCKER" && v.Value != "PROCESS") {
			return nil, fmt.Sprintf("runner value %q is neither DOCKER nor PROCESS (Kestra's enum is case sensitive)", nodeText(d, v))
		}
	}
	if p.tr != nil {
		p.trType = scalarString(mapValue(p.tr.Value, "type"))
		if p.tr.Value.Kind != yaml.MappingNode || p.trType == "" {
			return nil, "taskRunner has no plain type: migrate it by hand"
		}
	}
	if p.docker != nil {
		if reason := r.readDocker(d, p); reason != "" {
			return nil, reason
		}
	}
	return p, ""
}

// readDocker collects the docker options to carry into the task runner.
func (r *RunnerRule) readDocker(d *Document, p *taskPlan) string {
	v := p.docker.Value
	if isNullNode(v) {
		return ""
	}
	if v.Kind != yaml.MappingNode {
		return "docker is not a mapping"
	}
	flow := v.Style&yaml.FlowStyle != 0
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		target, known := dockerKeys[k.Value]
		switch {
		case k.Kind != yaml.ScalarNode || !known:
			return fmt.Sprintf("unknown docker option %q", nodeText(d, k))
		case target == "":
			return fmt.Sprintf("docker.%s has no counterpart in the Docker task runner", k.Value)
		case isNullNode(val) && k.Value == "image":
			continue // no image: the task's default containerImage applies
		}
		c, reason := r.carry(d, k, val, target, flow)
		if reason != "" {
			return reason
		}
		switch k.Value {
		case "image":
			p.image = &c
		case "entryPoint":
			p.hasEntry = true
			p.options = append(p.options, c)
		default:
			p.options = append(p.options, c)
		}
	}
	return ""
}

// carry takes one docker option's original text.
func (r *RunnerRule) carry(d *Document, k, v *yaml.Node, target string, flow bool) (carried, string) {
	c := carried{name: target, key: k, value: v, col: -1}
	if flow {
		text, ok := flowValueText(d.Src, d.offset(v))
		if !ok || strings.ContainsAny(text, "\r\n") {
			return c, fmt.Sprintf("docker.%s spans lines inside a flow mapping: migrate it by hand", k.Value)
		}
		c.text = text
		if k.Value != "image" {
			c.text = target + ": " + text
		}
		return c, ""
	}
	e := d.entryOf(k, v)
	c.col = e.Col
	if k.Value == "image" {
		text, ok := d.valueText(e)
		if !ok {
			return c, "docker.image has no value"
		}
		c.text = text
		return c, ""
	}
	if e.Explicit { // "? key" / ": value": written anew as "target: value"
		text, ok := d.valueText(e)
		if !ok {
			text = "null"
		}
		c.text = target + ": " + text
		return c, ""
	}
	text := string(d.Src[d.offset(k):e.ContentEnd])
	if target != k.Value {
		text = target + text[keyTokenLen(k):]
	}
	c.text = text
	return c, ""
}

// rewriteTask turns the plan into text edits and the expected tree change.
func (r *RunnerRule) rewriteTask(d *Document, p *taskPlan, o Outcome) (Outcome, bool) {
	// docker: {} is a docker block with no keys (docker: ~ and an empty value are none)
	hasDocker := p.docker != nil && !isNullNode(p.docker.Value)
	newTR, replaceTR := "", false
	switch {
	case p.tr != nil:
		if p.runner != nil {
			o.warn("%s: runner %s dropped, the explicit taskRunner wins; on Kestra 0.18 to 1.3 releases before the May 2026 precedence fix runner won, so behaviour may change",
				o.Describe(), p.runner.Value.Value)
		}
		if hasDocker && typeIn(p.trType, knownDockerTypes) {
			newTR, replaceTR = p.trType, true
			if lost := otherKeys(p.tr.Value, "type"); len(lost) > 0 {
				o.warn("%s: the docker block replaced the Docker taskRunner at run time, so its own keys are lost: %s",
					o.Describe(), strings.Join(lost, ", "))
			}
		} else if hasDocker {
			o.warn("%s: docker dropped: the %s taskRunner ignored it", o.Describe(), p.trType)
		}
	case p.runner != nil && p.runner.Value.Value == "PROCESS":
		newTR = r.processType
		if hasDocker {
			o.warn("%s: docker dropped: runner PROCESS ignored it", o.Describe())
		}
	case p.runner != nil || hasDocker:
		newTR = r.dockerType
	}
	toDocker := newTR != "" && newTR != r.processType && !typeIn(newTR, knownProcessTypes)
	if toDocker && hasDocker && !p.hasEntry {
		o.warn("%s: the legacy docker runner kept the image's ENTRYPOINT, the Docker task runner clears it (entryPoint [\"\"]): check images that rely on an ENTRYPOINT",
			o.Describe())
	}
	image := p.image
	if !toDocker {
		image = nil
	}
	addOD := p.runner != nil && p.tr == nil && !p.hasOD && mentionsOutputDir(p.m)
	for _, e := range sortedEntries(p.runner, p.docker) {
		o.From = append(o.From, e.Key.Value)
	}
	o.To = []string{}
	if newTR != "" {
		o.To = append(o.To, "taskRunner")
	}
	if image != nil {
		o.To = append(o.To, "containerImage")
	}
	if addOD {
		o.To = append(o.To, "outputDirectory")
	}
	b := &planBuilder{MappingEditor: NewMappingEditor(d, p.m, p.col), p: p, step: d.IndentStep(p.m), o: &o}
	b.edits(newTR, replaceTR, image, addOD)
	if o.Unsupported != "" {
		return o, true
	}
	o.Mutate = func() { r.mutate(p, newTR, replaceTR, toDocker, image, addOD) }
	return o, true
}

// mutate applies the rewrite to the parsed tree, giving the expected result.
func (r *RunnerRule) mutate(p *taskPlan, newTR string, replaceTR, toDocker bool, image *carried, addOD bool) {
	m := p.m
	pos := len(m.Content)
	for _, key := range []string{"runner", "docker"} {
		if i := mapIndex(m, key); i >= 0 {
			if i < pos {
				pos = i
			}
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
		}
	}
	if pos > len(m.Content) {
		pos = len(m.Content)
	}
	var add []*yaml.Node
	if newTR != "" {
		tr := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{strNode("type"), strNode(newTR)}}
		if toDocker {
			for _, c := range p.options {
				tr.Content = append(tr.Content, strNode(c.name), c.value)
			}
		}
		if replaceTR {
			m.Content[mapIndex(m, "taskRunner")+1] = tr
		} else {
			add = append(add, strNode("taskRunner"), tr)
		}
	}
	if image != nil {
		if i := mapIndex(m, "containerImage"); i >= 0 {
			m.Content[i+1] = image.value
		} else {
			add = append(add, strNode("containerImage"), image.value)
		}
	}
	if addOD {
		add = append(add, strNode("outputDirectory"), &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
	}
	m.Content = append(m.Content[:pos], append(add, m.Content[pos:]...)...)
}

func strNode(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

// otherKeys lists the keys of mapping m other than except, in order.
func otherKeys(m *yaml.Node, except string) []string {
	var keys []string
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i].Value; k != except {
			keys = append(keys, k)
		}
	}
	return keys
}

// mergesLegacy reports a "<<" merge that brings runner, docker or
// dockerOptions in. seen visits each merged mapping once, so that chains of
// merges stay linear.
func mergesLegacy(m *yaml.Node, seen map[*yaml.Node]bool) bool {
	for _, s := range mergeSources(m) {
		if seen[s] {
			continue
		}
		seen[s] = true
		if mapValue(s, "runner") != nil || mapValue(s, "docker") != nil || mapValue(s, "dockerOptions") != nil || mergesLegacy(s, seen) {
			return true
		}
	}
	return false
}

// mergeSources lists the mappings a "<<" key of m merges in.
func mergeSources(m *yaml.Node) []*yaml.Node {
	v := mapValue(m, "<<")
	if v == nil {
		return nil
	}
	sources := []*yaml.Node{v}
	if v = resolveAlias(v); v.Kind == yaml.SequenceNode {
		sources = v.Content
	}
	out := make([]*yaml.Node, 0, len(sources))
	for _, s := range sources {
		if s = resolveAlias(s); s != nil && s.Kind == yaml.MappingNode {
			out = append(out, s)
		}
	}
	return out
}

// mentionsOutputDir: any string in the task uses the legacy output dir
// ({{ outputDir }}, {{outputDir}}, OUTPUT_DIR).
func mentionsOutputDir(m *yaml.Node) bool {
	found := false
	walkNodes(m, func(n *yaml.Node) {
		if found || n.Kind != yaml.ScalarNode {
			return
		}
		found = hasWord(n.Value, "OUTPUT_DIR") || hasWord(n.Value, "outputDir")
	})
	return found
}

// hasWord finds w as a whole word: neither preceded nor followed by a
// letter, digit or underscore ($OUTPUT_DIR, {{outputDir}}; not
// SPARK_OUTPUT_DIR, OUTPUT_DIRECTORY, outputDirs).
func hasWord(s, w string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(w)
		if (start == 0 || !isAlnum(s[start-1])) && (end == len(s) || !isAlnum(s[end])) {
			return true
		}
		i = start + 1
	}
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// sharedNode refuses a legacy value that is an alias or anchors a node used elsewhere.
func (d *Document) sharedNode(key string, v *yaml.Node) string {
	reason := ""
	walkNodes(v, func(n *yaml.Node) {
		switch {
		case reason != "":
		case n.Kind == yaml.AliasNode:
			reason = fmt.Sprintf("%s uses the alias *%s: migrate it by hand", key, n.Value)
		case n.Anchor != "" && d.aliased[n.Anchor]:
			reason = fmt.Sprintf("%s anchors &%s, which is used elsewhere: migrate it by hand", key, n.Anchor)
		}
	})
	return reason
}

// nodeText is a node's value for messages.
func nodeText(d *Document, n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return n.Value
	}
	off := d.offset(n)
	if off < 0 {
		return "?"
	}
	end := off
	for end < len(d.Src) && d.Src[end] != '\n' && end-off < 40 {
		end++
	}
	return strings.TrimSpace(string(d.Src[off:end]))
}

// keyTokenLen is the byte length of a key's token: plain, or quoted with no escapes.
func keyTokenLen(k *yaml.Node) int {
	if k.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		return len(k.Value) + 2
	}
	return len(k.Value)
}

// sortedEntries orders entries by their position in the source.
func sortedEntries(es ...*entry) []*entry {
	var out []*entry
	for _, e := range es {
		if e != nil {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Span.Start < out[j].Span.Start })
	return out
}

// duplicateKey returns a key that mapping m holds twice, or "".
func duplicateKey(m *yaml.Node) string {
	seen := make(map[string]bool, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i].Value
		if seen[k] {
			return k
		}
		seen[k] = true
	}
	return ""
}
