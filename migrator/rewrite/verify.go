package rewrite

import (
	"maps"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// equalNodes compares two YAML trees structurally: resolved tags and values,
// mappings regardless of key order. Aliases are not expanded (a "billion
// laughs" document would take exponential time): an alias matches an alias
// whose anchor was matched to its anchor, so the comparison is linear in the
// size of the documents. It returns the path of the first difference.
func equalNodes(a, b *yaml.Node, path string) (string, bool) {
	c := comparer{anchors: map[*yaml.Node]*yaml.Node{}}
	var where []string
	if !c.equal(a, b, &where) {
		p := path
		for i := len(where) - 1; i >= 0; i-- {
			p = joinStep(p, where[i])
		}
		return p, false
	}
	return path, true
}

type comparer struct {
	// anchors maps each anchored node of a to the node of b it matched.
	anchors map[*yaml.Node]*yaml.Node
}

// equal compares a and b; on a difference it appends the path steps to
// where, innermost first (paths are built only for the one difference).
func (c *comparer) equal(a, b *yaml.Node, where *[]string) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Kind == yaml.AliasNode || b.Kind == yaml.AliasNode {
		if a.Kind != b.Kind || a.Alias == nil || b.Alias == nil {
			return false
		}
		if m, seen := c.anchors[a.Alias]; seen {
			return m == b.Alias
		}
		return c.equal(a.Alias, b.Alias, where)
	}
	if a.Anchor != "" || b.Anchor != "" {
		if m, seen := c.anchors[a]; seen {
			return m == b
		}
		c.anchors[a] = b
	}
	if a.Kind != b.Kind {
		return false
	}
	switch a.Kind {
	case yaml.ScalarNode:
		ta, tb := a.ShortTag(), b.ShortTag()
		return ta == tb && (ta == "!!null" || a.Value == b.Value)
	case yaml.MappingNode:
		return c.equalMappings(a, b, where)
	case yaml.SequenceNode, yaml.DocumentNode:
		if len(a.Content) != len(b.Content) {
			return false
		}
		for i := range a.Content {
			if !c.equal(a.Content[i], b.Content[i], where) {
				if a.Kind == yaml.SequenceNode {
					*where = append(*where, "["+strconv.Itoa(i)+"]")
				}
				return false
			}
		}
	}
	return true
}

func (c *comparer) equalMappings(a, b *yaml.Node, where *[]string) bool {
	if len(a.Content) != len(b.Content) {
		return false
	}
	keys := keyFinder{b: b, used: make([]bool, len(b.Content)/2), parent: c}
	for i := 0; i+1 < len(a.Content); i += 2 {
		key := a.Content[i]
		j := keys.find(key, i)
		if j < 0 {
			*where = append(*where, key.Value)
			return false
		}
		if !c.equal(a.Content[i+1], b.Content[j+1], where) {
			*where = append(*where, key.Value)
			return false
		}
	}
	return true
}

// keyFinder finds the not yet matched key of b equal to a key of a: the
// same position first (the common case), else through an index of b's
// scalar keys, so that a mapping with many keys stays linear.
type keyFinder struct {
	b      *yaml.Node
	used   []bool
	index  map[string][]int
	parent *comparer // the comparison the mapping is part of
}

func (f *keyFinder) find(key *yaml.Node, at int) int {
	if at+1 < len(f.b.Content) && !f.used[at/2] && sameScalarKey(key, f.b.Content[at]) {
		f.used[at/2] = true
		return at
	}
	if key.Kind == yaml.ScalarNode {
		if f.index == nil {
			f.index = map[string][]int{}
			for j := 0; j+1 < len(f.b.Content); j += 2 {
				if k := f.b.Content[j]; k.Kind == yaml.ScalarNode {
					f.index[scalarKey(k)] = append(f.index[scalarKey(k)], j)
				}
			}
		}
		for _, j := range f.index[scalarKey(key)] {
			if !f.used[j/2] {
				f.used[j/2] = true
				return j
			}
		}
		return -1
	}
	for j := 0; j+1 < len(f.b.Content); j += 2 { // complex keys: rare
		if !f.used[j/2] {
			// a trial on its own copy of the anchors matched so far: a failed
			// trial must not leave its guesses behind, and an alias in the key
			// to an anchor being compared (the key inside it) must find that
			// anchor matched, or the comparison would follow the cycle forever
			c := comparer{anchors: maps.Clone(f.parent.anchors)}
			if c.equal(key, f.b.Content[j], new([]string)) {
				f.used[j/2] = true
				return j
			}
		}
	}
	return -1
}

func sameScalarKey(a, b *yaml.Node) bool {
	return a.Kind == yaml.ScalarNode && b.Kind == yaml.ScalarNode && scalarKey(a) == scalarKey(b)
}

func scalarKey(n *yaml.Node) string {
	if t := n.ShortTag(); t == "!!null" {
		return t
	}
	return n.ShortTag() + "\x00" + n.Value
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func joinStep(path, step string) string {
	if len(step) > 0 && step[0] == '[' {
		return path + step
	}
	return joinPath(path, step)
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
