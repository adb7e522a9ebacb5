package migrator

import "bytes"

// mentionsKey reports whether src may use key as a mapping key anywhere:
// the word, optionally quoted, not part of a longer name, followed by
// optional spaces and a colon. It errs on the side of yes (a "runner:"
// inside a script makes the caller parse); it never misses a real key.
func mentionsKey(src []byte, key string) bool {
	k := []byte(key)
	for from := 0; ; {
		i := bytes.Index(src[from:], k)
		if i < 0 {
			return false
		}
		i += from
		from = i + len(k)
		if keyBefore(src, i) && keyAfter(src, from) {
			return true
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

// keyAfter: the word is followed by an optional closing quote, white space
// (line breaks too: a "? key" complex key puts ':' on the next line) and ':'.
func keyAfter(src []byte, j int) bool {
	if j < len(src) && (src[j] == '"' || src[j] == '\'') {
		j++
	}
	for j < len(src) && (src[j] == ' ' || src[j] == '\t' || src[j] == '\r' || src[j] == '\n') {
		j++
	}
	return j < len(src) && src[j] == ':'
}
