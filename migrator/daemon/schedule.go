package daemon

import "time"

// DefaultRetryBase is the first wait after a failed pass; each further
// failure doubles it, up to the interval.
const DefaultRetryBase = 5 * time.Second

// backoff is the wait before the next pass: the interval after a pass that
// succeeded, else retryBase doubled per consecutive failure, capped at the
// interval. Either way jitter spreads it by ±jitter (a fraction), drawn by
// r in [0, 1).
func backoff(interval time.Duration, jitter float64, failures int, retryBase time.Duration, r float64) time.Duration {
	d := interval
	if failures > 0 {
		d = min(retryBase, interval)
		for i := 1; i < failures && d < interval; i++ {
			d *= 2
		}
		d = min(d, interval)
	}
	return d + time.Duration(float64(d)*jitter*(2*r-1))
}

// untilNext is how long to wait from now: an interval counts from the
// start of the pass (passes start every interval, whatever they last), a
// retry from its end (a failing server is not hammered by slow failures).
func untilNext(delay time.Duration, failed bool, started, ended, now time.Time) time.Duration {
	from := started
	if failed {
		from = ended
	}
	return max(0, from.Add(delay).Sub(now))
}
