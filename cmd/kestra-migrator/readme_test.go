package main

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEMatchesTheBinary: the Go version the README names is go.mod's,
// the command table lists every command, and the formats it gives each
// command are the ones the command takes.
func TestREADMEMatchesTheBinary(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goLine := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(gomod)
	if goLine == nil {
		t.Fatal("go.mod has no go line")
	}
	if want := "Needs Go " + string(goLine[1]) + " "; !bytes.Contains(readme, []byte(want)) {
		t.Errorf("the README does not say %q", want)
	}
	if !bytes.Contains(readme, []byte("\ngo test ./...")) {
		t.Errorf("the README's test command is not go test ./...")
	}
	root := newRootCommand(&bytes.Buffer{}, &bytes.Buffer{})
	for _, c := range root.Commands() {
		if !bytes.Contains(readme, []byte("| `"+c.Name())) {
			t.Errorf("the README's command table lacks %s", c.Name())
		}
	}
	formats := map[string][]string{}
	for _, m := range regexp.MustCompile("(?m)(`[a-z ]+`(?:, `[a-z ]+`)*): `([a-z|]+)`").FindAllStringSubmatch(string(readme), -1) {
		for _, name := range strings.Split(m[1], ", ") {
			formats[strings.Trim(name, "`")] = strings.Split(m[2], "|")
		}
	}
	for name, want := range formats {
		cmd, _, err := root.Find(strings.Fields(name))
		if err != nil || cmd.Flags().Lookup("format") == nil {
			continue
		}
		_, out, _ := execute(t, append(append([]string{"__complete"}, strings.Fields(name)...), "-o", "")...)
		for _, f := range want {
			if !strings.Contains(out, f+"\n") {
				t.Errorf("README: %s takes -o %s; the binary does not", name, f)
			}
		}
		if got := strings.Count(out, "\n") - 1; got != len(want) { // and the directive
			t.Errorf("%s takes %d formats, the README lists %v:\n%s", name, got, want, out)
		}
	}
	if len(formats) < 4 {
		t.Errorf("the README's formats per command were not found: %v", formats)
	}
}
