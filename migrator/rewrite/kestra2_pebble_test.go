package rewrite

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The first block is the official golden table (kestra-io/kestra2-flow-migration
// internal/migrate/pebble_test.go, TestRewritePebbleJSON): same inputs, same
// expected outputs. The second block adds our own edge cases.
var pebbleCases = []struct{ name, in, want string }{
	{"filter", "{{ trigger.modifications | json }}", "{{ trigger.modifications | toJson }}"},
	{"filter no space", "{{ x|json }}", "{{ x|toJson }}"},
	{"filter chained", "{{ x | json | upper }}", "{{ x | toJson | upper }}"},
	{"function", "{{ json(taskrun.value).Email }}", "{{ fromJson(taskrun.value).Email }}"},
	{"function with space", "{{ json (x) }}", "{{ fromJson (x) }}"},
	{"function in tag", "{% for e in json(outputs.a['body']).results %}{{ e }}{% endfor %}", "{% for e in fromJson(outputs.a['body']).results %}{{ e }}{% endfor %}"},
	{"function nested", "{{ json(json(x).inner).y }}", "{{ fromJson(fromJson(x).inner).y }}"},
	{"function as argument", "{{ length(json(x)) }}", "{{ length(fromJson(x)) }}"},
	{"many expressions", "a {{ json(x).a }} b {{ y | json }} c", "a {{ fromJson(x).a }} b {{ y | toJson }} c"},
	{"whitespace control", "{{- json(x) -}}", "{{- fromJson(x) -}}"},
	{"map literal", "{{ {'a': json(x)} }}", "{{ {'a': fromJson(x)} }}"},
	{"map literal closing brace", "{{ {'a': 1}}} | {{ x | json }}", "{{ {'a': 1}}} | {{ x | toJson }}"},
	{"is test", "{% if x is json %}y{% endif %}", "{% if x is json %}y{% endif %}"},
	{"is not test", "{% if x is not json %}y{% endif %}", "{% if x is not json %}y{% endif %}"},
	{"toJson already", "{{ x | toJson }}", "{{ x | toJson }}"},
	{"fromJson already", "{{ fromJson(x) }}", "{{ fromJson(x) }}"},
	{"longer filter name", "{{ x | jsonPath('$.a') }}", "{{ x | jsonPath('$.a') }}"},
	{"member call", "{{ x.json(1) }}", "{{ x.json(1) }}"},
	{"longer function name", "{{ my_json(x) }}", "{{ my_json(x) }}"},
	{"attribute", "{{ outputs.json }}", "{{ outputs.json }}"},
	{"string literal", `{{ "x | json" ~ 'json(y)' }}`, `{{ "x | json" ~ 'json(y)' }}`},
	{"string with close delimiter", "{{ 'a}}' ~ json(x) }}", "{{ 'a}}' ~ fromJson(x) }}"},
	{"escaped quote", `{{ 'it\'s json(' ~ json(x) }}`, `{{ 'it\'s json(' ~ fromJson(x) }}`},
	{"outside delimiters", "curl -s $URL | json .id && python -c 'json(x)'", "curl -s $URL | json .id && python -c 'json(x)'"},
	{"python json module", "data = json.loads('{{ x | json }}')", "data = json.loads('{{ x | toJson }}')"},
	{"comment", "{# x | json #}{{ y | json }}", "{# x | json #}{{ y | toJson }}"},
	{"raw", "{% raw %}{{ x | json }}{% endraw %} {{ y | json }}", "{% raw %}{{ x | json }}{% endraw %} {{ y | toJson }}"},
	{"raw whitespace control", "{%- raw -%}{{ json(x) }}{%- endraw -%}", "{%- raw -%}{{ json(x) }}{%- endraw -%}"},
	{"verbatim", "{% verbatim %}{{ json(x) }}{% endverbatim %}", "{% verbatim %}{{ json(x) }}{% endverbatim %}"},
	{"unterminated raw", "{% raw %}{{ json(x) }}", "{% raw %}{{ json(x) }}"},
	{"unterminated expression", "{{ json(x) ", "{{ json(x) "},
	{"lone brace", "{ json(x) } {{ json(y) }}", "{ json(x) } {{ fromJson(y) }}"},

	// Our additions.
	{"filter with arguments", "{{ x | json(pretty=true) }}", "{{ x | toJson(pretty=true) }}"},
	{"filter in set tag", "{% set a = b | json %}", "{% set a = b | toJson %}"},
	{"function in filter argument", "{{ x | default(json(y)) }}", "{{ x | default(fromJson(y)) }}"},
	{"filter after newline", "{{ x\n  |\n  json }}", "{{ x\n  |\n  toJson }}"},
	{"bare identifier", "{{ json }} {{ json.a }} {{ json['a'] }}", "{{ json }} {{ json.a }} {{ json['a'] }}"},
	{"word with digits", "{{ json2(x) }} {{ x | json_x }} {{ 1json(x) }}", "{{ json2(x) }} {{ x | json_x }} {{ 1json(x) }}"},
	{"case sensitive", "{{ JSON(x) }} {{ x | Json }}", "{{ JSON(x) }} {{ x | Json }}"},
	{"is test with call", "{% if x is json(y) %}{% endif %}", "{% if x is json(y) %}{% endif %}"},
	{"this is not the is test", "{{ this json(x) }}", "{{ this fromJson(x) }}"},
	{"not without is", "{{ not json(x) }}", "{{ not fromJson(x) }}"},
	{"double-quoted escaped", `{{ "a\"json(" ~ json(x) }}`, `{{ "a\"json(" ~ fromJson(x) }}`},
	{"unterminated string", "{{ 'json( }} {{ json(x) }}", "{{ 'json( }} {{ json(x) }}"},
	{"unterminated comment", "{# {{ x | json }}", "{# {{ x | json }}"},
	{"comment inside expression is text", "{{ x | json }}{#", "{{ x | toJson }}{#"},
	{"raw end needs its own name", "{% raw %}{{ json(x) }}{% endverbatim %}{% endraw %}{{ json(y) }}", "{% raw %}{{ json(x) }}{% endverbatim %}{% endraw %}{{ fromJson(y) }}"},
	{"triple brace", "{{{ 'a': json(x) }}}", "{{{ 'a': fromJson(x) }}}"},
	{"trailing brace", "x | json {", "x | json {"},
	{"unicode around", "{{ é|json }} {{ éjson(x) }}", "{{ é|toJson }} {{ éfromJson(x) }}"},
	{"CRLF body", "{{ x\r\n| json }}\r\n", "{{ x\r\n| toJson }}\r\n"},
	{"no json at all", "{{ a | upper }}", "{{ a | upper }}"},
	{"empty", "", ""},
}

func TestRewritePebble(t *testing.T) {
	for _, c := range pebbleCases {
		t.Run(c.name, func(t *testing.T) {
			got, changed := RewritePebble(c.in)
			if got != c.want {
				t.Fatalf("RewritePebble(%q)\n got: %q\nwant: %q", c.in, got, c.want)
			}
			if changed != (c.in != c.want) {
				t.Errorf("changed = %v, want %v", changed, c.in != c.want)
			}
			if again, ch := RewritePebble(got); again != got || ch {
				t.Errorf("not idempotent: %q -> %q", got, again)
			}
		})
	}
}

// The official tool's expected outputs for the peer pair
// additional-test-cases__pebble-json-rename (shared, read-only; skipped when absent).
func TestRewritePebblePeerPair(t *testing.T) {
	dir := sharedDir(t, "peer/kestra-migrate-v2")
	in, err := os.ReadFile(filepath.Join(dir, "additional-test-cases__pebble-json-rename.in.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(dir, "additional-test-cases__pebble-json-rename.expected.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// The file's scalars are line-local (a double-quoted message without
	// escapes, a literal block): rewriting the text line by line is the same as
	// rewriting each scalar value, except for the `is json` test line, which
	// must stay.
	var got []string
	for _, line := range strings.SplitAfter(string(in), "\n") {
		out, _ := RewritePebble(line)
		got = append(got, out)
	}
	if g := strings.Join(got, ""); g != string(want) {
		t.Errorf("got:\n%s\nwant:\n%s", g, want)
	}
}

func TestPebbleJSONEditsOffsets(t *testing.T) {
	s := "a {{ json(x) | json }} b"
	got := PebbleJSONEdits(s)
	want := []PebbleEdit{{5, "json", "fromJson"}, {15, "json", "toJson"}}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("edit %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

// officialBody is an independent pebbleOracle for one body, written from the
// official patterns (internal/migrate/pebble.go): split the body at string
// literals, then on each code run apply `(\|\s*)json\b` -> toJson, then
// `\bjson\s*\(` -> fromJson unless preceded by `.` or by `\bis\s+(?:not\s+)?$`.
var (
	pebbleOracleFilter = regexp.MustCompile(`(\|\s*)json\b`)
	pebbleOracleFunc   = regexp.MustCompile(`\bjson\s*\(`)
	pebbleOracleIsTail = regexp.MustCompile(`\bis\s+(?:not\s+)?$`)
)

func pebbleOracleCode(code string) string {
	code = pebbleOracleFilter.ReplaceAllString(code, "${1}toJson")
	var b strings.Builder
	last := 0
	for _, loc := range pebbleOracleFunc.FindAllStringIndex(code, -1) {
		n := loc[0]
		if n > 0 && code[n-1] == '.' || pebbleOracleIsTail.MatchString(code[:n]) {
			continue
		}
		b.WriteString(code[last:n])
		b.WriteString("fromJson")
		last = n + 4
	}
	b.WriteString(code[last:])
	return b.String()
}

func pebbleOracleBody(body string) string {
	var b strings.Builder
	i := 0
	for i < len(body) {
		q := strings.IndexAny(body[i:], `'"`)
		if q < 0 {
			break
		}
		b.WriteString(pebbleOracleCode(body[i : i+q]))
		end := skipPebbleString(body, i+q)
		if end < 0 {
			end = len(body)
		}
		b.WriteString(body[i+q : end])
		i = end
	}
	b.WriteString(pebbleOracleCode(body[i:]))
	return b.String()
}

func pebbleOracleRewrite(s string) string {
	var b strings.Builder
	last := 0
	forEachPebbleBody(s, func(start, end int) {
		b.WriteString(s[last:start])
		b.WriteString(pebbleOracleBody(s[start:end]))
		last = end
	})
	b.WriteString(s[last:])
	return b.String()
}

func TestOracleAgreesOnTable(t *testing.T) {
	for _, c := range pebbleCases {
		if got := pebbleOracleRewrite(c.in); got != c.want {
			t.Errorf("%s: pebbleOracle(%q) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
}

func FuzzRewritePebble(f *testing.F) {
	for _, c := range pebbleCases {
		f.Add(c.in, "x")
	}
	f.Add("{{ a|json }}{% if b is not json %}{{ c.json(1) }}{% endif %}", "{#")
	f.Add("{%- raw -%}{{ json(x) }}{%- endraw -%}{{ json(y) }}", "'")
	f.Fuzz(func(t *testing.T, s, extra string) {
		out, changed := RewritePebble(s)

		// Same result as the official algorithm.
		if want := pebbleOracleRewrite(s); out != want {
			t.Fatalf("RewritePebble(%q) = %q, official algorithm gives %q", s, out, want)
		}
		if changed != (out != s) {
			t.Fatalf("changed = %v for %q -> %q", changed, s, out)
		}
		// Idempotent.
		if again, ch := RewritePebble(out); again != out || ch {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, out, again)
		}
		// Edits are exactly "json" words, and undoing them gives s back.
		edits := PebbleJSONEdits(s)
		undo := out
		for k := len(edits) - 1; k >= 0; k-- {
			e := edits[k]
			if s[e.Off:e.Off+len(e.Old)] != "json" || (e.New != "toJson" && e.New != "fromJson") {
				t.Fatalf("bad edit %+v in %q", e, s)
			}
			if e.Off > 0 && pebbleWordByte(s[e.Off-1]) || e.Off+4 < len(s) && pebbleWordByte(s[e.Off+4]) {
				t.Fatalf("edit %+v is inside a longer word in %q", e, s)
			}
			shift := 0
			for _, p := range edits[:k] {
				shift += len(p.New) - len(p.Old)
			}
			o := e.Off + shift
			undo = undo[:o] + e.Old + undo[o+len(e.New):]
		}
		if undo != s {
			t.Fatalf("undoing edits of %q gives %q", s, undo)
		}

		// No change outside expressions: text without `{` is never touched,
		// and such text around an expression stays byte-identical.
		plain := strings.ReplaceAll(extra, "{", "(")
		if got, ch := RewritePebble(plain); got != plain || ch {
			t.Fatalf("text without delimiters changed: %q -> %q", plain, got)
		}
		wrapped := plain + "{{ v | json }}" + plain
		if got, _ := RewritePebble(wrapped); got != plain+"{{ v | toJson }}"+plain {
			t.Fatalf("text around an expression changed: %q -> %q", wrapped, got)
		}
		// Never inside a string literal, a comment or a raw block.
		lit := strings.NewReplacer("'", "", "\\", "", "{", "", "}", "", "#", "", "%", "").Replace(extra + s)
		for _, in := range []string{
			"{{ '" + lit + "' }}",
			"{# " + lit + " #}",
			"{% raw %}{{ " + lit + " }}{% endraw %}",
		} {
			if got, ch := RewritePebble(in); got != in || ch {
				t.Fatalf("protected region changed: %q -> %q", in, got)
			}
		}
	})
}
