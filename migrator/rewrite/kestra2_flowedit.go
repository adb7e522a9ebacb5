package rewrite

import (
	"go.yaml.in/yaml/v3"
)

// Edits of flow-style mappings ({id: a, type: t, key: v}), which compact
// flows use for small tasks and inputs. Only entries whose key and value are
// one-line scalars are handled; anything else is refused, and the rewrite
// verifies the result against the expected tree as for every edit.

// flowScalarEntry returns the spans of the key and the value of m's entry
// key, when both are one-line scalars of a flow mapping.
func (d *Document) flowScalarEntry(m *yaml.Node, key string) (k, v span, i int, ok bool) {
	i = mapIndex(m, key)
	if i < 0 || m.Style&yaml.FlowStyle == 0 {
		return span{}, span{}, -1, false
	}
	kn, vn := m.Content[i], m.Content[i+1]
	if kn.Kind != yaml.ScalarNode || vn.Kind != yaml.ScalarNode || vn.Anchor != "" || vn.Tag != "" && vn.Style&yaml.TaggedStyle != 0 {
		return span{}, span{}, -1, false
	}
	k, ok1 := d.scalarSpan(kn)
	v, ok2 := d.scalarSpan(vn)
	if !ok1 || !ok2 || kn.Line != vn.Line || v.Start < k.End {
		return span{}, span{}, -1, false
	}
	return k, v, i, true
}

// removeFlowEntry removes "key: value" from a flow mapping with its comma:
// the one after it, or for the last entry the one before it.
func (d *Document) removeFlowEntry(m *yaml.Node, key string) (Edit, func(), bool) {
	ks, vs, i, ok := d.flowScalarEntry(m, key)
	if !ok || len(m.Content) <= 2 {
		return Edit{}, nil, false
	}
	kn := m.Content[i]
	mutate := func() { removePair(m, kn) }
	if i+2 < len(m.Content) { // up to the next key
		next := d.offset(m.Content[i+2])
		if next <= vs.End || !onlyCommaSpace(d.Src[vs.End:next]) {
			return Edit{}, nil, false
		}
		return Edit{Start: ks.Start, End: next}, mutate, true
	}
	// the last entry: from the comma after the previous value
	j := ks.Start
	for j > 0 && (d.Src[j-1] == ' ' || d.Src[j-1] == '\t') {
		j--
	}
	if j == 0 || d.Src[j-1] != ',' {
		return Edit{}, nil, false
	}
	j--
	for j > 0 && (d.Src[j-1] == ' ' || d.Src[j-1] == '\t') {
		j--
	}
	return Edit{Start: j, End: vs.End}, mutate, true
}

func onlyCommaSpace(b []byte) bool {
	commas := 0
	for _, c := range b {
		switch c {
		case ',':
			commas++
		case ' ', '\t':
		default:
			return false
		}
	}
	return commas == 1
}

// insertFlowAfter writes ", key: value" after the value of the entry after
// in a flow mapping (value must be a plain scalar needing no quotes).
func (d *Document) insertFlowAfter(m *yaml.Node, after, key, value string) (Edit, func(), bool) {
	_, vs, i, ok := d.flowScalarEntry(m, after)
	if !ok || !plainSafe(key) || !plainSafe(value) {
		return Edit{}, nil, false
	}
	added, ok := parseLines([]string{key + ": " + value})
	if !ok {
		return Edit{}, nil, false
	}
	kn := m.Content[i]
	return Edit{Start: vs.End, End: vs.End, Text: ", " + key + ": " + value}, func() { splicePairs(m, kn, true, added) }, true
}
