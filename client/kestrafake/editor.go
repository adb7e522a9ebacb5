package kestrafake

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Editor simulates a person who edits a flow in Kestra's UI right after the
// migrator read it. The edit is applied before the read's answer is sent
// (the answer still carries the revision that was read), so a client that
// writes without re-reading is certain to overwrite it.
type Editor struct {
	Rate     float64 // fraction of reads followed by an edit; 1 = every read
	Max      int     // stop after this many edits; 0 = no limit
	OnExport bool    // each flow in an export counts as a read too
	// Edit returns the new source; nil appends "# edited by a human <n>".
	Edit func(f Flow, n int) string
	Seed int64
}

// Edit is one human edit, as recorded by EditedFlows.
type Edit struct {
	Namespace, ID string
	Revision      int // the revision the edit created
}

// SetEditor replaces the editor in force and restarts its count.
func (s *Server) SetEditor(e Editor) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	s.editor = e
	s.erng = rand.New(rand.NewPCG(uint64(e.Seed), 0x68756d616e))
	s.nEdited = 0
}

// EditedFlows lists every human edit (Editor and Server.Edit) in order.
func (s *Server) EditedFlows() []Edit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Edit(nil), s.edits...)
}

// maybeEdit applies an editor edit to rec after a read. Caller holds mu.
func (s *Server) maybeEdit(rec *record, export bool) {
	s.fmu.Lock()
	e := s.editor
	hit := e.Rate > 0 && (!export || e.OnExport) && (e.Max == 0 || s.nEdited < e.Max) &&
		s.erng.Float64() < e.Rate
	if hit {
		s.nEdited++
	}
	n := s.nEdited
	s.fmu.Unlock()
	if !hit {
		return
	}
	f := s.toFlow(rec, rec.current())
	src := humanEdit(f, n)
	if e.Edit != nil {
		src = e.Edit(f, n)
	}
	_, _ = s.editLocked(rec.ns, rec.id, src)
}

func humanEdit(f Flow, n int) string {
	src := f.Source
	if src != "" && !strings.HasSuffix(src, "\n") {
		src += "\n"
	}
	return src + fmt.Sprintf("# edited by a human %d\n", n)
}

// Edit changes a flow as a person would (a new revision unless the source is
// identical) and records it in EditedFlows.
func (s *Server) Edit(ns, id, source string) (Flow, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.editLocked(ns, id, source)
}

func (s *Server) editLocked(ns, id, source string) (Flow, error) {
	before := 0
	if rec, ok := s.liveRecord(ns, id); ok {
		before = rec.current().num
	}
	rec, aerr := s.update(ns, id, source)
	if aerr != nil {
		return Flow{}, fmt.Errorf("edit %s/%s: %d %s", ns, id, aerr.status, aerr.message)
	}
	cur := rec.current()
	if cur.num != before {
		s.edits = append(s.edits, Edit{Namespace: ns, ID: id, Revision: cur.num})
	}
	return s.toFlow(rec, cur), nil
}
