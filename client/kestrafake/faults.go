package kestrafake

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"time"
)

// Faults are failures injected before (or, for Drop and Truncate, after) the
// fake handles a request. The zero value injects nothing.
type Faults struct {
	Latency time.Duration // added to every affected request
	Jitter  time.Duration // plus a random extra in [0, Jitter)

	Initial503 int     // the first N affected requests answer 503
	Rate503    float64 // then this fraction answers 503 (nothing is processed)

	Every429   int           // every Nth affected request answers 429
	RetryAfter time.Duration // sent with 429 and 503, in whole seconds (rounded up); 0 = no header

	// DropRate: this fraction is processed (writes happen), then the
	// connection is closed halfway through the answer.
	DropRate float64
	// TruncateRate: this fraction is processed, then answered with a
	// well-framed body cut in half, as a broken proxy would.
	TruncateRate float64
	// Hang: affected requests get no answer until the client gives up.
	Hang bool

	Endpoints []string // endpoint labels affected (see Requests); empty = all
	Seed      int64    // seeds the random choices; the same seed, the same faults
}

// SetFaults replaces the faults in force and restarts their counters.
func (s *Server) SetFaults(f Faults) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	s.faults = f
	s.rng = rand.New(rand.NewPCG(uint64(f.Seed), 0x6b657374726174))
	s.nFault = 0
}

// faultPlan is what happens to one request.
type faultPlan struct {
	delay      time.Duration
	hang       bool
	status     int // 429 or 503 answered before processing; 0 = none
	retryAfter time.Duration
	drop       bool
	truncate   bool
}

func (s *Server) planFaults(endpoint string) faultPlan {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	f := s.faults
	if len(f.Endpoints) > 0 && !slices.Contains(f.Endpoints, endpoint) {
		return faultPlan{}
	}
	s.nFault++
	p := faultPlan{delay: f.Latency, hang: f.Hang, retryAfter: f.RetryAfter}
	if f.Jitter > 0 {
		p.delay += time.Duration(s.rng.Int64N(int64(f.Jitter)))
	}
	switch {
	case s.nFault <= f.Initial503:
		p.status = http.StatusServiceUnavailable
	case f.Every429 > 0 && s.nFault%f.Every429 == 0:
		p.status = http.StatusTooManyRequests
	case s.rng.Float64() < f.Rate503:
		p.status = http.StatusServiceUnavailable
	case s.rng.Float64() < f.DropRate:
		p.drop = true
	case s.rng.Float64() < f.TruncateRate:
		p.truncate = true
	}
	return p
}

// wait sleeps for the planned latency, or forever when hanging, until the
// client goes away or the server closes. It reports whether to go on.
func (s *Server) wait(r *http.Request, p faultPlan) bool {
	var after <-chan time.Time
	switch {
	case p.hang:
	case p.delay > 0:
		t := time.NewTimer(p.delay)
		defer t.Stop()
		after = t.C
	default:
		return true
	}
	select {
	case <-after:
		return true
	case <-r.Context().Done():
	case <-s.done:
	}
	return false
}

func writeFaultStatus(w http.ResponseWriter, p faultPlan) {
	if p.retryAfter > 0 {
		secs := (p.retryAfter + time.Second - 1) / time.Second
		w.Header().Set("Retry-After", strconv.Itoa(int(secs)))
	}
	msg := "Service Unavailable (kestrafake fault)"
	if p.status == http.StatusTooManyRequests {
		msg = "Too Many Requests (kestrafake fault)"
	}
	writeJSONError(w, &apiError{status: p.status, message: msg})
}

// serveBroken runs h, then sends its answer damaged: cut in half with proper
// framing (truncate), or with the connection closed halfway (drop).
func serveBroken(w http.ResponseWriter, r *http.Request, h http.HandlerFunc, truncate bool) {
	rec := httptest.NewRecorder()
	h(rec, r)
	body := rec.Body.Bytes()
	half := body[:len(body)/2]
	if truncate {
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(half)))
		w.WriteHeader(rec.Code)
		_, _ = w.Write(half)
		return
	}
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // HTTP/2: abort the stream instead
	}
	defer conn.Close()
	if len(body) < 2 {
		return // nothing to cut: close before the status line
	}
	fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\n", rec.Code, http.StatusText(rec.Code))
	rec.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_ = rec.Header().Write(buf)
	buf.WriteString("\r\n")
	_, _ = buf.Write(half)
	_ = buf.Flush()
}
