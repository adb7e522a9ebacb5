package migrator_test

import (
	"context"
	"iter"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kestra-migrator/kestra-migrator/client"
	"github.com/kestra-migrator/kestra-migrator/client/kestratest"
	"github.com/kestra-migrator/kestra-migrator/migrator"
	"github.com/kestra-migrator/kestra-migrator/migrator/fleettest"
	"github.com/kestra-migrator/kestra-migrator/store"
)

// stopAfter cancels the run after n calls to the server.
type stopAfter struct {
	migrator.FlowSource
	n      atomic.Int64
	cancel context.CancelFunc
}

func (s *stopAfter) tick() {
	if s.n.Add(-1) == 0 {
		s.cancel()
	}
}

func (s *stopAfter) Flow(ctx context.Context, ns, id string) (*client.Flow, error) {
	s.tick()
	return s.FlowSource.Flow(ctx, ns, id)
}

func (s *stopAfter) UpdateFlow(ctx context.Context, ns, id string, src []byte) (*client.Flow, error) {
	s.tick()
	return s.FlowSource.UpdateFlow(ctx, ns, id, src)
}

func (s *stopAfter) Validate(ctx context.Context, sources [][]byte) ([]client.Validation, error) {
	s.tick()
	return s.FlowSource.Validate(ctx, sources)
}

func (s *stopAfter) SearchFlows(ctx context.Context, q client.SearchQuery) iter.Seq2[client.Flow, error] {
	s.tick()
	return s.FlowSource.SearchFlows(ctx, q)
}

func (s *stopAfter) ExportNamespace(ctx context.Context, ns string, fn func(client.ExportedFlow) error) error {
	s.tick()
	return s.FlowSource.ExportNamespace(ctx, ns, fn)
}

// TestApplyStoppedAnywhereThenResumedMigratesEachFlowOnce stops apply after
// a random number of server calls, many times, then lets a re-run finish:
// every flow is migrated exactly once, nothing is lost or doubled.
func TestApplyStoppedAnywhereThenResumedMigratesEachFlowOnce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	partial := 0 // rounds stopped with some, not all, flows migrated
	for round := 0; round < 12; round++ {
		f := fleettest.NewFleet(t, fleettest.Generate(60, 5, 0.5, false), kestratest.Options{})
		stops := 1 + rng.IntN(3)
		for i := 0; i < stops; i++ {
			ctx, cancel := context.WithCancel(context.Background())
			src := &stopAfter{FlowSource: f.Client, cancel: cancel}
			src.n.Store(int64(1 + rng.IntN(70)))
			e := f.Engine()
			e.Source = src
			_, err := e.Run(ctx, migrator.RunOptions{Mode: migrator.ModeApply, Selection: migrator.Selection{All: true}, Resume: true})
			cancel()
			if err != nil && ctx.Err() == nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if done, pending := migratedCount(f); done > 0 && done < pending {
			partial++
		}
		rep := f.Run(t, migrator.ModeApply)
		if rep.Summary.Failed+rep.Summary.Conflict != 0 {
			t.Errorf("round %d: the final run left %+v", round, rep.Summary)
		}
		assertMigratedOnce(t, f)
	}
	if partial < 3 {
		t.Errorf("only %d rounds stopped midway: the test proves little", partial)
	}
}

func migratedCount(f *fleettest.Fleet) (done, pending int) {
	for _, fl := range f.Flows {
		if fl.Pending() {
			pending++
			if len(f.Server.Revisions(fl.Namespace, fl.ID)) > 1 {
				done++
			}
		}
	}
	return done, pending
}

// assertMigratedOnce: each pending flow has exactly one new revision, holds
// the migrated source, and has a written snapshot of its exact original.
func assertMigratedOnce(t *testing.T, f *fleettest.Fleet) {
	t.Helper()
	written, err := f.Store.Snapshots(store.SnapshotFilter{State: store.SnapshotWritten})
	if err != nil {
		t.Fatal(err)
	}
	snaps := map[string]int{}
	originals := map[string]string{}
	for _, s := range written {
		snaps[s.Namespace+"/"+s.FlowID]++
		originals[s.Namespace+"/"+s.FlowID] = string(s.Original)
	}
	for _, fl := range f.Flows {
		key := fl.Namespace + "/" + fl.ID
		revs := f.Server.Revisions(fl.Namespace, fl.ID)
		cur := revs[len(revs)-1]
		if !fl.Pending() {
			if len(revs) != 1 || snaps[key] != 0 {
				t.Errorf("%s (%s): %d revisions, %d snapshots", key, fl.Expect, len(revs), snaps[key])
			}
			continue
		}
		if len(revs) != 2 || !strings.Contains(cur.Source, "taskRunner:") {
			t.Errorf("%s: %d revisions (want 2)", key, len(revs))
		}
		if snaps[key] != 1 || originals[key] != fl.Source {
			t.Errorf("%s: %d written snapshots, original kept: %v", key, snaps[key], originals[key] == fl.Source)
		}
	}
}
