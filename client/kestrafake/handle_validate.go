package kestrafake

import (
	"net/http"
	"regexp"
	"strings"
)

// splitRegexp is Kestra's document split for the validate endpoint.
var splitRegexp = regexp.MustCompile(`\n+---\n*?`)

// splitLikeJava splits as Java's String.split: trailing empty strings dropped.
func splitLikeJava(body string) []string {
	parts := splitRegexp.Split(body, -1)
	for len(parts) > 1 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

func (s *Server) handleValidate(w http.ResponseWriter, r *http.Request) {
	body, ok := readYAML(w, r)
	if !ok {
		return
	}
	docs := splitLikeJava(strings.TrimSpace(body))
	out := make([]map[string]any, 0, len(docs))
	s.mu.Lock()
	for i, doc := range docs {
		out = append(out, s.validateOne(i, doc))
	}
	s.mu.Unlock()
	writeValue(w, out)
}

// validateOne is one ValidateConstraintViolation. Caller holds mu.
func (s *Server) validateOne(i int, doc string) map[string]any {
	c := s.check(doc)
	v := map[string]any{"index": i, "outdated": false}
	if c.constraints != "" {
		v["constraints"] = c.constraints
	}
	if !c.parsed {
		return v
	}
	v["flow"], v["namespace"] = c.id, c.namespace
	v["deprecationPaths"] = nonNil(c.deprecations)
	v["warnings"] = []string{}
	if s.version.atLeast(0, 20) {
		v["infos"] = []string{}
	}
	if c.revision != 0 {
		next := 1
		if rec, ok := s.flows[key(c.namespace, c.id)]; ok {
			next = rec.current().num + 1
		}
		v["outdated"] = c.revision != next
	}
	return v
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
