package migrator

import (
	"sort"
	"strings"

	udiff "github.com/aymanbagabas/go-udiff"
)

// hunk replaces base[start:end] with text; ranges sit on line boundaries.
type hunk struct {
	start, end int
	text       string
}

// merge3 combines the changes base->ours and base->theirs when they touch
// different lines; an insertion next to the other side's change, or both
// inserting at one point, keeps both (ours first). ok is false when both
// change the same or adjacent lines.
func merge3(base, ours, theirs string) (merged string, ok bool) {
	a, b := lineHunks(base, udiff.Strings(base, ours)), lineHunks(base, udiff.Strings(base, theirs))
	all := make([]hunk, 0, len(a)+len(b))
	for _, x := range a {
		for _, y := range b {
			if x.start == x.end && y.start == y.end && x.start == y.start {
				continue // two insertions at one point: concatenated below
			}
			xInsert, yInsert := x.start == x.end, y.start == y.end
			touching := x.start <= y.end && y.start <= x.end
			overlapping := x.start < y.end && y.start < x.end
			if overlapping || touching && !xInsert && !yInsert {
				return "", false
			}
		}
	}
	all = append(append(all, a...), b...)
	sort.SliceStable(all, func(i, j int) bool { return all[i].start < all[j].start })
	var sb strings.Builder
	prev := 0
	for _, h := range all {
		sb.WriteString(base[prev:h.start])
		sb.WriteString(h.text)
		prev = h.end
	}
	sb.WriteString(base[prev:])
	return sb.String(), true
}

// lineHunks widens character edits to whole lines (an insertion at a line
// boundary stays an insertion) and joins those that share a line.
func lineHunks(base string, edits []udiff.Edit) []hunk {
	udiff.SortEdits(edits)
	var out []hunk
	for _, e := range edits {
		s, t := e.Start, e.End
		if !(s == t && atLineStart(base, s)) {
			s = lineStartAt(base, s)
			if !atLineStart(base, t) {
				t = lineEndAt(base, t)
			}
		}
		if n := len(out); n > 0 && s <= out[n-1].end && !(s == t && s == out[n-1].end && out[n-1].start != out[n-1].end) {
			last := &out[n-1]
			if t > last.end {
				last.end = t
			}
			continue
		}
		out = append(out, hunk{start: s, end: t})
	}
	// each hunk's text: its base range with the edits inside it applied
	for i := range out {
		h := &out[i]
		var inside []udiff.Edit
		for _, e := range edits {
			if e.Start >= h.start && e.End <= h.end && !(e.Start == h.end && h.start != h.end) {
				inside = append(inside, udiff.Edit{Start: e.Start - h.start, End: e.End - h.start, New: e.New})
			}
		}
		h.text, _ = udiff.Apply(base[h.start:h.end], inside)
	}
	return out
}

func atLineStart(s string, i int) bool { return i == 0 || i == len(s) || s[i-1] == '\n' }

func lineStartAt(s string, i int) int {
	for i > 0 && s[i-1] != '\n' {
		i--
	}
	return i
}

func lineEndAt(s string, i int) int {
	for i < len(s) && s[i] != '\n' {
		i++
	}
	if i < len(s) {
		i++
	}
	return i
}
