package rewrite

import "bytes"

// MentionsKey reports whether src may use one of keys as a mapping key
// anywhere. It looks back from every ':' over white space (line breaks too:
// a "? key" complex key puts ':' on the next line) and an optional closing
// quote for a whole word that is one of keys. It errs on the side of yes (a
// "runner:" inside a script makes the caller parse); it never misses a real
// key. One pass over the bytes, no allocation.
func MentionsKey(src []byte, keys ...string) bool {
	for from := 0; ; {
		i := bytes.IndexByte(src[from:], ':')
		if i < 0 {
			return false
		}
		i += from
		from = i + 1
		j := i
		for j > 0 && (src[j-1] == ' ' || src[j-1] == '\t' || src[j-1] == '\n' || src[j-1] == '\r') {
			j--
		}
		if j > 0 && (src[j-1] == '"' || src[j-1] == '\'') {
			j--
		}
		for _, k := range keys {
			if j >= len(k) && string(src[j-len(k):j]) == k && keyBefore(src, j-len(k)) {
				return true
			}
		}
	}
}

// keyBefore: what precedes the word may start a key (line start, space,
// indicator, flow punctuation or an opening quote).
func keyBefore(src []byte, i int) bool {
	if i == 0 {
		return true
	}
	switch c := src[i-1]; c {
	case '"', '\'':
		return keyBefore(src, i-1)
	case ' ', '\t', '\n', '\r', '{', ',', '[', '-', '?':
		return true
	}
	return false
}
