package kestrafake

// Flow returns the current revision of a flow (deleted ones included, with
// Deleted set).
func (s *Server) Flow(ns, id string) (Flow, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.flows[key(ns, id)]
	if !ok {
		return Flow{}, false
	}
	return s.toFlow(rec, rec.current()), true
}

// Revisions returns every revision of a flow, ascending, the delete marker
// included.
func (s *Server) Revisions(ns, id string) []Flow {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.flows[key(ns, id)]
	if !ok {
		return nil
	}
	out := make([]Flow, 0, len(rec.revs))
	for _, rev := range rec.revs {
		out = append(out, s.toFlow(rec, rev))
	}
	return out
}

// Flows returns the current revision of every live flow, sorted by namespace
// then id.
func (s *Server) Flows() []Flow {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Flow
	s.each(filter{}, func(rec *record) { out = append(out, s.toFlow(rec, rec.current())) })
	return out
}

// SetValidator adds a constraint of the test's own: a non-empty message makes
// validate report it and create/update answer 422 with it.
func (s *Server) SetValidator(fn func(ns, id string, source []byte) string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.validator = fn
}
