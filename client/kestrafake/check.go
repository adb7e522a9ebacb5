package kestrafake

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// checked is what the fake's validation learned about one flow source.
type checked struct {
	parsed        bool // the YAML parsed to a mapping
	id, namespace string
	disabled      bool
	revision      int // the source's own "revision:", 0 when absent
	constraints   string
	deprecations  []string
	fields        map[string]any // top-level keys kept in the flow's JSON
}

var (
	idPattern        = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]*$`)
	namespacePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

	// flowKeys are the top-level properties of a flow; any other key is
	// rejected as Jackson does ("Unrecognized field"). Which of these a
	// server's version refuses is refusals.go's table.
	flowKeys = map[string]bool{
		"id": true, "namespace": true, "revision": true, "description": true, "labels": true,
		"inputs": true, "outputs": true, "variables": true, "tasks": true, "errors": true,
		"finally": true, "afterExecution": true, "listeners": true, "triggers": true,
		"pluginDefaults": true, "taskDefaults": true, "disabled": true, "deleted": true,
		"concurrency": true, "retry": true, "sla": true, "checks": true, "workerGroup": true,
		// 2.0 only: refusals.go refuses them on older servers.
		"policyRefs": true, "workerSelector": true,
	}
	// taskLists are the keys whose value is a list of tasks, at the top level
	// and inside flowable tasks.
	taskLists = []string{"tasks", "errors", "finally", "afterExecution", "then", "else"}
)

// check validates one flow source like Kestra's ModelValidator, as far as a
// fake can: YAML, required properties, id and namespace patterns, task ids
// and types, legacy runner/docker keys, what the server's version refuses
// (refusals.go), and the test's own validator.
func (s *Server) check(source string) checked {
	var c checked
	var problems []string
	root, err := parseRoot(source)
	if err != nil {
		c.constraints = "Unable to parse flow: " + err.Error()
		return c
	}
	c.parsed = true
	c.fields = make(map[string]any)
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i].Value, root.Content[i+1]
		problems = append(problems, c.topLevel(k, v)...)
	}
	problems = append(problems, checkRequired(&c, root)...)
	for _, list := range []string{"tasks", "errors", "finally", "afterExecution"} {
		if v := lookup(root, list); v != nil {
			problems = append(problems, s.checkTasks(&c, list, v)...)
		}
	}
	problems = append(problems, s.refusedBy(root)...)
	if s.validator != nil {
		if msg := s.validator(c.namespace, c.id, []byte(source)); msg != "" {
			problems = append(problems, msg)
		}
	}
	c.constraints = strings.Join(problems, ", ")
	return c
}

func parseRoot(source string) (*yaml.Node, error) {
	if strings.TrimSpace(source) == "" {
		return nil, fmt.Errorf("empty source")
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(source), &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("a flow must be a YAML mapping")
	}
	return doc.Content[0], nil
}

// topLevel reads one top-level key.
func (c *checked) topLevel(k string, v *yaml.Node) []string {
	switch k {
	case "id":
		c.id = v.Value
		return nil
	case "namespace":
		c.namespace = v.Value
		return nil
	case "revision":
		c.revision, _ = strconv.Atoi(v.Value)
		return nil
	case "disabled":
		c.disabled = v.Value == "true"
	}
	if !flowKeys[k] {
		return []string{fmt.Sprintf("Unrecognized field %q", k)}
	}
	var val any
	if err := v.Decode(&val); err != nil {
		return []string{k + ": " + err.Error()}
	}
	c.fields[k] = jsonable(val)
	return nil
}

func checkRequired(c *checked, root *yaml.Node) []string {
	var p []string
	switch {
	case c.id == "":
		p = append(p, "id: must not be null")
	case len(c.id) > 100 || !idPattern.MatchString(c.id):
		p = append(p, fmt.Sprintf("id: must match %q and be at most 100 characters", idPattern))
	}
	switch {
	case c.namespace == "":
		p = append(p, "namespace: must not be null")
	case len(c.namespace) > 150 || !namespacePattern.MatchString(c.namespace):
		p = append(p, fmt.Sprintf("namespace: must match %q and be at most 150 characters", namespacePattern))
	}
	if t := lookup(root, "tasks"); t == nil || t.Kind != yaml.SequenceNode || len(t.Content) == 0 {
		p = append(p, "tasks: must not be empty")
	}
	return p
}

// checkTasks checks a list of tasks and recurses into flowable tasks. Paths
// restart at each nested list, as Kestra reports them: a task inside a
// WorkingDirectory's tasks shows as "tasks[1].runner".
func (s *Server) checkTasks(c *checked, list string, seq *yaml.Node) []string {
	if seq.Kind != yaml.SequenceNode {
		return []string{list + ": must be a list of tasks"}
	}
	var p []string
	for i, task := range seq.Content {
		path := fmt.Sprintf("%s[%d]", list, i)
		if task.Kind != yaml.MappingNode {
			p = append(p, path+": must be a task mapping")
			continue
		}
		p = append(p, s.checkTask(c, path, task)...)
		for _, sub := range taskLists {
			if v := lookup(task, sub); v != nil {
				p = append(p, s.checkTasks(c, sub, v)...)
			}
		}
		if cases := lookup(task, "cases"); cases != nil && cases.Kind == yaml.MappingNode {
			for j := 0; j+1 < len(cases.Content); j += 2 {
				p = append(p, s.checkTasks(c, cases.Content[j].Value, cases.Content[j+1])...)
			}
		}
	}
	return p
}

func (s *Server) checkTask(c *checked, path string, task *yaml.Node) []string {
	var p []string
	typ := lookup(task, "type")
	if v := lookup(task, "id"); v == nil || v.Value == "" {
		p = append(p, path+".id: must not be null")
	}
	if typ == nil || typ.Value == "" {
		p = append(p, path+".type: must not be null")
	}
	// Kestra 2.0 parses runner and ignores it: no deprecation reported.
	if lookup(task, "runner") != nil && !s.version.atLeast(2, 0) {
		c.deprecations = append(c.deprecations, path+".runner")
	}
	if lookup(task, "docker") != nil {
		if s.version.atLeast(2, 0) {
			p = append(p, fmt.Sprintf("%s: Unrecognized field \"docker\" (class %s), not marked as ignorable", path, typeName(typ)))
		} else {
			c.deprecations = append(c.deprecations, path+".docker")
		}
	}
	return p
}

func typeName(typ *yaml.Node) string {
	if typ == nil {
		return "unknown"
	}
	return typ.Value
}

// lookup returns the value of key in a mapping node, or nil.
func lookup(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// jsonable turns decoded YAML into values encoding/json accepts.
func jsonable(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = jsonable(e)
		}
		return t
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[fmt.Sprint(k)] = jsonable(e)
		}
		return m
	case []any:
		for i, e := range t {
			t[i] = jsonable(e)
		}
		return t
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return fmt.Sprint(t)
		}
	}
	return v
}
