package daemon

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	const base = 5 * time.Second
	tests := []struct {
		interval time.Duration
		jitter   float64
		failures int
		r        float64
		want     time.Duration
	}{
		{15 * time.Minute, 0, 0, 0.9, 15 * time.Minute},
		{15 * time.Minute, 0.1, 0, 0.5, 15 * time.Minute}, // the middle of the jitter
		{15 * time.Minute, 0.1, 0, 0, 13*time.Minute + 30*time.Second},
		{15 * time.Minute, 0.1, 0, 0.75, 15*time.Minute + 45*time.Second},
		{15 * time.Minute, 0, 1, 0, 5 * time.Second},
		{15 * time.Minute, 0, 2, 0, 10 * time.Second},
		{15 * time.Minute, 0, 5, 0, 80 * time.Second},
		{15 * time.Minute, 0, 8, 0, 640 * time.Second},
		{15 * time.Minute, 0, 9, 0, 15 * time.Minute},             // capped at the interval
		{15 * time.Minute, 0, 10000, 0, 15 * time.Minute},         // no overflow after days down
		{300 * time.Millisecond, 0, 1, 0, 300 * time.Millisecond}, // base above the interval
		{time.Minute, 0.2, 2, 1.0 / 4, 9 * time.Second},           // jitter on a retry too
	}
	for _, tt := range tests {
		if got := backoff(tt.interval, tt.jitter, tt.failures, base, tt.r); got != tt.want {
			t.Errorf("backoff(%s, jitter %g, %d failures, r %g) = %s, want %s", tt.interval, tt.jitter, tt.failures, tt.r, got, tt.want)
		}
	}
}

func TestUntilNext(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	started, ended := t0, t0.Add(40*time.Second)
	if got := untilNext(time.Minute, false, started, ended, ended); got != 20*time.Second {
		t.Errorf("after a success the interval counts from the start: %s", got)
	}
	if got := untilNext(time.Minute, true, started, ended, ended); got != time.Minute {
		t.Errorf("after a failure the backoff counts from the end: %s", got)
	}
	if got := untilNext(time.Minute, false, started, t0.Add(2*time.Minute), t0.Add(2*time.Minute)); got != 0 {
		t.Errorf("a pass longer than the interval: next at once, got %s", got)
	}
}
