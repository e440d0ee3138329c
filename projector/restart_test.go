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
	"github.com/lexledger/lexledger/pebblestore"
	"github.com/lexledger/lexledger/projections"
	"github.com/lexledger/lexledger/projector"
)

// TestRestartTime measures what a restarted projector takes before it
// follows the stream again, as `ledger serve` runs it: its records in
// Pebble, its Merkle tree in files (Options.TreeDir). It folds
// LEX_BENCH_EVENTS (default 300000) events of LEX_BENCH_SHAPE, stops, and
// restores the projector from its store three times: projections.Open
// alone, then the whole Restore with the tree. Each restored projector must
// hold the events and the tree's root of the one that stopped. It runs
// with LEX_BENCH=1 only (it takes about a minute a million events).
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
		storeDir, treeDir := filepath.Join(dir, "projection"), filepath.Join(dir, "projection-tree")
		st, err := pebblestore.Open(storeDir, pebblestore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		s := projector.New(nil, nil, projector.Options{Store: st, TreeDir: treeDir})
		if err := s.OpenTree(); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		generateSealed(t, n, func(e eventlog.Entry) {
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
			if err := s.Stop(); err != nil {
				t.Fatal(err)
			}
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			t.Logf("%d events: projections.Open %s (%.2f µs an event); Restore with the tree in files %s (%.2f µs an event)",
				n, open.Round(time.Millisecond), float64(open.Microseconds())/float64(n),
				restore.Round(time.Millisecond), float64(restore.Microseconds())/float64(n))
		}
	}
}
