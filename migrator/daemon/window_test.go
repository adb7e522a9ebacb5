package daemon

import (
	"strings"
	"testing"
	"time"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestWindowAllows(t *testing.T) {
	paris := mustZone(t, "Europe/Paris")
	utc := time.UTC
	tests := []struct {
		spec, tz string
		at       time.Time
		want     bool
	}{
		{"", "", time.Date(2025, 1, 1, 12, 0, 0, 0, utc), true},
		{"09:00-17:00 UTC", "", time.Date(2025, 1, 1, 8, 59, 59, 0, utc), false},
		{"09:00-17:00 UTC", "", time.Date(2025, 1, 1, 9, 0, 0, 0, utc), true},
		{"09:00-17:00 UTC", "", time.Date(2025, 1, 1, 16, 59, 0, 0, utc), true},
		{"09:00-17:00 UTC", "", time.Date(2025, 1, 1, 17, 0, 0, 0, utc), false},
		// crossing midnight
		{"22:00-06:00 UTC", "", time.Date(2025, 1, 1, 21, 59, 0, 0, utc), false},
		{"22:00-06:00 UTC", "", time.Date(2025, 1, 1, 22, 0, 0, 0, utc), true},
		{"22:00-06:00 UTC", "", time.Date(2025, 1, 1, 23, 59, 0, 0, utc), true},
		{"22:00-06:00 UTC", "", time.Date(2025, 1, 2, 0, 0, 0, 0, utc), true},
		{"22:00-06:00 UTC", "", time.Date(2025, 1, 2, 5, 59, 0, 0, utc), true},
		{"22:00-06:00 UTC", "", time.Date(2025, 1, 2, 6, 0, 0, 0, utc), false},
		{"22:00-06:00 UTC", "", time.Date(2025, 1, 2, 12, 0, 0, 0, utc), false},
		// the zone suffix: 22:00 in Paris is 21:00 UTC in winter, 20:00 UTC in summer
		{"22:00-06:00 Europe/Paris", "", time.Date(2025, 1, 15, 21, 0, 0, 0, utc), true},
		{"22:00-06:00 Europe/Paris", "", time.Date(2025, 1, 15, 20, 59, 0, 0, utc), false},
		{"22:00-06:00 Europe/Paris", "", time.Date(2025, 7, 15, 20, 0, 0, 0, utc), true},
		{"22:00-06:00 Europe/Paris", "", time.Date(2025, 7, 15, 19, 59, 0, 0, utc), false},
		{"22:00-06:00 Europe/Paris", "", time.Date(2025, 7, 15, 4, 0, 0, 0, utc), false}, // 06:00 in Paris
		// the zone from window-timezone, and the instant's own zone is irrelevant
		{"22:00-06:00", "Europe/Paris", time.Date(2025, 1, 15, 23, 30, 0, 0, paris), true},
		{"22:00-06:00", "America/New_York", time.Date(2025, 1, 15, 23, 30, 0, 0, paris), false}, // 17:30 in New York
		{"00:00-24:00 UTC", "", time.Date(2025, 1, 1, 23, 59, 0, 0, utc), true},
		{"18:00-24:00 UTC", "", time.Date(2025, 1, 1, 0, 0, 0, 0, utc), false},
	}
	for _, tt := range tests {
		w, err := ParseWindow(tt.spec, tt.tz)
		if err != nil {
			t.Fatalf("ParseWindow(%q, %q): %v", tt.spec, tt.tz, err)
		}
		if got := w.Allows(tt.at); got != tt.want {
			t.Errorf("window %q (tz %q) at %s: allows %v, want %v", tt.spec, tt.tz, tt.at.Format(time.RFC3339), got, tt.want)
		}
	}
}

func TestParseWindowErrors(t *testing.T) {
	tests := []struct{ spec, tz, want string }{
		{"22:00", "", "want HH:MM-HH:MM"},
		{"22-06", "", "want HH:MM"},
		{"25:00-06:00", "", "hour out of range"},
		{"24:00-06:00", "", "hour out of range"},
		{"22:60-06:00", "", "want HH:MM"},
		{"22:00-06:00 Mars/Olympus", "", "time zone"},
		{"22:00-06:00", "Nowhere/Land", "time zone"},
		{"10:00-10:00 UTC", "", "equal"},
		{"22:00-06:00 Europe/Paris", "UTC", "differs"},
	}
	for _, tt := range tests {
		_, err := ParseWindow(tt.spec, tt.tz)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseWindow(%q, %q) = %v, want an error with %q", tt.spec, tt.tz, err, tt.want)
		}
	}
}

func TestWindowString(t *testing.T) {
	w, err := ParseWindow(" 22:00-6:00  Europe/Paris ", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := w.String(); got != "22:00-06:00 Europe/Paris" {
		t.Errorf("String() = %q", got)
	}
	if got := (Window{}).String(); got != "always" {
		t.Errorf("zero window: %q", got)
	}
}
