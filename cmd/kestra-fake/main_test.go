package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startFake runs kestra-fake with args until the test ends; stop cancels it
// and returns its exit code and what it logged.
func startFake(t *testing.T, args ...string) (addr string, stop func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	done := make(chan int, 1)
	var stderr bytes.Buffer
	go func() {
		done <- run(ctx, append(args, "--listen", "127.0.0.1:0"), &stderr, func(a string) { addrc <- a })
	}()
	select {
	case addr = <-addrc:
	case code := <-done:
		cancel()
		t.Fatalf("exited with %d: %s", code, stderr.String())
	case <-time.After(untilDeadline(t)):
		cancel()
		t.Fatal("not ready")
	}
	stopped := false
	stop = func() (int, string) {
		t.Helper()
		stopped = true
		cancel()
		select {
		case code := <-done:
			return code, stderr.String()
		case <-time.After(untilDeadline(t)):
			t.Fatal("did not stop on cancel")
			return 0, ""
		}
	}
	t.Cleanup(func() {
		if !stopped {
			stop()
		}
	})
	return addr, stop
}

func TestServesSeededFlowsAndStopsOnCancel(t *testing.T) {
	addr, stop := startFake(t, "--flows", "../../client/kestratest/testdata/flows", "--mode", "legacy", "--token", "tok")
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/api/v1/flows/search?size=10", nil)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var page struct{ Total int }
	json.NewDecoder(resp.Body).Decode(&page)
	resp.Body.Close()
	if resp.StatusCode != 200 || page.Total != 3 {
		t.Errorf("search = %d, total %d; want 200, 3", resp.StatusCode, page.Total)
	}
	code, log := stop()
	if code != 0 {
		t.Errorf("exit code %d: %s", code, log)
	}
	if !strings.Contains(log, "endpoint=search") || strings.Contains(log, "Bearer tok") {
		t.Errorf("request log:\n%s", log)
	}
}

// TestSeedsFlowsThatWouldNotValidateAndSaysWhich: a directory taken from a
// server upgraded from an older release starts the fake; every flow is
// served as it is, and the log names the ones to look at.
func TestSeedsFlowsThatWouldNotValidateAndSaysWhich(t *testing.T) {
	dir := t.TempDir()
	flow := "id: %s\nnamespace: company\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"
	files := map[string]string{
		"a-extend.yml": fmt.Sprintf(flow, "extended") + "extend:\n  title: from an older release\n",
		"b-first.yml":  fmt.Sprintf(flow, "twice"),
		"c-later.yml":  fmt.Sprintf(flow, "twice") + "# the later file\n",
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	addr, stop := startFake(t, "--flows", dir)
	for id, want := range map[string]string{"extended": files["a-extend.yml"], "twice": files["c-later.yml"]} {
		resp, err := http.Get("http://" + addr + "/api/v1/main/flows/company/" + id + "?source=true")
		if err != nil {
			t.Fatal(err)
		}
		var f struct{ Source string }
		json.NewDecoder(resp.Body).Decode(&f)
		resp.Body.Close()
		if resp.StatusCode != 200 || f.Source != want {
			t.Errorf("company/%s = %d %q, want %q", id, resp.StatusCode, f.Source, want)
		}
	}
	code, log := stop()
	if code != 0 {
		t.Fatalf("exit code %d: %s", code, log)
	}
	for _, want := range []string{
		`msg="seed flow would not validate today; stored as it is" flow=company/extended file=` + filepath.Join(dir, "a-extend.yml") + ` constraints="Unrecognized field \"extend\""`,
		`msg="seed flow replaces an earlier one with the same id" flow=company/twice file=` + filepath.Join(dir, "c-later.yml") + ` replaced=b-first.yml`,
		`msg=seeded dir=` + dir + ` documents=3 invalid=1`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %s:\n%s", want, log)
		}
	}
}

// TestVersion2RefusesWhat2Removed: with --version 2.0.0 a flow 1.3 accepts
// is seeded (and logged) but refused on update, and its migrated form saves.
func TestVersion2RefusesWhat2Removed(t *testing.T) {
	dir := t.TempDir()
	legacy := "id: old\nnamespace: company\ninputs:\n  - name: who\n    type: STRING\n    defaults: me\n" +
		"tasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"
	if err := os.WriteFile(filepath.Join(dir, "old.yml"), []byte(legacy), 0o600); err != nil {
		t.Fatal(err)
	}
	addr, stop := startFake(t, "--flows", dir, "--version", "2.0.0")
	putFlow := func(src string) int {
		req, _ := http.NewRequest(http.MethodPut, "http://"+addr+"/api/v1/main/flows/company/old", strings.NewReader(src))
		req.Header.Set("Content-Type", "application/x-yaml")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := putFlow(legacy + "# touched\n"); code != http.StatusUnprocessableEntity {
		t.Errorf("update keeping input name = %d, want 422", code)
	}
	if code := putFlow(strings.Replace(legacy, "- name: who", "- id: who", 1)); code != http.StatusOK {
		t.Errorf("update with input id = %d, want 200", code)
	}
	code, log := stop()
	if code != 0 {
		t.Fatalf("exit code %d: %s", code, log)
	}
	if want := `flow=company/old file=` + filepath.Join(dir, "old.yml") + ` constraints="inputs[0]: Unrecognized field \"name\"`; !strings.Contains(log, want) {
		t.Errorf("log lacks %s:\n%s", want, log)
	}
}

func TestFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--mode", "cloud"},
		{"--username", "u"},
		{"--rate-503", "2"},
		{"extra"},
	} {
		var stderr bytes.Buffer
		if code := run(context.Background(), args, &stderr, nil); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, stderr.String())
		}
	}
}

func TestDefaultListenIsLoopback(t *testing.T) {
	o, err := parseFlags(nil, &bytes.Buffer{})
	if err != nil || !strings.HasPrefix(o.listen, "127.0.0.1:") {
		t.Errorf("default listen %q, %v", o.listen, err)
	}
}

// untilDeadline is how long to wait for what must happen: the test
// binary's own deadline, less a margin to report; no shorter wall-clock bound.
func untilDeadline(t *testing.T) time.Duration {
	if deadline, ok := t.Deadline(); ok {
		return time.Until(deadline) - 15*time.Second
	}
	return 24 * time.Hour
}
