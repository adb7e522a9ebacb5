package main

import (
	"os/exec"
	"path"
	"strings"
	"testing"
)

// TestBinariesLinkNoTestCode: the shipped binaries carry the fake Kestra of
// the demo (client/kestrafake), never the test helpers around it
// (client/kestratest) or the testing package they need.
func TestBinariesLinkNoTestCode(t *testing.T) {
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	for _, pkg := range []string{".", "../kestra-fake"} {
		out, err := exec.Command(gotool, "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 10 {
			t.Fatalf("go list -deps %s listed %d packages: %q", pkg, len(deps), deps)
		}
		for _, dep := range deps {
			if dep == "testing" || strings.HasPrefix(dep, "testing/") || path.Base(dep) == "kestratest" {
				t.Errorf("%s links %s", pkg, dep)
			}
		}
	}
}
