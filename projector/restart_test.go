package projector_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/pebblestore"
	"github.com/lexledger/lexledger/projections"
	"github.com/lexledger/lexledger/projector"
)

// TestRestartTime measures what a restarted projector takes before it
// follows the stream again, as `ledger serve` runs it: its records in
// Pebble, its Merkle tree in files (Options.TreeDir). It folds
// LEX_BENCH_EVENTS (default 300000) events of LEX_BENCH_SHAPE, stops, and
// restores the projector from its store three times: projections.Open
// alone, then the whole Restore with the tree, then the first lookup of an
// event's leaf (which indexes the leaves of a reopened tree). Each restored
// projector must hold the events and the tree's root of the one that
// stopped. LEX_BENCH_DIR keeps the store there, and a store kept is
// restored without folding the events again. It runs with LEX_BENCH=1
// only: folding the realistic shape took 11 minutes for 1,000,000 events
// at load 7.
func TestRestartTime(t *testing.T) {
	if os.Getenv("LEX_BENCH") != "1" {
		t.Skip("LEX_BENCH=1 measures a restart")
	}
	sizes := []int{300000}
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
	for _, n := range sizes {
		dir := t.TempDir()
		if keep := os.Getenv("LEX_BENCH_DIR"); keep != "" {
			dir = filepath.Join(keep, strconv.Itoa(n))
		}
		storeDir, treeDir := filepath.Join(dir, "projection"), filepath.Join(dir, "projection-tree")
		wantFile := filepath.Join(dir, "want")
		var (
			want  projector.Consistency
			first events.ID
		)
		if b, err := os.ReadFile(wantFile); err == nil && len(b) == len(want.NewRoot)+len(first) {
			copy(want.NewRoot[:], b)
			copy(first[:], b[len(want.NewRoot):])
			t.Logf("%d events: the store kept in %s", n, dir)
		} else {
			want, first = foldKept(t, n, storeDir, treeDir)
			if err := os.WriteFile(wantFile, append(want.NewRoot[:], first[:]...), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		for range 3 {
			st, err := pebblestore.Open(storeDir, pebblestore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			p, err := projections.Open(st)
			if err != nil {
				t.Fatal(err)
			}
			open := time.Since(start)
			if p.Events() != uint64(n) {
				t.Fatalf("projections.Open restored %d events; want %d", p.Events(), n)
			}
			start = time.Now()
			s := projector.New(nil, nil, projector.Options{Store: st, TreeDir: treeDir})
			if err := s.Restore(context.Background()); err != nil {
				t.Fatal(err)
			}
			if err := s.OpenTree(); err != nil {
				t.Fatal(err)
			}
			restore := time.Since(start)
			got, err := s.Consistent(1, uint64(n))
			if err != nil {
				t.Fatal(err)
			}
			if got.NewRoot != want.NewRoot {
				t.Fatalf("the restored tree of %d leaves has root %s; the tree that stopped had %s", n, got.NewRoot, want.NewRoot)
			}
			// The first proof after a restart indexes the leaves.
			start = time.Now()
			if leaf, ok := s.LeafOfEvent(first); !ok || leaf != 0 {
				t.Fatalf("the first event is at leaf %d, %v; want 0, true", leaf, ok)
			}
			firstProof := time.Since(start)
			if err := s.Stop(); err != nil {
				t.Fatal(err)
			}
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			t.Logf("%d events of %d acts: projections.Open %s (%.2f µs an event); Restore with the tree in files %s (%.2f µs an event); the first proof's lookup %s",
				n, len(p.Acts()), open.Round(time.Millisecond), float64(open.Microseconds())/float64(n),
				restore.Round(time.Millisecond), float64(restore.Microseconds())/float64(n), firstProof.Round(time.Millisecond))
		}
	}
}

// foldKept folds n events into a projector whose records are in storeDir
// and its tree in treeDir, stops it, and returns the tree's root (as
// Consistent's NewRoot) and the first event's id.
func foldKept(t *testing.T, n int, storeDir, treeDir string) (projector.Consistency, events.ID) {
	t.Helper()
	st, err := pebblestore.Open(storeDir, pebblestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := projector.New(nil, nil, projector.Options{Store: st, TreeDir: treeDir})
	if err := s.OpenTree(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var first events.ID
	generateSealed(t, n, func(e eventlog.Entry) {
		if e.Seq == 1 {
			first = e.Event.ID
		}
		if err := s.ApplyEntry(e); err != nil {
			t.Fatal(err)
		}
	})
	want, err := s.Consistent(1, uint64(n))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d events folded in %s", n, time.Since(start).Round(time.Millisecond))
	return want, first
}
