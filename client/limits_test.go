package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kestra-migrator/kestra-migrator/client"
)

// hostile answers every call with a body of size bytes that starts like the
// JSON expected (a flow, a list), with or without saying its size.
func hostile(t *testing.T, size int64, sayLength bool) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if sayLength {
			w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
		}
		w.Header().Set("Content-Type", "application/json")
		head := `{"id":"etl","namespace":"company","source":"`
		if strings.HasSuffix(r.URL.Path, "/distinct-namespaces") {
			head = `["`
		}
		_, _ = io.WriteString(w, head)
		_, _ = io.CopyN(w, zeros{}, size-int64(len(head)))
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

// zeros reads as an endless run of 'a'.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

// TestOversizedAnswerIsRefused: an answer over MaxAnswerSize is an error
// naming the call and the limit, not retried, whether or not the server
// says its size.
func TestOversizedAnswerIsRefused(t *testing.T) {
	for _, sayLength := range []bool{true, false} {
		t.Run(fmt.Sprintf("content-length=%v", sayLength), func(t *testing.T) {
			srv, calls := hostile(t, 8<<20, sayLength)
			cfg := fastConfig(srv.URL)
			cfg.Tenant, cfg.MaxAnswerSize = "main", 1<<20
			c := newClient(t, cfg)
			_, err := c.Flow(context.Background(), "company", "etl")
			if err == nil || !strings.HasPrefix(err.Error(), "get company/etl: ") || !strings.Contains(err.Error(), "max-answer-size") {
				t.Fatalf("err = %v, want a refusal naming the call and the limit", err)
			}
			if _, err := c.Namespaces(context.Background()); err == nil || !strings.Contains(err.Error(), "namespaces: ") {
				t.Fatalf("namespaces: err = %v", err)
			}
			if n := calls.Load(); n != 2 {
				t.Errorf("%d requests for 2 calls: an oversized answer is not retried", n)
			}
		})
	}
}

// TestOversizedExportIsRefused: an export is spooled to disk, up to its own limit.
func TestOversizedExportIsRefused(t *testing.T) {
	srv, _ := hostile(t, 4<<20, false)
	cfg := fastConfig(srv.URL)
	cfg.Tenant, cfg.ExportLimit, cfg.TempDir = "main", 1<<20, t.TempDir()
	c := newClient(t, cfg)
	err := c.ExportNamespace(context.Background(), "company", func(client.ExportedFlow) error { return nil })
	if err == nil || !strings.HasPrefix(err.Error(), "export namespace company: ") || !strings.Contains(err.Error(), "export-limit") {
		t.Fatalf("err = %v, want a refusal naming the export and its limit", err)
	}
}

// TestLargeAnswersInFlightStayWithinTheBudget measures the live heap while
// eight calls fetch 16 MiB answers at once: the answers being read and
// decoded together are bounded by AnswerBudget (here two answers), not by
// the number of calls. The heap is measured (after a GC) by the server each
// time it has sent half of an answer, when the readers hold the most.
func TestLargeAnswersInFlightStayWithinTheBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 128 MiB")
	}
	const size, calls = 16 << 20, 8
	var peak atomic.Uint64
	measure := func() {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		for {
			p := peak.Load()
			if m.HeapAlloc <= p || peak.CompareAndSwap(p, m.HeapAlloc) {
				return
			}
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(size))
		head, tail := `{"id":"etl","namespace":"company","source":"`, `"}`
		_, _ = io.WriteString(w, head)
		body := size - len(head) - len(tail)
		_, _ = io.CopyN(w, zeros{}, int64(body/2))
		measure()
		_, _ = io.CopyN(w, zeros{}, int64(body-body/2))
		_, _ = io.WriteString(w, tail)
	}))
	t.Cleanup(srv.Close)
	cfg := fastConfig(srv.URL)
	cfg.Tenant, cfg.MaxAnswerSize, cfg.AnswerBudget = "main", size, 2*size
	c := newClient(t, cfg)
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var wg sync.WaitGroup
	errs := make(chan error, calls)
	for range calls {
		wg.Go(func() {
			f, err := c.Flow(context.Background(), "company", "etl")
			if err == nil && len(f.Source) != size-len(`{"id":"etl","namespace":"company","source":""}`) {
				err = errors.New("short source")
			}
			errs <- err // the flow is dropped: the engine processes and forgets each
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	grew := int64(peak.Load()) - int64(base.HeapAlloc)
	// two answers read (2 x 16 MiB) and the sources decoded from them, plus
	// a few flows whose callers have not dropped them yet; without the
	// budget all eight are read at once (176 to 240 MiB measured)
	limit := int64(7 * size)
	t.Logf("peak live heap %d MiB above the start, with %d answers of %d MiB in flight", grew>>20, calls, size>>20)
	if grew > limit {
		t.Errorf("the live heap grew by %d MiB with %d answers in flight, want at most %d MiB: the budget does not bound them", grew>>20, calls, limit>>20)
	}
}
