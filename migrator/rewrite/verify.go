package rewrite

import (
	"strconv"

	"go.yaml.in/yaml/v3"
)

// equalNodes compares two YAML trees structurally: resolved tags and values,
// mappings regardless of key order, aliases followed. It returns the path of
// the first difference.
func equalNodes(a, b *yaml.Node, path string) (string, bool) {
	a, b = resolveAlias(a), resolveAlias(b)
	if a == nil || b == nil {
		return path, a == b
	}
	if a.Kind != b.Kind {
		return path, false
	}
	switch a.Kind {
	case yaml.ScalarNode:
		ta, tb := a.ShortTag(), b.ShortTag()
		if ta != tb {
			return path, false
		}
		return path, ta == "!!null" || a.Value == b.Value
	case yaml.SequenceNode:
		if len(a.Content) != len(b.Content) {
			return path, false
		}
		for i := range a.Content {
			if p, ok := equalNodes(a.Content[i], b.Content[i], path+"["+strconv.Itoa(i)+"]"); !ok {
				return p, false
			}
		}
		return path, true
	case yaml.MappingNode:
		return equalMappings(a, b, path)
	case yaml.DocumentNode:
		return equalNodes(a.Content[0], b.Content[0], path)
	}
	return path, true
}

func equalMappings(a, b *yaml.Node, path string) (string, bool) {
	if len(a.Content) != len(b.Content) {
		return path, false
	}
	used := make([]bool, len(b.Content)/2)
	for i := 0; i+1 < len(a.Content); i += 2 {
		key := a.Content[i]
		j := findKey(b, key, used)
		if j < 0 {
			return joinPath(path, key.Value), false
		}
		used[j/2] = true
		if p, ok := equalNodes(a.Content[i+1], b.Content[j+1], joinPath(path, key.Value)); !ok {
			return p, false
		}
	}
	return path, true
}

// findKey finds a not yet matched key of b equal to key; the common case of
// the same order is tried first.
func findKey(b, key *yaml.Node, used []bool) int {
	for j := 0; j+1 < len(b.Content); j += 2 {
		if used[j/2] {
			continue
		}
		if _, ok := equalNodes(key, b.Content[j], ""); ok {
			return j
		}
	}
	return -1
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
