package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"

	"github.com/kestra-migrator/kestra-migrator/migrator/report"
)

// progress draws a bar on stderr when it is a terminal, never in CI or
// pipes. It counts flows (the total is not known before the namespaces are
// searched) and says how many namespaces are done.
type progress struct {
	mu         sync.Mutex
	bar        *progressbar.ProgressBar
	w          io.Writer
	namespaces int
	nsDone     int
	flowsDone  int64
}

func newProgress(w io.Writer) *progress {
	f, ok := w.(*os.File)
	if !ok || !isatty.IsTerminal(f.Fd()) || os.Getenv("CI") != "" {
		return nil
	}
	return &progress{w: w}
}

func (p *progress) NamespacesFound(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.namespaces = n
	// the total of flows is unknown: a spinner, the counts in its description
	p.bar = progressbar.NewOptions(-1, progressbar.OptionSetWriter(p.w), progressbar.OptionSetDescription(p.description()),
		progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100*time.Millisecond))
}

func (p *progress) description() string {
	return fmt.Sprintf("%d flows done (%d/%d namespaces)", p.flowsDone, p.nsDone, p.namespaces)
}

func (p *progress) FlowDone(string, report.Status) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.flowsDone++
	if p.bar != nil {
		p.bar.Describe(p.description())
		_ = p.bar.Add(1) // spins and renders (throttled)
	}
}

func (p *progress) NamespaceDone(string, report.Counts) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.nsDone++
	if p.bar != nil {
		p.bar.Describe(p.description())
	}
}

// flows is how many flows the bar has counted.
func (p *progress) flows() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.flowsDone
}

// writeAbove writes a log line: the bar's line is cleared first, so that
// the line is whole, and the bar is drawn again below it.
func (p *progress) writeAbove(w io.Writer, line []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Clear()
	}
	n, err := w.Write(line)
	if p.bar != nil {
		_ = p.bar.RenderBlank()
	}
	return n, err
}

// finish removes the bar before the report is printed.
func (p *progress) finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
		p.bar = nil
	}
}
