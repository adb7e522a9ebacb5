package rewrite

import "bytes"

// MentionsKey reports whether src may use one of keys as a mapping key
// anywhere; false is a proof that it does not, so the caller may skip the
// parse. Without escapes, aliases, tags or merges, a key's value is its own
// text: a key equal to a word is that word, preceded by what may start a key
// (line start, white space, an indicator, flow punctuation, a quote) and
// followed by an optional closing quote, blanks and what may end a key (':',
// a line break for "? key", a comment, flow punctuation, the end). Whatever
// could spell a key otherwise (an escape in a double-quoted scalar, an alias,
// a tag, a merge key, a byte order mark, line breaks other than LF and CR)
// answers yes. It errs on the side of yes (a "runner:" inside a script makes
// the caller parse). A few passes over the bytes, no allocation.
func MentionsKey(src []byte, keys ...string) bool {
	if mayRespell(src) {
		return true
	}
	for _, k := range keys {
		for from := 0; ; {
			i := bytes.Index(src[from:], []byte(k))
			if i < 0 {
				break
			}
			i += from
			from = i + 1
			if keyBefore(src, i) && keyAfter(src, i+len(k)) {
				return true
			}
		}
	}
	return false
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
	case ' ', '\t', '\n', '\r', '{', ',', '[', '-', '?', ':':
		return true
	}
	return false
}

// keyAfter: what follows the word (after an optional closing quote and
// blanks) may end a key.
func keyAfter(src []byte, j int) bool {
	if j < len(src) && (src[j] == '"' || src[j] == '\'') {
		j++
	}
	for j < len(src) && (src[j] == ' ' || src[j] == '\t') {
		j++
	}
	if j == len(src) {
		return true
	}
	switch src[j] {
	case ':', '\n', '\r', '#', ',', '}', ']':
		return true
	}
	return false
}

// mayRespell finds what could make a key's value differ from its text: an
// escape in a double-quoted scalar (a backslash after a '"' on its line),
// an alias or a tag where a node may start, a merge key, a byte order mark,
// or a line break YAML knows and a line scan does not (NEL, LS, PS).
func mayRespell(src []byte) bool {
	if bytes.Contains(src, []byte("<<")) || bytes.Contains(src, []byte("\ufeff")) ||
		bytes.Contains(src, []byte("\u0085")) || bytes.Contains(src, []byte("\u2028")) || bytes.Contains(src, []byte("\u2029")) {
		return true
	}
	// each search is a vectorised scan (these bytes are rare); every byte
	// is looked at a bounded number of times, so the scan stays linear
	quote, pos := false, 0 // a '"' on the current line before pos
	for from := 0; ; {
		i := bytes.IndexByte(src[from:], '\\')
		if i < 0 {
			break
		}
		i += from
		from = i + 1
		seg := src[pos:i]
		if nl := bytes.LastIndexAny(seg, "\r\n"); nl >= 0 {
			quote, seg = false, seg[nl+1:]
		}
		quote = quote || bytes.IndexByte(seg, '"') >= 0
		if quote {
			return true
		}
		pos = i
	}
	for _, c := range []byte{'*', '!'} {
		for from := 0; ; {
			i := bytes.IndexByte(src[from:], c)
			if i < 0 {
				break
			}
			i += from
			from = i + 1
			if nodeStart(src, i) && i+1 < len(src) && !isFlowOrBlank(src[i+1]) {
				return true
			}
		}
	}
	return false
}

// nodeStart: position i may begin a node (an alias or a tag there is one).
func nodeStart(src []byte, i int) bool {
	if i == 0 {
		return true
	}
	switch src[i-1] {
	case ' ', '\t', '\n', '\r', '{', ',', '[', '-', '?', ':':
		return true
	}
	return false
}

func isFlowOrBlank(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', ',', '[', ']', '{', '}':
		return true
	}
	return false
}
