package projector_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/pebblestore"
	"github.com/lexledger/lexledger/projector"
)

// treeCase is a projector with its records in Pebble and its tree in
// files, in a directory of its own, and the entries it is given.
type treeCase struct {
	storeDir, treeDir string
	entries           []eventlog.Entry
	ref               *projector.Service // every entry, its tree in memory
}

func newTreeCase(t *testing.T, n int) *treeCase {
	t.Helper()
	dir := t.TempDir()
	c := &treeCase{storeDir: filepath.Join(dir, "projection"), treeDir: filepath.Join(dir, "projection-tree")}
	generateSealed(t, n, func(e eventlog.Entry) { c.entries = append(c.entries, e) })
	c.ref = projector.New(nil, nil, projector.Options{})
	c.apply(t, c.ref, c.entries)
	return c
}

func (c *treeCase) apply(t *testing.T, s *projector.Service, entries []eventlog.Entry) {
	t.Helper()
	for _, e := range entries {
		if err := s.ApplyEntry(e); err != nil {
			t.Fatal(err)
		}
	}
}

// start opens the store and restores a projector from it, as Run would
// before it follows the stream; it returns the projector and its log.
func (c *treeCase) start(t *testing.T) (*projector.Service, *pebblestore.Store, *syncBuffer) {
	t.Helper()
	st, err := pebblestore.Open(c.storeDir, pebblestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	log := new(syncBuffer)
	s := projector.New(nil, nil, projector.Options{Store: st, TreeDir: c.treeDir, Logger: slog.New(slog.NewTextHandler(log, nil))})
	if st.Saved() > 0 { // an empty store is the projection's already (New)
		if err := s.Restore(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.OpenTree(); err != nil {
		t.Fatal(err)
	}
	s.StartHistory() // as Run does: the entries applied next run beside it
	return s, st, log
}

// check says whether s's tree is the reference's of its size, and finds
// the leaves of events in it as the reference does.
func (c *treeCase) check(t *testing.T, s *projector.Service, size int) {
	t.Helper()
	got, err := s.Consistent(1, uint64(size))
	if err != nil {
		t.Fatal(err)
	}
	want, err := c.ref.Consistent(1, uint64(size))
	if err != nil {
		t.Fatal(err)
	}
	if got.NewRoot != want.NewRoot {
		t.Fatalf("the tree of %d leaves has root %s; the tree in memory %s", size, got.NewRoot, want.NewRoot)
	}
	for _, i := range []int{0, 1, size / 3, size / 2, size - 1} {
		id := c.entries[i].Event.ID
		gl, gok := s.LeafOfEvent(id)
		wl, wok := c.ref.LeafOfEvent(id)
		if gl != wl || gok != wok {
			t.Errorf("event %d (%s) at leaf %d, %v; the tree in memory has it at %d, %v", i, id, gl, gok, wl, wok)
		}
	}
}

// damage rewrites the tree's file of level 0.
func (c *treeCase) damage(t *testing.T, fn func([]byte) []byte) {
	t.Helper()
	name := filepath.Join(c.treeDir, "level-00")
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, fn(b), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestTreeFilesReopened: a projector restarted on its Pebble store reopens
// its tree's files at the mark the store keeps of them, and appends the
// leaves after the mark from the store; files that do not match the mark
// (shorter, another root) or a store without a mark fall back to a rebuild
// with a log line that says why. Every restarted tree has the root of the
// tree in memory, finds each event's leaf as it does, and goes on growing
// as it does.
func TestTreeFilesReopened(t *testing.T) {
	const n, tail = 1500, 100
	cases := []struct {
		name string
		// before folds the first n-tail entries into s and stops it, or not.
		before  func(t *testing.T, c *treeCase, s *projector.Service)
		damage  func([]byte) []byte
		wantLog string
	}{
		{"stopped", func(t *testing.T, c *treeCase, s *projector.Service) {
			c.apply(t, s, c.entries[:n-tail])
			mustStop(t, s)
		}, nil, "files reopened"},
		{"leaves after the mark", func(t *testing.T, c *treeCase, s *projector.Service) {
			c.apply(t, s, c.entries[:n/2])
			mustStop(t, s)
			c.apply(t, s, c.entries[n/2:n-tail]) // and no mark
		}, nil, "leaves_since_mark=" + strconv.Itoa(n-tail-n/2)},
		{"files longer", func(t *testing.T, c *treeCase, s *projector.Service) {
			c.apply(t, s, c.entries[:n-tail])
			mustStop(t, s)
		}, func(b []byte) []byte { return append(b, bytes.Repeat([]byte{7}, 10*32)...) }, "files reopened"},
		{"files shorter", func(t *testing.T, c *treeCase, s *projector.Service) {
			c.apply(t, s, c.entries[:n-tail])
			mustStop(t, s)
		}, func(b []byte) []byte { return b[:len(b)-3*32] }, "fewer hashes"},
		{"a damaged hash", func(t *testing.T, c *treeCase, s *projector.Service) {
			c.apply(t, s, c.entries[:n-tail])
			mustStop(t, s)
		}, func(b []byte) []byte { b[len(b)-1] ^= 1; return b }, "do not agree"},
		{"another root", func(t *testing.T, c *treeCase, s *projector.Service) {
			c.apply(t, s, c.entries[:n-tail-1]) // an odd size: the last leaf is part of the root
			mustStop(t, s)
			c.apply(t, s, c.entries[n-tail-1:n-tail])
		}, func(b []byte) []byte { b[(n-tail-1)*32-1] ^= 1; return b }, "root"},
		{"no mark", func(t *testing.T, c *treeCase, s *projector.Service) {
			c.apply(t, s, c.entries[:n-tail])
		}, nil, "no mark"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newTreeCase(t, n)
			s, st, _ := c.start(t)
			tc.before(t, c, s)
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			if tc.damage != nil {
				c.damage(t, tc.damage)
			}
			again, st2, log := c.start(t)
			reopened := strings.Contains(log.String(), "files reopened")
			if !strings.Contains(log.String(), tc.wantLog) {
				t.Errorf("the restarted projector's log does not say %q:\n%s", tc.wantLog, log)
			}
			if wantReopened := strings.Contains(tc.wantLog, "reopened") || strings.Contains(tc.wantLog, "since"); reopened != wantReopened {
				t.Errorf("the tree's files reopened: %v, want %v; the log:\n%s", reopened, wantReopened, log)
			}
			c.apply(t, again, c.entries[n-tail:])
			c.check(t, again, n)
			if built := strings.Contains(log.String(), "index of the reopened tree built beside Apply"); reopened && !built {
				t.Errorf("the leaves before the mark were not indexed beside Apply:\n%s", log)
			}
			// Stopped again, it reopens its files at once.
			mustStop(t, again)
			if err := st2.Close(); err != nil {
				t.Fatal(err)
			}
			third, _, log := c.start(t)
			if !strings.Contains(log.String(), "files reopened") || !strings.Contains(log.String(), "leaves_since_mark=0") {
				t.Errorf("stopped after the restart, the projector did not reopen its files at its mark:\n%s", log)
			}
			c.check(t, third, n)
		})
	}
}

func mustStop(t *testing.T, s *projector.Service) {
	t.Helper()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
}

// TestTreeMarkedAsItGrows: the tree is marked every 65,536 leaves as it
// grows, so that a projector that never stopped cleanly (its store
// closed under it, as after a crash once Pebble flushed) reopens its
// files at the last mark and appends only the leaves after it.
func TestTreeMarkedAsItGrows(t *testing.T) {
	if testing.Short() {
		t.Skip("folds 70,000 events")
	}
	const n = 70_000
	c := newTreeCase(t, n)
	s, st, _ := c.start(t)
	c.apply(t, s, c.entries) // and no Stop
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	again, _, log := c.start(t)
	if want := "marked=65536 leaves_since_mark=" + strconv.Itoa(n-65536); !strings.Contains(log.String(), want) {
		t.Errorf("the restarted projector's log does not say %q:\n%s", want, log)
	}
	c.check(t, again, n)
}
