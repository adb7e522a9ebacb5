package rewrite

import (
	"bytes"
	"sync"
)

// srcScan is what the byte scans of the package's rules look for, computed
// once per source and shared: the fast path used to pay the sum of every
// rule's own passes (29 of them, 77 MB/s), most of them the same few
// searches (a backslash, an escape, a respelling, the candidate keys, the
// io.kestra. names). Each part is computed on first use. A rule of the
// package implements scanMentioner; its Mentions is mentionsIn on a fresh
// scan, so the soundness tests of Mentions test mentionsIn too. Rules from
// outside the package keep their own Mentions.
type srcScan struct {
	src []byte

	slash, hide, respell tri

	keysDone bool
	keyMask  uint64 // bit i: scanKeys[i] is a candidate key of src

	said [64]tri // the answer of the rule at each index of a Rewriter's rules

	nLines    int
	linesOver bool
	lines     [maxScanLines]int // starts of the lines rootIDLine reads (collectKeys)

	typesDone  bool
	typeMask   uint64 // bit of each scanTypeGroup holding an io.kestra. name of src
	eeGitClone bool   // an io.kestra. name holds EEGitClone.Old
}

// scanMentioner is implemented by the package's rules: Mentions over a
// shared scan.
type scanMentioner interface {
	mentionsIn(s *srcScan) bool
}

type tri uint8

const (
	triUnknown tri = iota
	triNo
	triYes
)

const maxScanLines = 64

var scanPool = sync.Pool{New: func() any { return new(srcScan) }}

// getScan is a scan of src from the pool; putScan gives it back.
func getScan(src []byte) *srcScan {
	s := scanPool.Get().(*srcScan)
	s.reset(src)
	return s
}

func putScan(s *srcScan) {
	s.src = nil
	scanPool.Put(s)
}

// newScan is a scan of src (for one call of Mentions).
func newScan(src []byte) *srcScan {
	s := &srcScan{}
	s.reset(src)
	return s
}

func (s *srcScan) reset(src []byte) {
	s.src = src
	s.slash, s.hide, s.respell = triUnknown, triUnknown, triUnknown
	s.keysDone, s.keyMask = false, 0
	s.nLines, s.linesOver = 0, false
	s.typesDone, s.typeMask, s.eeGitClone = false, 0, false
	s.said = [64]tri{}
}

// ruleSays is ruleMentions(rule, s) for the rule at index i of a rule set,
// remembered: the fast path and the plan ask the same question.
func (s *srcScan) ruleSays(i int, rule Rule) bool {
	if i >= len(s.said) {
		return ruleMentions(rule, s)
	}
	if s.said[i] == triUnknown {
		s.said[i] = triNo
		if ruleMentions(rule, s) {
			s.said[i] = triYes
		}
	}
	return s.said[i] == triYes
}

func (t *tri) get(src []byte, f func([]byte) bool) bool {
	if *t == triUnknown {
		*t = triNo
		if f(src) {
			*t = triYes
		}
	}
	return *t == triYes
}

func hasBackslash(src []byte) bool { return bytes.IndexByte(src, '\\') >= 0 }

// backslash: src has a '\\' anywhere.
func (s *srcScan) backslash() bool { return s.slash.get(s.src, hasBackslash) }

// hideWords is mayHideWords(src).
func (s *srcScan) hideWords() bool {
	if !s.backslash() {
		return false // mayHideWords needs a backslash
	}
	return s.hide.get(s.src, mayHideWords)
}

// mayRespell is mayRespell(src).
func (s *srcScan) mayRespell() bool { return s.respell.get(s.src, mayRespell) }

// contains: one of words is in src.
func (s *srcScan) contains(words ...string) bool {
	for _, w := range words {
		if bytes.Contains(s.src, []byte(w)) {
			return true
		}
	}
	return false
}

// word is mentionsWord(src, words...).
func (s *srcScan) word(words ...string) bool {
	return s.backslash() || s.contains(words...)
}

// scanKeySet is a set of scan keys, looked up once (at package
// initialisation or when a rule is built) rather than at every question.
type scanKeySet struct {
	mask  uint64
	words []string
}

// keysOf is the set of keys, each of which must be one of scanKeys.
func keysOf(keys ...string) scanKeySet {
	set := scanKeySet{words: keys}
	for _, k := range keys {
		bit, ok := scanKeyBit[k]
		if !ok {
			panic("rewrite: " + k + " is not in scanKeys")
		}
		set.mask |= bit
	}
	return set
}

// key is MentionsKey(src, keys...).
func (s *srcScan) key(set scanKeySet) bool {
	if s.mayRespell() {
		return true
	}
	s.collectKeys()
	return s.keyMask&set.mask != 0
}

// keyOrEscape is mentionsKeyOrEscape(src, keys...): a backslash, or
// MentionsKey in a source that holds one of the words. The shared key pass
// makes the word search (a prefilter there) needless, except where
// MentionsKey says yes for a respelling alone.
func (s *srcScan) keyOrEscape(set scanKeySet) bool {
	if s.backslash() {
		return true
	}
	if s.mayRespell() {
		return s.contains(set.words...)
	}
	return s.key(set)
}

// scanKeys are the keys the shared pass looks for: the keys the package's
// byte scans ask about, each made of word bytes only (A-Z, a-z, 0-9, _).
var scanKeys = []string{
	"runner", "docker", "dockerOptions",
	"inputs", "onResume", "name", "options", "required", "defaults",
	"maxAttempt", "delay", "fetchType", "backfill", "backfills", "minLogLevel", "outputs",
	"basicAuthUser", "basicAuthPassword", "connectionPoolIdleTimeout",
	"checks", "condition", "expiredOnly", "taskDefaults",
	// the detections' keys
	"pluginDefaults", "scheduleConditions", "conditions", "preconditions", "timeWindow", "workerGroup",
}

var (
	scanKeyBit   = scanKeyTables()
	scanKeyLens  uint64          // bit n: some scan key is n bytes long (n < 64)
	scanKeyTails [1 << 10]uint64 // bit c1<<8|c2: some scan key ends in the bytes c1, c2
	scanKeyFirst [64][4]uint64   // [n] bit c: some scan key n bytes long starts with c

	rootIDStartByte = func() (t [256]bool) {
		for c := 0; c < 256; c++ {
			t[c] = rootIDLineStart(byte(c))
		}
		return t
	}()
)

// scanKeyTables fills the tables of the key pass (run as the first
// variable initialiser that needs them: keysOf runs at initialisation).
func scanKeyTables() map[string]uint64 {
	bits := map[string]uint64{}
	if len(scanKeys) > 64 {
		panic("rewrite: more than 64 scan keys")
	}
	for i, k := range scanKeys {
		for j := 0; j < len(k); j++ {
			if !keyWordByte[k[j]] || len(k) >= 64 {
				panic("rewrite: scan key " + k + " is not a short word")
			}
		}
		if len(k) < 2 {
			panic("rewrite: scan key " + k + " is shorter than 2 bytes")
		}
		bits[k] = 1 << i
		scanKeyLens |= 1 << len(k)
		tail := uint16(k[len(k)-2])<<8 | uint16(k[len(k)-1])
		scanKeyTails[tail>>6] |= 1 << (tail & 63)
		scanKeyFirst[len(k)][k[0]>>6] |= 1 << (k[0] & 63)
	}
	return bits
}

var keyWordByte = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
	}
	return t
}()

var keyEndByte = func() (t [256]bool) {
	for _, c := range []byte{':', '\n', '\r', '#', ',', '}', ']'} {
		t[c] = true
	}
	return t
}()

var keyEnd8 = func() (t [256]uint8) {
	for c := range t {
		if keyEndByte[c] {
			t[c] = 1
		}
	}
	return t
}()

// collectKeys finds every maximal run of word bytes that MentionsKey would
// accept as a key (keyBefore at its start, keyAfter at its end) and sets
// the bit of each scan key among them. For a key made of word bytes, the
// text MentionsKey matches is such a run: the byte before it and the byte
// after it are not word bytes (keyBefore and keyAfter accept none), so the
// two agree exactly. keyAfter holds at the end b of a run when an optional
// quote and blanks lead from b to a byte that may end a key (or to the end
// of src): so the pass goes from one such byte to the next and looks back
// over blanks and a quote for the run (a tight loop over bytes, no branch
// per word).
func (s *srcScan) collectKeys() {
	if s.keysDone {
		return
	}
	s.keysDone = true
	src := s.src
	n := len(src)
	if n > 0 && rootIDStartByte[src[0]] {
		s.addLine(0)
	}
	for t := 0; t <= n; t++ {
		for t+8 <= n { // eight bytes at a time, one branch
			w := src[t : t+8 : t+8]
			if keyEnd8[w[0]]|keyEnd8[w[1]]|keyEnd8[w[2]]|keyEnd8[w[3]]|keyEnd8[w[4]]|keyEnd8[w[5]]|keyEnd8[w[6]]|keyEnd8[w[7]] != 0 {
				break
			}
			t += 8
		}
		for t < n && !keyEndByte[src[t]] {
			t++
		}
		if t+1 < n && src[t] == '\n' && rootIDStartByte[src[t+1]] {
			s.addLine(t + 1)
		}
		b := t
		if b < 2 {
			continue
		}
		if c := src[b-1]; !keyWordByte[c] {
			if c != ' ' && c != '\t' && c != '"' && c != '\'' {
				continue // no word right before: the common case of "":\n"
			}
			for b > 0 && (src[b-1] == ' ' || src[b-1] == '\t') {
				b--
			}
			if b > 0 && (src[b-1] == '"' || src[b-1] == '\'') {
				b--
			}
			if b < 2 {
				continue
			}
		}
		// the last two bytes first: most words are no scan key's tail
		if tail := uint16(src[b-2])<<8 | uint16(src[b-1]); scanKeyTails[tail>>6]&(1<<(tail&63)) == 0 {
			continue
		}
		a := b
		for a > 0 && keyWordByte[src[a-1]] && b-a < 64 {
			a--
		}
		if l := b - a; l < 64 && scanKeyLens&(1<<l) != 0 && scanKeyFirst[l][src[a]>>6]&(1<<(src[a]&63)) != 0 && keyBefore(src, a) {
			s.keyMask |= scanKeyBit[string(src[a:b])]
		}
	}
}

func (s *srcScan) addLine(start int) {
	if s.nLines == maxScanLines {
		s.linesOver = true
		return
	}
	s.lines[s.nLines] = start
	s.nLines++
}

// scanTypeGroup is a set of type names the shared pass looks for: each
// group registered (at package initialisation) gets a bit, and the pass
// looks each io.kestra. name of the source up once for every group.
type scanTypeGroup struct{ bit uint64 }

type scanTypePrefix struct {
	prefix string
	bit    uint64
}

var (
	scanTypeBits     = map[string]uint64{} // exact name -> the groups holding it
	scanTypePrefixes []scanTypePrefix      // a group holding every name with this prefix
	scanTypeGroups   int
	scanTypeLens     [4]uint64 // bit n: some exact name is n bytes long (n < 256)
)

func newScanTypeGroup(exact, prefixes []string) scanTypeGroup {
	if scanTypeGroups == 64 {
		panic("rewrite: more than 64 scan type groups")
	}
	bit := uint64(1) << scanTypeGroups
	scanTypeGroups++
	for _, n := range exact {
		scanTypeBits[n] |= bit
		if len(n) < 256 {
			scanTypeLens[len(n)/64] |= 1 << (len(n) % 64)
		}
	}
	for _, p := range prefixes {
		scanTypePrefixes = append(scanTypePrefixes, scanTypePrefix{p, bit})
	}
	return scanTypeGroup{bit}
}

// scanGroupOfSet registers the names of a typeSet (exact names).
func scanGroupOfSet(set typeSet) scanTypeGroup {
	var names []string
	for n := range set {
		names = append(names, n)
	}
	return newScanTypeGroup(names, nil)
}

// scanGroupOfMatcher registers a typeMatcher's exact names and prefixes.
func scanGroupOfMatcher(m typeMatcher) scanTypeGroup {
	var names []string
	for n := range m.exact {
		names = append(names, n)
	}
	return newScanTypeGroup(names, m.prefixes)
}

// collectTypes looks up every dotted name starting with "io.kestra." (as
// mentionsTypeName and mentionedIn find them) in the registered groups, and
// notes whether one holds EEGitClone.Old. "kestra." is searched rather than
// "io.kestra.": 'k' is a rarer first byte than 'i', which keeps the search
// on its fast path; a run of name bytes cannot end inside "io.", so the
// names found are the same.
func (s *srcScan) collectTypes() {
	if s.typesDone {
		return
	}
	s.typesDone = true
	src := s.src
	stem := []byte("kestra.")
	for from := 0; ; {
		i := bytes.Index(src[from:], stem)
		if i < 0 {
			return
		}
		start := from + i - len("io.")
		end := from + i + len(stem)
		if start < 0 || string(src[start:from+i]) != "io." {
			from = end
			continue
		}
		for end < len(src) && kestraNameChars[src[end]] {
			end++
		}
		t := src[start:end]
		if n := len(t); n >= 256 || scanTypeLens[n/64]&(1<<(n%64)) != 0 {
			s.typeMask |= scanTypeBits[string(t)]
		}
		for _, p := range scanTypePrefixes {
			if len(t) >= len(p.prefix) && string(t[:len(p.prefix)]) == p.prefix {
				s.typeMask |= p.bit
			}
		}
		if !s.eeGitClone && len(t) >= len(EEGitClone.Old) && bytes.Contains(t, []byte(EEGitClone.Old)) {
			s.eeGitClone = true
		}
		from = end
	}
}

// typeName is mentionsTypeName(src, names) for the group of names.
func (s *srcScan) typeName(g scanTypeGroup) bool {
	if s.backslash() {
		return true
	}
	s.collectTypes()
	return s.typeMask&g.bit != 0
}

// typeMatch is m.mentionedIn(src) for the group of m.
func (s *srcScan) typeMatch(g scanTypeGroup) bool {
	s.collectTypes()
	return s.typeMask&g.bit != 0 || s.hideWords()
}

// mentionsEEGitClone is mentionsWord(src, EEGitClone.Old): the name starts
// with "io.kestra." and is made of name bytes, so every occurrence lies
// inside a run of name bytes, which the first "io.kestra." of the run
// starts: inside one of the names collectTypes looks at.
func (s *srcScan) mentionsEEGitClone() bool {
	if s.backslash() {
		return true
	}
	s.collectTypes()
	return s.eeGitClone
}
