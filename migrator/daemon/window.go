package daemon

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Window is a daily time range during which apply passes may write, in a
// time zone; outside it they run as plan passes (like Argo CD sync
// windows). The zero Window always allows.
type Window struct {
	start, end int // minutes after midnight; end may be 24*60
	loc        *time.Location
}

// ParseWindow reads "HH:MM-HH:MM", optionally followed by a space and an
// IANA zone ("22:00-06:00 Europe/Paris"). tz is the zone when the spec has
// none ("" = the local zone). A range whose end is before its start crosses
// midnight; "" means no window (always allowed).
func ParseWindow(spec, tz string) (Window, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return Window{}, nil
	}
	rng, zone, hasZone := strings.Cut(spec, " ")
	if hasZone {
		zone = strings.TrimSpace(zone)
		if tz != "" && zone != tz {
			return Window{}, fmt.Errorf("window %q: its zone %s differs from window-timezone %s", spec, zone, tz)
		}
		tz = zone
	}
	from, to, ok := strings.Cut(rng, "-")
	if !ok {
		return Window{}, fmt.Errorf("window %q: want HH:MM-HH:MM [ZONE]", spec)
	}
	start, err := clockMinutes(from, false)
	if err != nil {
		return Window{}, fmt.Errorf("window %q: start: %w", spec, err)
	}
	end, err := clockMinutes(to, true)
	if err != nil {
		return Window{}, fmt.Errorf("window %q: end: %w", spec, err)
	}
	if start == end {
		return Window{}, fmt.Errorf("window %q: start and end are equal (leave window empty to always allow)", spec)
	}
	loc := time.Local
	if tz != "" {
		if loc, err = time.LoadLocation(tz); err != nil {
			return Window{}, fmt.Errorf("window %q: time zone: %w", spec, err)
		}
	}
	return Window{start: start, end: end, loc: loc}, nil
}

// clockMinutes reads "HH:MM" as minutes after midnight; "24:00" only as an end.
func clockMinutes(s string, isEnd bool) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(h) == 0 || len(h) > 2 || len(m) != 2 {
		return 0, fmt.Errorf("%q: want HH:MM", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	switch {
	case err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59:
		return 0, fmt.Errorf("%q: want HH:MM", s)
	case hh == 24 && mm == 0 && isEnd:
		return 24 * 60, nil
	case hh > 23:
		return 0, fmt.Errorf("%q: hour out of range", s)
	}
	return hh*60 + mm, nil
}

// IsSet reports whether the window restricts anything.
func (w Window) IsSet() bool { return w.loc != nil }

// Allows reports whether t falls inside the window (start included, end
// excluded), read on the wall clock of the window's zone.
func (w Window) Allows(t time.Time) bool {
	if !w.IsSet() {
		return true
	}
	local := t.In(w.loc)
	m := local.Hour()*60 + local.Minute()
	if w.start < w.end {
		return m >= w.start && m < w.end
	}
	return m >= w.start || m < w.end // crosses midnight
}

// String shows the window as it was given, with its zone.
func (w Window) String() string {
	if !w.IsSet() {
		return "always"
	}
	return fmt.Sprintf("%02d:%02d-%02d:%02d %s", w.start/60, w.start%60, w.end/60, w.end%60, w.loc)
}
