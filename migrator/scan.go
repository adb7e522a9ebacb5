package migrator

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/migrator/report"
	"github.com/kestra-migrator/kestra-migrator/migrator/rewrite"
	"github.com/kestra-migrator/kestra-migrator/store"
)

// A batch is the rewritten flows that go through validation, snapshots and
// writes together (the client splits validation into its own requests).
// Before writing a batch the engine re-reads its namespace's revisions (a
// search of the whole subtree), so a large namespace takes larger batches:
// a tenth of its subtree, between these bounds.
const (
	minBatch = 200
	maxBatch = 1000
)

// batchSize keeps the re-reads of a namespace to about ten searches.
func (s *nsScan) batchSize() int { return min(max(s.subtree/10, minBatch), maxBatch) }

// fetchAloneMax: with this many changed flows or fewer, an incremental pass
// reads them one by one instead of exporting the namespace.
const fetchAloneMax = 4

// subtreeRatio: a namespace whose flows to read are fewer than 1/subtreeRatio
// of the flows of its subtree reads them one by one rather than export them
// all with the children's.
const subtreeRatio = 10

// flow is one flow on its way through the pipeline.
type flow struct {
	ns, id   string
	revision int // from the search; 0 when unknown
	source   []byte
	result   rewrite.Result
}

// nsScan is one namespace's pass.
type nsScan struct {
	r         *run
	ns        string
	only      map[string]bool // nil: every flow
	revs      map[string]int  // id -> revision, from the search
	subtree   int             // flows the search listed, child namespaces included
	states    map[string]store.FlowState
	batch     []*flow
	counts    report.Counts
	newSt     []store.FlowState
	prev      *store.NamespaceProgress // the last pass's, when incremental
	lastMarks []store.SnapshotMark     // the last batch's, recorded with the namespace
	mu        sync.Mutex
}

// namespace runs the pipeline over one namespace.
func (r *run) namespace(ctx context.Context, ns string, only map[string]bool) error {
	e := r.e
	if r.opts.Mode == ModeApply {
		if p, err := e.Store.Progress(ns); err == nil && p.RunID == r.id && p.Complete {
			r.rec.AddNamespace(ns, report.CountsFromMap(p.Counts)) // finished before the interruption
			e.observeNamespace(ns, report.CountsFromMap(p.Counts))
			return nil
		}
	}
	s := &nsScan{r: r, ns: ns, only: only}
	r.rec.Touch(ns)
	if err := s.listRevisions(ctx); err != nil {
		return err
	}
	if e.Incremental && e.Store != nil {
		states, err := e.Store.FlowStates(ns)
		if err != nil {
			return fmt.Errorf("read flow states: %w", err)
		}
		s.states = states
		if p, err := e.Store.Progress(ns); err == nil {
			s.prev = &p
		}
	}
	err := s.scan(ctx)
	if err == nil {
		err = s.flush(ctx, true)
	}
	if serr := s.record(err == nil); serr != nil && err == nil {
		err = serr
	}
	e.observeNamespace(ns, s.counts)
	return err
}

// listRevisions pages through the search for this namespace's flows.
func (s *nsScan) listRevisions(ctx context.Context) error {
	s.revs = map[string]int{}
	for f, err := range s.r.e.Source.SearchFlows(ctx, client.SearchQuery{Namespace: s.ns}) {
		if err != nil {
			return fmt.Errorf("search flows: %w", err)
		}
		s.subtree++
		if f.Namespace == s.ns && s.r.opts.Selection.excludesFlow(s.ns, f.ID) && (s.only == nil || s.only[f.ID]) {
			s.add(report.Item{Namespace: s.ns, ID: f.ID, Revision: intPtr(f.Revision), Status: report.StatusExcluded}, nil)
			continue
		}
		if f.Namespace == s.ns && s.wanted(f.ID) { // the search also returns child namespaces
			s.revs[f.ID] = f.Revision
		}
	}
	return nil
}

// readAlone says whether reading the changed flows one by one beats an
// export: a few changed flows in an incremental pass or a --flow selection,
// or a namespace whose own flows are a small part of its subtree (the
// export would carry every child namespace's sources too).
func (s *nsScan) readAlone(changed int) bool {
	if (s.r.e.Incremental || s.only != nil) && changed <= fetchAloneMax {
		return true
	}
	return changed*subtreeRatio < s.subtree
}

func (s *nsScan) wanted(id string) bool {
	return (s.only == nil || s.only[id]) && !s.r.opts.Selection.excludesFlow(s.ns, id)
}

// scan decides which flows need their source, then reads them: unchanged
// flows (incremental) are answered from the state file, a few changed ones
// are read one by one, else the namespace is exported in one request.
func (s *nsScan) scan(ctx context.Context) error {
	changed := map[string]bool{}
	for id, rev := range s.revs {
		if st, ok := s.states[id]; ok && st.Revision == rev && reusable(st.Status, s.r.opts.Mode) {
			s.reuse(st)
			continue
		}
		changed[id] = true
	}
	if len(changed) == 0 {
		return nil
	}
	if s.readAlone(len(changed)) {
		return s.fetchEach(ctx, changed)
	}
	seen := map[string]bool{}
	err := s.r.e.Source.ExportNamespace(ctx, s.ns, func(x client.ExportedFlow) error {
		if x.Err != nil {
			id := x.ID
			if id == "" {
				id = s.entryID(x.Entry)
			}
			if x.Namespace == s.ns || x.Namespace == "" && id != "" {
				seen[id] = true
				s.fail(s.ns, id, s.revs[id], fmt.Sprintf("export entry %q: %v", x.Entry, x.Err))
				return nil
			}
			if x.Namespace == "" { // no flow of ours: say the server sent it, use nothing of it
				msg := fmt.Sprintf("export of %s: refused entry %q: %v", s.ns, x.Entry, x.Err)
				s.r.e.log().Warn(msg)
				s.r.rec.Warn(msg)
			}
			return nil
		}
		if x.Namespace != s.ns || !changed[x.ID] && !s.newFlow(x.ID) {
			return nil
		}
		seen[x.ID] = true
		return s.process(ctx, &flow{ns: s.ns, id: x.ID, revision: s.revs[x.ID], source: x.Source})
	})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	missing := map[string]bool{}
	for id := range changed {
		if !seen[id] {
			missing[id] = true // created or renamed during the export: read it alone
		}
	}
	return s.fetchEach(ctx, missing)
}

// entryID maps an export entry's name ({ns}-{id}.yml, or {ns}.{id}.yml
// before 1.0) back to a listed flow of this namespace, or "".
func (s *nsScan) entryID(entry string) string {
	name := strings.TrimSuffix(strings.TrimSuffix(entry, ".yml"), ".yaml")
	for id := range s.revs {
		if name == s.ns+"-"+id || name == s.ns+"."+id {
			return id
		}
	}
	return ""
}

// newFlow: a flow the search did not list (created since) is scanned too,
// unless only some flows are selected.
func (s *nsScan) newFlow(id string) bool {
	_, listed := s.revs[id]
	return !listed && s.wanted(id)
}

// fetchEach reads flows one by one.
func (s *nsScan) fetchEach(ctx context.Context, ids map[string]bool) error {
	for id := range ids {
		f, err := s.r.e.Source.Flow(ctx, s.ns, id)
		switch {
		case errors.Is(err, client.ErrNotFound):
			continue // deleted since the search
		case err != nil:
			return fmt.Errorf("read %s/%s: %w", s.ns, id, err)
		}
		if err := s.process(ctx, &flow{ns: s.ns, id: id, revision: f.Revision, source: []byte(f.Source)}); err != nil {
			return err
		}
	}
	return nil
}

// reusable: an earlier pass's verdict still holds for the same revision.
func reusable(status string, mode Mode) bool {
	switch report.Status(status) {
	case report.StatusUpToDate, report.StatusMigrated, report.StatusUnsupported, report.StatusInvalid:
		return true
	case report.StatusPending:
		return mode == ModePlan
	}
	return false
}

// reuse reports a flow from the state file without reading it.
func (s *nsScan) reuse(st store.FlowState) {
	status := report.Status(st.Status)
	if status == report.StatusMigrated {
		status = report.StatusUpToDate // written by an earlier pass, unchanged since
	}
	it := report.Item{Namespace: s.ns, ID: st.ID, Revision: intPtr(st.Revision), Status: status}
	if st.Reason != "" {
		it.Reason = strPtr(st.Reason)
	}
	s.add(it, nil)
}

// process rewrites one flow and routes it by status.
func (s *nsScan) process(ctx context.Context, f *flow) error {
	res, err := s.r.e.Rewriter.Rewrite(f.source)
	if err != nil {
		s.fail(f.ns, f.id, f.revision, fmt.Sprintf("cannot rewrite: %v", err))
		return nil
	}
	f.result = res
	switch res.Status {
	case rewrite.StatusPending:
		s.batch = append(s.batch, f)
		if len(s.batch) >= s.batchSize() {
			return s.flush(ctx, false)
		}
		return nil
	default:
		it := s.item(f, report.Status(res.Status))
		if res.Status == rewrite.StatusUnsupported && res.Proposed != nil && s.r.e.Diff {
			it.Diff = report.UnifiedDiff(f.ns+"/"+f.id+".yml", f.source, res.Proposed)
		}
		s.add(it, &store.FlowState{Revision: f.revision, SourceHash: sourceHash(f.source)})
		return nil
	}
}

// item builds a report item for a rewritten flow.
func (s *nsScan) item(f *flow, status report.Status) report.Item {
	it := resultItem(report.Item{Namespace: f.ns, ID: f.id}, f.result)
	it.Status = status
	if f.revision > 0 {
		it.Revision = intPtr(f.revision)
	}
	return it
}

// fail records a flow that could not be handled.
func (s *nsScan) fail(ns, id string, rev int, reason string) {
	if ns == "" {
		ns = s.ns
	}
	it := report.Item{Namespace: ns, ID: id, Status: report.StatusFailed, Reason: strPtr(reason)}
	if rev > 0 {
		it.Revision = intPtr(rev)
	}
	s.r.e.log().Warn("flow failed", "flow", ns+"/"+id, "reason", reason)
	s.add(it, nil)
}

// add records an item, and the flow's state when st is given (the item's
// status and reason are filled in).
func (s *nsScan) add(it report.Item, st *store.FlowState) {
	s.r.rec.Add(it)
	s.mu.Lock()
	s.counts.Add(it.Status)
	if st != nil && it.ID != "" {
		st.Namespace, st.ID, st.Status, st.RunID = it.Namespace, it.ID, string(it.Status), s.r.id
		if it.Reason != nil {
			st.Reason = *it.Reason
		}
		s.newSt = append(s.newSt, *st)
	}
	s.mu.Unlock()
	if o := s.r.e.Observer; o != nil {
		o.FlowDone(it.Namespace, it.Status)
	}
}

// record saves the namespace's flow states and progress.
func (s *nsScan) record(complete bool) error {
	e := s.r.e
	if e.Store == nil || (s.r.opts.Mode != ModeApply && !e.Incremental) {
		return nil
	}
	if complete && len(s.newSt) == 0 && len(s.lastMarks) == 0 && s.prev != nil && s.prev.Complete && maps.Equal(s.prev.Counts, s.counts.Map()) {
		return nil // a quiet pass: nothing to record, no fsync
	}
	now := e.now()
	for i := range s.newSt {
		s.newSt[i].UpdatedAt = now
	}
	err := e.Store.RecordNamespace(s.newSt, store.NamespaceProgress{Namespace: s.ns, Counts: s.counts.Map(),
		LastScan: now, Complete: complete, RunID: s.r.id}, s.lastMarks...)
	if errors.Is(err, store.ErrTransition) || errors.Is(err, store.ErrNotFound) {
		// only marks were refused (the rest is recorded): their snapshots
		// stay as they were, and the next run settles any left "saved"
		e.log().Error("record the namespace's last writes", "namespace", s.ns, "err", err)
		return nil
	}
	return err
}

func (e *Engine) observeNamespace(ns string, c report.Counts) {
	if e.Observer != nil {
		e.Observer.NamespaceDone(ns, c)
	}
}

func intPtr(i int) *int       { return &i }
func strPtr(s string) *string { return &s }
