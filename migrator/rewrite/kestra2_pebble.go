// The Pebble `json` filter / `json()` function rename (official rule
// renamePebbleJSON, kestra-io/kestra2-flow-migration internal/migrate/pebble.go).
// 2.0 keeps only ToJsonFilter and FromJsonFunction; on 1.3 `json` is a pure
// alias of both (JsonFilter extends ToJsonFilter, JsonFunction extends
// FromJsonFunction), so the rename is valid on 1.3 and on 2.0
// (migration-documentation/flows-changes.md, "Pebble json filter and function removed").
package rewrite

import "strings"

// PebbleEdit is one replacement inside a string: s[Off:Off+len(Old)] == Old
// becomes New. Edits never overlap and are sorted by Off.
type PebbleEdit struct {
	Off      int
	Old, New string
}

// RewritePebble renames, inside every Pebble expression `{{ }}` and tag `{% %}`
// of s, the `json` filter to `toJson` and the `json()` function to `fromJson()`.
// Untouched: text outside delimiters, comments `{# #}`, `{% raw %}` and
// `{% verbatim %}` regions, string literals, the `is json` / `is not json` test,
// member calls (`x.json(`), identifiers that merely contain json (`jsonPath`,
// `my_json`), and everything after an unterminated delimiter or string.
// This is exactly what the official tool changes (its table in
// internal/migrate/pebble_test.go TestRewritePebbleJSON is our golden table).
func RewritePebble(s string) (out string, changed bool) {
	edits := PebbleJSONEdits(s)
	if len(edits) == 0 {
		return s, false
	}
	var b strings.Builder
	b.Grow(len(s) + 4*len(edits))
	last := 0
	for _, e := range edits {
		b.WriteString(s[last:e.Off])
		b.WriteString(e.New)
		last = e.Off + len(e.Old)
	}
	b.WriteString(s[last:])
	return b.String(), true
}

// PebbleJSONEdits returns the edits RewritePebble applies, as offsets into s.
// A rule editing YAML source text can map them onto the scalar's source span
// (they only ever replace the 4 bytes "json").
func PebbleJSONEdits(s string) []PebbleEdit {
	if !strings.Contains(s, "json") { // fast path, as the official walker
		return nil
	}
	var edits []PebbleEdit
	forEachPebbleBody(s, func(start, end int) {
		edits = appendPebbleJSONEdits(edits, s, start, end)
	})
	return edits
}

// forEachPebbleBody calls fn(start, end) with the byte range of the body of
// every `{{ … }}` and `{% … %}` in s, in order. The delimiter grammar follows
// the official rewritePebbleBodies/findPebbleClose (pebble.go): a `{` not
// followed by `{`, `%` or `#` is text; `{# … #}` is skipped; the closing
// delimiter is searched past string literals and balanced `{ }` (map
// literals); `{% raw %}` / `{% verbatim %}` (with `-` whitespace control) skip
// to their end tag; an unterminated comment, delimiter, string or raw region
// ends the scan (the rest is left as it is).
func forEachPebbleBody(s string, fn func(start, end int)) {
	i := 0
	for i < len(s) {
		j := strings.IndexByte(s[i:], '{')
		if j < 0 || i+j+1 >= len(s) {
			return
		}
		open := i + j
		switch s[open+1] {
		case '#':
			k := strings.Index(s[open+2:], "#}")
			if k < 0 {
				return
			}
			i = open + 2 + k + 2
		case '{', '%':
			closing := "}}"
			if s[open+1] == '%' {
				closing = "%}"
			}
			end := findPebbleClose(s, open+2, closing)
			if end < 0 {
				return
			}
			next := end + 2
			if closing == "%}" {
				if name, ok := pebbleRawTagName(s[open+2 : end]); ok {
					k := pebbleFindEndRaw(s, next, "end"+name)
					if k < 0 {
						return
					}
					i = k
					continue
				}
			}
			fn(open+2, end)
			i = next
		default:
			i = open + 1
		}
	}
}

// findPebbleClose returns the index of the closing delimiter of a body that
// starts at from, or -1.
func findPebbleClose(s string, from int, closing string) int {
	depth := 0
	for i := from; i < len(s); i++ {
		switch s[i] {
		case '\'', '"':
			j := skipPebbleString(s, i)
			if j < 0 {
				return -1
			}
			i = j - 1
		case '{':
			depth++
		case '}':
			if depth > 0 {
				depth--
			} else if closing == "}}" && strings.HasPrefix(s[i:], "}}") {
				return i
			}
		case '%':
			if closing == "%}" && depth == 0 && strings.HasPrefix(s[i:], "%}") {
				return i
			}
		}
	}
	return -1
}

// skipPebbleString returns the index just past the string literal opening at
// s[i] (backslash escapes honoured), or -1 when it is unterminated.
func skipPebbleString(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case q:
			return j + 1
		}
	}
	return -1
}

// pebbleSpaces is the character class of Go's regexp `\s`, which the official
// patterns use: `\s*` between tokens.
const pebbleSpaces = "\t\n\f\r "

func pebbleSpace(c byte) bool { return strings.IndexByte(pebbleSpaces, c) >= 0 }

func pebbleWordByte(c byte) bool { // Go regexp `\w` (ASCII): `\b` is built on it
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// pebbleRawTagName matches a tag body against the official `^-?\s*(raw|verbatim)\s*-?$`
// (after strings.TrimSpace) and returns the tag name.
func pebbleRawTagName(body string) (string, bool) {
	t := strings.TrimSpace(body)
	t = strings.TrimLeft(strings.TrimPrefix(t, "-"), pebbleSpaces)
	t = strings.TrimRight(strings.TrimSuffix(t, "-"), pebbleSpaces)
	if t == "raw" || t == "verbatim" {
		return t, true
	}
	return "", false
}

// pebbleFindEndRaw returns the index just past the first `{%-?\s*<end>\s*-?%}` at or
// after from, or -1.
func pebbleFindEndRaw(s string, from int, end string) int {
	for i := from; i < len(s); {
		k := strings.Index(s[i:], "{%")
		if k < 0 {
			return -1
		}
		p := i + k + 2
		if p < len(s) && s[p] == '-' {
			p++
		}
		for p < len(s) && pebbleSpace(s[p]) {
			p++
		}
		if strings.HasPrefix(s[p:], end) {
			p += len(end)
			for p < len(s) && pebbleSpace(s[p]) {
				p++
			}
			if p < len(s) && s[p] == '-' {
				p++
			}
			if strings.HasPrefix(s[p:], "%}") {
				return p + 2
			}
		}
		i += k + 2
	}
	return -1
}

// Token kinds of Pebble code inside one body.
const (
	pebbleTokSpace  = iota // a run of `\s` characters
	pebbleTokWord          // a run of ASCII word characters: an identifier, a keyword or a number
	pebbleTokString        // a string literal, possibly unterminated (then it runs to the body's end)
	pebbleTokPunct         // any other single byte
)

type pebbleToken struct {
	kind       int
	start, end int // byte offsets into the scanned string
}

// pebbleTokenize splits s[start:end] into tokens.
func pebbleTokenize(s string, start, end int) []pebbleToken {
	var toks []pebbleToken
	for i := start; i < end; {
		j := i + 1
		kind := pebbleTokPunct
		switch c := s[i]; {
		case pebbleSpace(c):
			kind = pebbleTokSpace
			for j < end && pebbleSpace(s[j]) {
				j++
			}
		case pebbleWordByte(c):
			kind = pebbleTokWord
			for j < end && pebbleWordByte(s[j]) {
				j++
			}
		case c == '\'' || c == '"':
			kind = pebbleTokString
			if k := skipPebbleString(s[:end], i); k >= 0 {
				j = k
			} else {
				j = end
			}
		}
		toks = append(toks, pebbleToken{kind, i, j})
		i = j
	}
	return toks
}

// appendPebbleJSONEdits adds the edits for one body s[start:end].
//
// Filter: word `json` whose previous non-space pebbleToken is `|` (official regexp
// `(\|\s*)json\b`), with or without arguments, becomes `toJson`.
// Function: word `json` followed (after spaces) by `(`, not immediately after
// `.` (member call) and not after the `is` / `is not` test operator (official
// `\bjson\s*\(`, `.` check and `\bis\s+(?:not\s+)?$`), becomes `fromJson`.
// Strings are single tokens, so nothing inside a literal is ever renamed.
func appendPebbleJSONEdits(edits []PebbleEdit, s string, start, end int) []PebbleEdit {
	toks := pebbleTokenize(s, start, end)
	text := func(t pebbleToken) string { return s[t.start:t.end] }
	isPunct := func(k int, c byte) bool {
		return k >= 0 && k < len(toks) && toks[k].kind == pebbleTokPunct && s[toks[k].start] == c
	}
	isWord := func(k int, w string) bool {
		return k >= 0 && k < len(toks) && toks[k].kind == pebbleTokWord && text(toks[k]) == w
	}
	prevSig := func(k int) int { // previous non-space pebbleToken, or -1
		for k--; k >= 0 && toks[k].kind == pebbleTokSpace; k-- {
		}
		return k
	}
	nextSig := func(k int) int { // next non-space pebbleToken, or len(toks)
		for k++; k < len(toks) && toks[k].kind == pebbleTokSpace; k++ {
		}
		return k
	}
	for k, t := range toks {
		if t.kind != pebbleTokWord || text(t) != "json" {
			continue
		}
		p := prevSig(k)
		switch {
		case isPunct(p, '|'):
			edits = append(edits, PebbleEdit{t.start, "json", "toJson"})
		case isPunct(nextSig(k), '('):
			if isPunct(k-1, '.') || isWord(p, "is") || isWord(p, "not") && isWord(prevSig(p), "is") {
				continue
			}
			edits = append(edits, PebbleEdit{t.start, "json", "fromJson"})
		}
	}
	return edits
}
