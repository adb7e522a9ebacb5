package chaos_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/migrator/fleettest"
	"github.com/kestra-migrator/kestra-migrator/migrator/report"
)

// racer is a person who edits a flow in Kestra's UI just before the
// migrator's write of it reaches the server: after every check the migrator
// can make (Kestra has no optimistic concurrency), the hardest case.
type racer struct {
	mu     sync.Mutex
	rate   float64
	rng    *rand.Rand
	n      int
	edited map[string]bool // flows edited this pass: a person does not edit the same flow twice in a second
}

func newRacer(rate float64, seed uint64) *racer {
	return &racer{rate: rate, rng: rand.New(rand.NewPCG(seed, 0x72616365)), edited: map[string]bool{}}
}

func (e *racer) newPass() {
	e.mu.Lock()
	clear(e.edited)
	e.mu.Unlock()
}

func (e *racer) stop() {
	e.mu.Lock()
	e.rate = 0
	e.mu.Unlock()
}

// hook edits the flow, then lets the fake handle the write.
func (e *racer) hook(_ http.ResponseWriter, r *http.Request, srv *kestratest.Server) bool {
	c := classify(r)
	if c.endpoint != kestratest.EndpointUpdate {
		return false
	}
	e.mu.Lock()
	hit := !e.edited[c.ns+"/"+c.id] && e.rng.Float64() < e.rate
	if hit {
		e.edited[c.ns+"/"+c.id] = true
		e.n++
	}
	n := e.n
	e.mu.Unlock()
	if hit {
		editFlow(srv, c.ns, c.id, fmt.Sprintf("just before a write %d", n))
	}
	return false
}

// editFlow appends a marker that assertEditsKept looks for.
func editFlow(srv *kestratest.Server, ns, id, what string) {
	cur, ok := srv.Flow(ns, id)
	if !ok {
		return
	}
	src := cur.Source
	if !strings.HasSuffix(src, "\n") {
		src += "\n"
	}
	if _, err := srv.Edit(ns, id, src+"# edited by a human "+what+"\n"); err != nil {
		panic(err) // the fake refused a valid edit: a bug in the test
	}
}

// TestConcurrentEditorLosesNoEdit: a person edits about 20% of the flows
// right after the migrator reads them (the export), and about 20% of the
// flows it writes just before the write lands (after the migrator's last
// check). No edit may be lost; the flows edited under the migrator are
// conflicts, and later passes migrate them from their edited revision.
func TestConcurrentEditorLosesNoEdit(t *testing.T) {
	sz := suiteSizes()
	flows := fleettest.Generate(sz.flows, sz.namespaces, legacyShare, false)
	race := newRacer(0.2, 6)
	srv, url := wrapped(t, kestratest.Options{}, race.hook)
	f := fleettest.NewFleetOn(t, srv, url, flows, fleettest.ClientConfig(url, kestratest.Options{}))
	f.Server.SetEditor(kestratest.Editor{Rate: 0.2, OnExport: true, Seed: 6})
	start := time.Now()
	var conflicts, putBack int
	passes := 0
	for ; passes < 8; passes++ {
		if passes == 1 {
			f.Server.SetEditor(kestratest.Editor{}) // the person goes home: the fleet must converge
			race.stop()
		}
		race.newPass()
		rep := f.Run(t, migrator.ModeApply)
		for _, it := range fleettest.Items(rep) {
			switch {
			case it.Status == report.StatusFailed || it.Status == report.StatusInvalid:
				t.Errorf("pass %d: %s/%s: %s: %s", passes, it.Namespace, it.ID, it.Status, fleettest.Reason(it))
			case it.Status == report.StatusConflict && strings.Contains(fleettest.Reason(it), "was restored"):
				putBack++
			}
		}
		conflicts += rep.Summary.Conflict
		if lost := assertEditsKept(t, f.Server, f.Server.EditedFlows()); lost > 0 {
			t.Fatalf("pass %d lost %d edits", passes, lost)
		}
		if countMigrated(f.Server, flows) == f.Pending() && rep.Summary.Conflict == 0 {
			break
		}
	}
	edits := f.Server.EditedFlows()
	editedFlows := map[string]bool{}
	for _, e := range edits {
		editedFlows[e.Namespace+"/"+e.ID] = true
	}
	t.Logf("%s: %d edits on %d flows (%.0f%%): %d right after the export, %d just before the write (%d put back over the migration); %d conflicts; 0 lost; converged after %d passes in %s",
		sz, len(edits), len(editedFlows), 100*float64(len(editedFlows))/float64(len(flows)), len(edits)-race.n, race.n, putBack,
		conflicts, passes+1, time.Since(start).Round(time.Millisecond))
	if len(editedFlows) < len(flows)/10 || race.n == 0 || putBack == 0 {
		t.Errorf("%d flows edited, %d edits just before a write, %d put back: the test proves little", len(editedFlows), race.n, putBack)
	}
	for _, fl := range flows {
		cur, _ := f.Server.Flow(fl.Namespace, fl.ID)
		switch {
		case fl.Pending() && !migratedSource(cur.Source):
			t.Errorf("%s/%s not migrated after %d passes:\n%s", fl.Namespace, fl.ID, passes+1, cur.Source)
		case !fl.Pending() && !strings.HasPrefix(cur.Source, fl.Source):
			t.Errorf("%s/%s (%s) changed by the migrator:\n%s", fl.Namespace, fl.ID, fl.Expect, cur.Source)
		}
	}
}

// TestEditDuringThePutBackOfAnEditIsKept: a person edits a flow just before
// the migrator's write, then edits it again just before the migrator puts
// the first edit back. Both edits must survive: the put-back must not
// overwrite the second edit as the migration overwrote the first. (Found by
// this suite; fixed in 50b29eb by merging the second edit in.)
func TestEditDuringThePutBackOfAnEditIsKept(t *testing.T) {
	flows := []fleettest.Flow{fleettest.Make("company.team", "etl", fleettest.Process)}
	var mu sync.Mutex
	puts := 0
	srv, url := wrapped(t, kestratest.Options{}, func(_ http.ResponseWriter, r *http.Request, srv *kestratest.Server) bool {
		c := classify(r)
		if c.endpoint != kestratest.EndpointUpdate {
			return false
		}
		mu.Lock()
		puts++
		n := puts
		mu.Unlock()
		if n <= 2 { // before the migration's write, then before the put-back of the first edit
			editFlow(srv, c.ns, c.id, fmt.Sprintf("before write %d", n))
		}
		return false
	})
	f := fleettest.NewFleetOn(t, srv, url, flows, fleettest.ClientConfig(url, kestratest.Options{}))
	rep := f.Run(t, migrator.ModeApply)
	it := fleettest.Items(rep)["company.team/etl"]
	edits := srv.EditedFlows()
	if len(edits) != 2 {
		t.Fatalf("%d edits made, want 2 (%d writes)", len(edits), puts)
	}
	if lost := assertEditsKept(t, srv, edits); lost > 0 {
		t.Errorf("apply reported %s (%s) and lost %d of 2 edits", it.Status, fleettest.Reason(it), lost)
	}
}
