package migrator

import "testing"

func TestMerge3(t *testing.T) {
	base := "a\nb\nc\nd\n"
	cases := []struct {
		name, ours, theirs, want string
		ok                       bool
	}{
		{"different lines", "A\nb\nc\nd\n", "a\nb\nc\nD\n", "A\nb\nc\nD\n", true},
		{"both append", base + "x\n", base + "y\n", base + "x\ny\n", true},
		{"same line", "a\nB\nc\nd\n", "a\nb2\nc\nd\n", "", false},
		{"adjacent lines", "a\nB\nc\nd\n", "a\nb\nC\nd\n", "", false},
		{"one side only", "a\nb\nc\nd\n", "a\nb\nc\nd\ne\n", "a\nb\nc\nd\ne\n", true},
		{"within a line and elsewhere", "a\nbb\nc\nd\n", "a\nb\nc\nd\n# edit\n", "a\nbb\nc\nd\n# edit\n", true},
		{"delete and append", "a\nc\nd\n", base + "e\n", "a\nc\nd\ne\n", true},
	}
	for _, c := range cases {
		got, ok := merge3(base, c.ours, c.theirs)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("%s: got %q %v, want %q %v", c.name, got, ok, c.want, c.ok)
		}
	}
	// the race it serves: a migration overwrote edit 1; edit 2 was made on
	// top of the migration; putting edit 1 back must keep edit 2
	orig := "id: f\ntasks:\n  - id: t\n    runner: PROCESS\n"
	migrated := "id: f\ntasks:\n  - id: t\n    taskRunner:\n      type: io.kestra.plugin.core.runner.Process\n"
	edit1 := orig + "# edit 1\n"
	edit2 := migrated + "# edit 2\n"
	got, ok := merge3(migrated, edit1, edit2)
	if want := orig + "# edit 1\n# edit 2\n"; !ok || got != want {
		t.Errorf("put-back merge: %q %v, want %q", got, ok, want)
	}
}
