package store

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
)

func TestLiveProgressIsPublishedWhileOpenAndRemovedOnClose(t *testing.T) {
	path := testPath(t)
	s, err := Open(path, Options{NoSync: true, PublishLive: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.BindServer(ServerID{URL: "https://admin:s3cret@kestra.example.com", Tenant: "main"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateRun(Run{ID: "r1", Command: "apply", Server: "https://admin:s3cret@kestra.example.com", Tenant: "main"}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordNamespace(nil, NamespaceProgress{Namespace: "company", Counts: map[string]int{"migrated": 3}, Complete: true, RunID: "r1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishRun("r1", t0, RunDone, map[string]int{"migrated": 3}, ""); err != nil {
		t.Fatal(err)
	}
	live, err := ReadLive(path)
	if err != nil {
		t.Fatal(err)
	}
	if live.PID != os.Getpid() || len(live.Runs) != 1 || live.Runs[0].Status != RunDone || len(live.Progress) != 1 || live.Progress[0].Counts["migrated"] != 3 {
		t.Errorf("live %+v", live)
	}
	raw, _ := os.ReadFile(LivePath(path))
	if info, _ := os.Stat(LivePath(path)); info.Mode().Perm() != 0o600 || strings.Contains(string(raw), "s3cret") {
		t.Errorf("live file mode %v, or it holds the password", info.Mode().Perm())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadLive(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the live file outlived the store: %v", err)
	}
	// without the option nothing is published
	s2 := openTest(t, path, Options{NoSync: true})
	_ = s2.CreateRun(Run{ID: "r2", Command: "apply"})
	if _, err := ReadLive(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("published without PublishLive: %v", err)
	}
}
