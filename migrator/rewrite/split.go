package rewrite

import "bytes"

// SplitDocuments cuts a YAML stream (a file holding several flows) into its
// documents, byte for byte: joining the parts gives the input back. A line
// starting with "---" at column 0 always starts a new document, since YAML
// forbids it inside any scalar. The marker line stays with the document it
// opens; comments and directives before the first marker stay with the first
// document, and a document of comments only between two markers is a part of
// its own (it parses to no flow and is kept as it is).
func SplitDocuments(src []byte) [][]byte {
	var parts [][]byte
	start := 0
	for off := 0; off < len(src); {
		end := bytes.IndexByte(src[off:], '\n')
		next := len(src)
		if end >= 0 {
			next = off + end + 1
		}
		if off > start && isDocumentMarker(src[off:next]) && (hasContent(src[start:off]) || startsWithMarker(src[start:off])) {
			parts = append(parts, src[start:off])
			start = off
		}
		off = next
	}
	return append(parts, src[start:])
}

func isDocumentMarker(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("---")) {
		return false
	}
	rest := line[3:]
	return len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\n' || rest[0] == '\r'
}

// startsWithMarker: the part opens with its own "---": an explicit document,
// even if it holds only comments (it is kept as its own, empty, document).
func startsWithMarker(b []byte) bool {
	end := bytes.IndexByte(b, '\n')
	if end < 0 {
		end = len(b)
	}
	return isDocumentMarker(b[:end])
}

// hasContent: the text holds something other than blank lines, comments and
// directives, so the marker after it really ends a document.
func hasContent(b []byte) bool {
	for _, l := range bytes.Split(b, []byte{'\n'}) {
		l = bytes.TrimSpace(l)
		if len(l) > 0 && l[0] != '#' && l[0] != '%' && !isDocumentMarker(l) {
			return true
		}
	}
	return false
}
