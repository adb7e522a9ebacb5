package daemon

import (
	"sync"
	"time"

	"github.com/kestra-migrator/kestra-migrator/migrator/report"
)

// Pass results, as labelled in metrics and logs.
const (
	resultSuccess     = "success"
	resultFailure     = "failure"
	resultInterrupted = "interrupted"
)

// Status is where the daemon stands, for /readyz and the logs.
type Status struct {
	// Ready: the last pass reached the server and finished without error.
	Ready               bool       `json:"ready"`
	Passes              int        `json:"passes"`
	ConsecutiveFailures int        `json:"consecutiveFailures"`
	LastMode            string     `json:"lastMode,omitempty"`
	LastPassAt          *time.Time `json:"lastPassAt,omitempty"`
	LastSuccessAt       *time.Time `json:"lastSuccessAt,omitempty"`
	LastError           string     `json:"lastError,omitempty"`
	NextPassAt          *time.Time `json:"nextPassAt,omitempty"`
	// Report is the last successful pass's report (served by /status).
	Report *report.Report `json:"-"`
}

// state is Status behind a lock, shared by the loop and the HTTP handlers.
type state struct {
	mu sync.Mutex
	s  Status
}

func (st *state) snapshot() Status {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.s
}

// passDone records a finished pass; an interrupted one changes nothing but
// the count.
func (st *state) passDone(mode string, result string, rep *report.Report, err error, ended time.Time) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.s.Passes++
	if result == resultInterrupted {
		return
	}
	st.s.LastMode, st.s.LastPassAt = mode, &ended
	switch result {
	case resultSuccess:
		st.s.Ready, st.s.ConsecutiveFailures, st.s.LastError = true, 0, ""
		st.s.LastSuccessAt, st.s.Report = &ended, rep
	default:
		st.s.Ready = false
		st.s.ConsecutiveFailures++
		st.s.LastError = err.Error()
	}
}

func (st *state) setNext(t time.Time) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.s.NextPassAt = &t
}
