package projector_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/audit"
	"github.com/lexledger/lexledger/bench"
	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/merkle"
	"github.com/lexledger/lexledger/pebblestore"
	"github.com/lexledger/lexledger/projections"
	"github.com/lexledger/lexledger/projector"
)

// memoryBoundPerEvent is the live heap, in bytes an event, that the
// projector service (projection, Merkle tree, leaf index) may hold after
// the CI run of TestMemoryPerEvent: 1,171 measured at 200,000 events on
// 2026-12-03 after the leaf index lost its map of ids (1,178 at 20,000;
// 1,220 before), the same with the race detector (BENCHMARKS.md, Issue
// 15: the leaf index and the check of the stored bytes), and an eighth
// more for another Go version.
const memoryBoundPerEvent = 1320

// ciMemoryEvents is how many events TestMemoryPerEvent folds in CI
// (issue 15: a CI test of 200,000 events).
const ciMemoryEvents = 200_000

// memoryBoundPerEventPebble is memoryBoundPerEvent with the records in
// Pebble: 547 measured at 200,000 events on 2026-12-03 (599 before the
// leaf index lost its map of ids), and an eighth more.
const memoryBoundPerEventPebble = 620

// memoryModelCache is the models' cache of the projectors measured: the
// cache is a fixed cost, up to its bound, not one that grows with the
// events, and the bounds above were measured with it at 100,000 events
// (projections.DefaultModelCache until 2026-12-04). With the default of
// 300,000, a book of 200,000 events would hold every model, a cost the
// bound per event would wrongly count as growing with the book.
const memoryModelCache = 100_000

// mustStoreDefault opens a Pebble store with the default options (its
// cache as the projector's), closed when the test ends.
func mustStoreDefault(t *testing.T) *pebblestore.Store {
	t.Helper()
	s, err := pebblestore.Open(t.TempDir(), pebblestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestMemoryPerEvent measures the live heap (runtime/metrics,
// /gc/heap/live:bytes after a collection) that the projection, the Merkle
// tree and the whole projector service keep per event, over the events of
// `ledger gen` (bench.GenerateShape) sealed as the ledger stores them, with
// the records in memory and in Pebble. In CI it folds ciMemoryEvents (200,000) events and
// checks the service against memoryBoundPerEvent and
// memoryBoundPerEventPebble; with LEX_BENCH=1 it measures LEX_BENCH_EVENTS
// (default 100000,300000) of the shape LEX_BENCH_SHAPE (simple, the
// default, or realistic) and logs the figures, and with LEX_MEMPROFILE=dir
// it writes a heap profile of each (go tool pprof
// -sample_index=inuse_space -top FILE).
func TestMemoryPerEvent(t *testing.T) {
	sizes := []int{ciMemoryEvents}
	if os.Getenv("LEX_BENCH") == "1" {
		sizes = []int{100000, 300000}
		if s := os.Getenv("LEX_BENCH_EVENTS"); s != "" {
			sizes = sizes[:0]
			for _, f := range strings.Split(s, ",") {
				n, err := strconv.Atoi(f)
				if err != nil {
					t.Fatalf("LEX_BENCH_EVENTS=%q: want numbers separated by commas", s)
				}
				sizes = append(sizes, n)
			}
		}
	}
	if os.Getenv("LEX_MEMPROFILE") != "" {
		runtime.MemProfileRate = 64 << 10 // finer samples than the default 512 KiB
	}
	for _, n := range sizes {
		proj := measureHeap(t, fmt.Sprintf("projection-%d", n), n, func() any {
			p := projections.New()
			p.SetModelCache(memoryModelCache)
			generateSealed(t, n, func(e eventlog.Entry) {
				if _, err := p.Apply(e); err != nil {
					t.Fatal(err)
				}
			})
			return p
		})
		tree := measureHeap(t, fmt.Sprintf("merkle-%d", n), n, func() any {
			tr := new(merkle.Tree)
			generateSealed(t, n, func(e eventlog.Entry) {
				leaf, _, err := audit.LeafOf(&e.Event)
				if err != nil {
					t.Fatal(err)
				}
				tr.Append(leaf)
			})
			return tr
		})
		svc := measureHeap(t, fmt.Sprintf("service-%d", n), n, func() any {
			s := projector.New(nil, nil, projector.Options{ModelCache: memoryModelCache})
			generateSealed(t, n, func(e eventlog.Entry) {
				if err := s.ApplyEntry(e); err != nil {
					t.Fatal(err)
				}
			})
			return s
		})
		t.Logf("%d events, live heap per event: service %.0f B = projection %.0f + Merkle tree %.0f + the rest %.0f (leaf index, subscribers)",
			n, svc, proj, tree, svc-proj-tree)
		if os.Getenv("LEX_BENCH") == "1" {
			// The check of the stored bytes (bytes.go) runs a verifier
			// beside the service: its tree in memory, or in files when
			// the projector's tree is (Options.TreeDir).
			inMemory := measureHeap(t, fmt.Sprintf("verifier-%d", n), n, func() any {
				return verifyStored(t, n, audit.NewVerifier(nil))
			})
			inFiles := measureHeap(t, fmt.Sprintf("verifier-files-%d", n), n, func() any {
				files, err := merkle.OpenFileStore(t.TempDir(), 0)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { files.Close() })
				return verifyStored(t, n, audit.NewVerifierOver(nil, files))
			})
			t.Logf("%d events, live heap per event of the check of the stored bytes: %.0f B with its tree in memory, %.0f B with it in files", n, inMemory, inFiles)
		}
		if len(sizes) == 1 && n == ciMemoryEvents && svc > memoryBoundPerEvent {
			t.Errorf("the projector service holds %.0f bytes of live heap an event after %d events, more than the bound of %d (BENCHMARKS.md, Memory per event)", svc, n, memoryBoundPerEvent)
		}

		// The same with the records in Pebble (pebblestore): what stays
		// in the Go heap, and what Pebble holds besides (its block cache
		// and memtables, bounded whatever the number of events).
		var offHeap int64
		pproj := measureHeap(t, fmt.Sprintf("projection-pebble-%d", n), n, func() any {
			st := mustStoreDefault(t)
			p := projections.NewWith(st)
			generateSealed(t, n, func(e eventlog.Entry) {
				if _, err := p.Apply(e); err != nil {
					t.Fatal(err)
				}
			})
			return p
		})
		psvc := measureHeap(t, fmt.Sprintf("service-pebble-%d", n), n, func() any {
			st := mustStoreDefault(t)
			s := projector.New(nil, nil, projector.Options{Store: st, ModelCache: memoryModelCache})
			generateSealed(t, n, func(e eventlog.Entry) {
				if err := s.ApplyEntry(e); err != nil {
					t.Fatal(err)
				}
			})
			cache, mem := st.Memory()
			offHeap = cache + mem
			return s
		})
		if os.Getenv("LEX_BENCH") == "1" {
			// As `ledger serve` runs it: records in Pebble, tree in files.
			measureHeap(t, fmt.Sprintf("service-pebble-treedir-%d", n), n, func() any {
				st := mustStoreDefault(t)
				s := projector.New(nil, nil, projector.Options{Store: st, TreeDir: t.TempDir(), ModelCache: memoryModelCache})
				if err := s.OpenTree(); err != nil {
					t.Fatal(err)
				}
				generateSealed(t, n, func(e eventlog.Entry) {
					if err := s.ApplyEntry(e); err != nil {
						t.Fatal(err)
					}
				})
				return s
			})
		}
		t.Logf("%d events with the records in Pebble, live heap per event: service %.0f B = projection %.0f + Merkle tree %.0f + the rest %.0f; Pebble's cache and memtables besides: %.1f MiB",
			n, psvc, pproj, tree, psvc-pproj-tree, float64(offHeap)/(1<<20))
		if len(sizes) == 1 && n == ciMemoryEvents && pebbleOnGoHeap {
			t.Logf("the bound of %d bytes an event on Pebble is not checked under the race detector: Pebble's cache and memtables are then on the Go heap, some of the time", memoryBoundPerEventPebble)
		} else if len(sizes) == 1 && n == ciMemoryEvents && psvc > memoryBoundPerEventPebble {
			t.Errorf("the projector service on Pebble holds %.0f bytes of live heap an event after %d events more than the bound of %d (BENCHMARKS.md, Memory per event)", psvc, n, memoryBoundPerEventPebble)
		}
	}
}

// measureHeap returns the live heap that what build returns holds, in
// bytes per event of n, and writes its heap profile under LEX_MEMPROFILE.
func measureHeap(t *testing.T, name string, n int, build func() any) float64 {
	t.Helper()
	before := liveHeap()
	start := time.Now()
	v := build()
	took := time.Since(start)
	after := liveHeap()
	if dir := os.Getenv("LEX_MEMPROFILE"); dir != "" {
		f, err := os.Create(filepath.Join(dir, name+".pprof"))
		if err != nil {
			t.Fatal(err)
		}
		if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	runtime.KeepAlive(v)
	per := float64(int64(after)-int64(before)) / float64(n)
	t.Logf("%s: %.1f MiB live, %.0f B an event (built in %s)", name, float64(after-before)/(1<<20), per, took.Round(time.Millisecond))
	return per
}

// liveHeap collects garbage and returns the live heap in bytes.
func liveHeap() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// generateSealed calls fn with the first n events of bench.GenerateShape
// (LEX_BENCH_SHAPE: simple, the default, or realistic, seed 1) as a reader
// of the stream would yield them: sealed by the ledger (schema 2, record
// time, recorder, hash chain), encoded and decoded again, at sequences
// from 1. Nothing of the events is kept here once it returns.
func generateSealed(t *testing.T, n int, fn func(eventlog.Entry)) {
	t.Helper()
	var (
		seq   uint64
		tips  = map[events.ActID]events.Digest{}
		clock = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	)
	w := writerFunc(func(line []byte) error {
		e, err := events.Decode(bytes.TrimSpace(line))
		if err != nil {
			return err
		}
		clock = clock.Add(time.Millisecond)
		e.Schema, e.RecordedAt, e.RecordedBy, e.PrevHash = 2, clock, "import@bench", tips[e.Act]
		data, err := e.Seal()
		if err != nil {
			return err
		}
		stored, err := events.Decode(data)
		if err != nil {
			return err
		}
		tips[stored.Act] = stored.Hash
		seq++
		fn(eventlog.Entry{Seq: seq, Event: stored})
		return nil
	})
	if err := bench.GenerateShape(context.Background(), w, bench.GenOptions{Shape: os.Getenv("LEX_BENCH_SHAPE"), Events: n, Seed: 1}); err != nil {
		t.Fatal(err)
	}
}

// verifyStored feeds v the stored bytes of the first n events of
// generateSealed, as the check of the stored bytes reads them, and
// returns it.
func verifyStored(t *testing.T, n int, v *audit.Verifier) *audit.Verifier {
	t.Helper()
	generateSealed(t, n, func(e eventlog.Entry) {
		data, err := events.Encode(&e.Event)
		if err != nil {
			t.Fatal(err)
		}
		v.AddStored(e.Seq, "", e.Event.Act, nil, data)
	})
	if err := v.Err(); err != nil {
		t.Fatal(err)
	}
	if rep := v.Report(); !rep.OK {
		t.Fatalf("the generated events do not verify: %+v", rep.Failures[0])
	}
	return v
}

// writerFunc is an io.Writer that hands each write (bench.Generate writes
// one event a write) to a function.
type writerFunc func([]byte) error

func (f writerFunc) Write(p []byte) (int, error) { return len(p), f(p) }
