package rewrite

import (
	"bytes"
	"strings"

	"go.yaml.in/yaml/v3"
)

// FlowIdentity reads a flow's top-level namespace and id with a line scan,
// no YAML parse: plain or quoted single-line scalars at column 0. ok is
// false when the scan cannot be sure (a key twice, an anchor, a tag, a flow
// mapping, a multi-line value...): parse the YAML then.
func FlowIdentity(src []byte) (namespace, id string, ok bool) {
	var seenNS, seenID bool
	for len(src) > 0 {
		line := src
		if i := bytes.IndexByte(src, '\n'); i >= 0 {
			line, src = src[:i], src[i+1:]
		} else {
			src = nil
		}
		for _, k := range [...]string{"namespace", "id"} {
			v, found, sure := topLevelScalar(line, k)
			if !found {
				continue
			}
			seen := &seenID
			if k == "namespace" {
				seen = &seenNS
			}
			if !sure || *seen {
				return "", "", false
			}
			*seen = true
			if k == "namespace" {
				namespace = v
			} else {
				id = v
			}
		}
	}
	return namespace, id, seenNS && seenID
}

// topLevelScalar matches `key: value` at column 0 (key plain or quoted).
func topLevelScalar(line []byte, key string) (value string, found, sure bool) {
	s := strings.TrimRight(string(line), "\r")
	for _, k := range [...]string{key, `"` + key + `"`, "'" + key + "'"} {
		rest, ok := strings.CutPrefix(s, k)
		if !ok {
			continue
		}
		rest = strings.TrimLeft(rest, " \t")
		if !strings.HasPrefix(rest, ":") {
			continue
		}
		v := strings.TrimSpace(rest[1:])
		if i := strings.Index(v, " #"); i >= 0 {
			v = strings.TrimSpace(v[:i])
		}
		if v == "" || strings.ContainsAny(v[:1], "&!*|>[{@`%") {
			return "", true, false
		}
		if q := v[0]; q == '"' || q == '\'' {
			if len(v) < 2 || v[len(v)-1] != q || strings.ContainsAny(v[1:len(v)-1], `"'\`) {
				return "", true, false
			}
			v = v[1 : len(v)-1]
		}
		return v, true, true
	}
	return "", false, false
}

// FlowIdentity reads the parsed document's top-level namespace and id; ok is
// false when the document is not a flow (not a mapping, or either key is
// missing or not a scalar).
func (d *Document) FlowIdentity() (namespace, id string, ok bool) {
	if d.Root == nil || d.Root.Kind != yaml.MappingNode {
		return "", "", false
	}
	ns, i := mapValue(d.Root, "namespace"), mapValue(d.Root, "id")
	if ns == nil || i == nil || ns.Kind != yaml.ScalarNode || i.Kind != yaml.ScalarNode || ns.Value == "" || i.Value == "" {
		return "", "", false
	}
	return ns.Value, i.Value, true
}

// Empty reports a document with no content (only comments or nothing; an
// explicit "---" with nothing after it parses to an empty null).
func (d *Document) Empty() bool {
	r := d.Root
	return r == nil || (r.Kind == yaml.ScalarNode && r.ShortTag() == "!!null" && r.Value == "" && r.Style == 0 && r.Anchor == "")
}
