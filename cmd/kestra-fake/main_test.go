package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// untilDeadline is how long to wait for what must happen: the test
// binary's own deadline, less a margin to report; no shorter wall-clock bound.
func untilDeadline(t *testing.T) time.Duration {
	if deadline, ok := t.Deadline(); ok {
		return time.Until(deadline) - 15*time.Second
	}
	return 24 * time.Hour
}

func TestServesSeededFlowsAndStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	done := make(chan int, 1)
	var stderr bytes.Buffer
	go func() {
		done <- run(ctx, []string{"--flows", "../../client/kestratest/testdata/flows", "--listen", "127.0.0.1:0",
			"--mode", "legacy", "--token", "tok"}, &stderr, func(a string) { addrc <- a })
	}()
	var addr string
	select {
	case addr = <-addrc:
	case code := <-done:
		t.Fatalf("exited with %d: %s", code, stderr.String())
	case <-time.After(untilDeadline(t)):
		t.Fatal("not ready before the test's deadline")
	}
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
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d: %s", code, stderr.String())
		}
	case <-time.After(untilDeadline(t)):
		t.Fatal("did not stop on cancel before the test's deadline")
	}
	log := stderr.String()
	if !strings.Contains(log, "endpoint=search") || strings.Contains(log, "Bearer tok") {
		t.Errorf("request log:\n%s", log)
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
