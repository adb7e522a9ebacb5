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

// known is an earlier verdict on a flow, good while it keeps revision at.
type known struct {
	at int
	o  outcome
}

// nsScan is one namespace's pass.
type nsScan struct {
	r       *run
	ns      string
	only    map[string]bool  // nil: every flow
	exclude map[string]bool  // ids the operator acknowledged (--exclude-flow)
	revs    map[string]int   // id -> revision, from the search
	subtree int              // flows the search listed, child namespaces included
	known   map[string]known // id -> what an earlier pass settled
	batch   []*flow
	prev    *store.NamespaceProgress // the last pass's, when incremental

	mu      sync.Mutex // guards what settle collects
	settled map[string]bool
	counts  report.Counts
	states  []store.FlowState
	marks   []store.SnapshotMark // not yet recorded
}

// namespace runs the run's path over one namespace: list, answer what is
// known, read and rewrite the rest, validate and settle them in batches,
// record. A namespace cut short reports the flows it did not reach as
// not-attempted.
func (r *run) namespace(ctx context.Context, ns string, sc scope) error {
	only := sc.only[ns]
	if r.path.finished != nil {
		if c, ok := r.path.finished(r, ns); ok {
			r.rec.AddNamespace(ns, c) // finished before the interruption
			r.e.observeNamespace(ns, c)
			return nil
		}
	}
	s := &nsScan{r: r, ns: ns, only: only, exclude: sc.excluded[ns], known: map[string]known{}, settled: map[string]bool{}}
	r.rec.Touch(ns)
	err := s.listRevisions(ctx)
	if err == nil && r.path.known != nil {
		err = r.path.known(s)
	}
	if err == nil {
		err = s.scan(ctx)
	}
	if err == nil {
		err = s.flush(ctx, true)
	}
	if err != nil {
		s.notReached(ctx, err)
	}
	if rerr := s.record(err == nil); rerr != nil && err == nil {
		err = rerr
	}
	r.e.observeNamespace(ns, s.counts)
	return err
}

// listRevisions pages through the search for this namespace's flows.
func (s *nsScan) listRevisions(ctx context.Context) error {
	s.revs = map[string]int{}
	for f, err := range s.r.src.SearchFlows(ctx, client.SearchQuery{Namespace: s.ns}) {
		if err != nil {
			return fmt.Errorf("search flows: %w", err)
		}
		s.subtree++
		switch {
		case f.Namespace != s.ns: // the search also returns child namespaces
		case s.exclude[f.ID] && (s.only == nil || s.only[f.ID]):
			s.settle(outcome{ns: s.ns, id: f.ID, status: report.StatusExcluded, revision: f.Revision,
				reason: "excluded by the operator (--exclude-flow)"})
		case s.wanted(f.ID):
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
	if (s.r.path.readFew || s.only != nil) && changed <= fetchAloneMax {
		return true
	}
	return changed*subtreeRatio < s.subtree
}

func (s *nsScan) wanted(id string) bool { return (s.only == nil || s.only[id]) && !s.exclude[id] }

// scan answers the flows an earlier pass settled, then reads the others: a
// few one by one, else the namespace in one export.
func (s *nsScan) scan(ctx context.Context) error {
	changed := map[string]bool{}
	for id, rev := range s.revs {
		if k, ok := s.known[id]; ok && k.at == rev {
			s.settle(k.o)
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
	err := s.r.src.ExportNamespace(ctx, s.ns, func(x client.ExportedFlow) error {
		if x.Err != nil {
			id := x.ID
			if id == "" {
				id = s.entryID(x.Entry)
			}
			if x.Namespace == s.ns || x.Namespace == "" && id != "" {
				seen[id] = true
				s.fail(id, s.revs[id], fmt.Sprintf("export entry %q: %v", x.Entry, x.Err))
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
		f, err := s.r.src.Flow(ctx, s.ns, id)
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

// process rewrites one flow: a flow to migrate joins the batch, any other
// is settled now.
func (s *nsScan) process(ctx context.Context, f *flow) error {
	res, err := s.r.rw.Rewrite(f.source)
	if err != nil {
		s.settle(outcome{ns: f.ns, id: f.id, status: report.StatusFailed, revision: f.revision, source: f.source,
			reason: fmt.Sprintf("cannot rewrite: %v", err)})
		return nil
	}
	f.result = res
	if res.Status != rewrite.StatusPending {
		s.settle(s.rewritten(f, report.Status(res.Status)))
		return nil
	}
	s.batch = append(s.batch, f)
	if len(s.batch) >= s.batchSize() {
		return s.flush(ctx, false)
	}
	return nil
}

// rewritten is the outcome of a rewritten flow, with its diff when asked.
func (s *nsScan) rewritten(f *flow, status report.Status) outcome {
	o := outcome{ns: f.ns, id: f.id, status: status, revision: f.revision, source: f.source, result: &f.result}
	if s.r.e.Diff {
		to := f.result.Source
		if f.result.Proposed != nil {
			to = f.result.Proposed // unsupported: what the rule would write
		}
		o.diff = report.UnifiedDiff(f.ns+"/"+f.id+".yml", f.source, to)
	}
	return o
}

// fail settles a flow that could not be handled.
func (s *nsScan) fail(id string, rev int, reason string) {
	s.settle(outcome{ns: s.ns, id: id, status: report.StatusFailed, revision: rev, reason: reason})
}

// settle records one flow's outcome: its report item, its state and its
// snapshot marks (recorded with the namespace, or after a batch).
func (s *nsScan) settle(o outcome) {
	if o.status == report.StatusFailed {
		s.r.e.log().Warn("flow failed", "flow", o.ns+"/"+o.id, "reason", o.reason)
	}
	s.r.rec.Add(o.item())
	st, hasState := o.state(s.r.id)
	marks := o.marks(s.r.id)
	s.mu.Lock()
	s.counts.Add(o.status)
	s.settled[o.id] = true
	if hasState {
		s.states = append(s.states, st)
	}
	s.marks = append(s.marks, marks...)
	s.mu.Unlock()
	if obs := s.r.e.Observer; obs != nil {
		obs.FlowDone(o.ns, o.status)
	}
}

// notReached settles every flow of the namespace the run did not reach
// (listed, or read and waiting in a batch) as not-attempted.
func (s *nsScan) notReached(ctx context.Context, err error) {
	cause := stopReason(ctx, err)
	batch := s.batch
	s.batch = nil
	for _, f := range batch {
		if !s.isSettled(f.id) {
			s.settle(stoppedOutcome(f.ns, f.id, f.revision, cause))
		}
	}
	for id, rev := range s.revs {
		if !s.isSettled(id) {
			s.settle(stoppedOutcome(s.ns, id, rev, cause))
		}
	}
}

func (s *nsScan) isSettled(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.settled[id]
}

// takeMarks hands over the marks not yet recorded.
func (s *nsScan) takeMarks() []store.SnapshotMark {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.marks
	s.marks = nil
	return m
}

// record saves the namespace's flow states, progress and last marks in one
// transaction.
func (s *nsScan) record(complete bool) error {
	e := s.r.e
	if !s.r.path.records {
		return nil
	}
	marks := s.takeMarks()
	if complete && len(s.states) == 0 && len(marks) == 0 && s.prev != nil && s.prev.Complete && maps.Equal(s.prev.Counts, s.counts.Map()) {
		return nil // a quiet pass: nothing to record, no fsync
	}
	now := e.now()
	for i := range s.states {
		s.states[i].UpdatedAt = now
	}
	err := e.Store.RecordNamespace(s.states, store.NamespaceProgress{Namespace: s.ns, Counts: s.counts.Map(),
		LastScan: now, Complete: complete, RunID: s.r.id}, marks...)
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

func intPtr(i int) *int { return &i }
