package projector

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/lexledger/lexledger/events"
)

// TestLeafIndex: the index finds the act of every event and the leaf of
// every message over many runs of its table, in a stream that starts
// after sequence 1, with holes (messages deleted from the stream) and
// defects (leaves without an event); a sequence in a hole, before the
// first or after the last has no leaf; an id used in two acts names both.
func TestLeafIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := newLeafIndex()
	type want struct {
		act       events.ActID
		seq, leaf uint64
	}
	var (
		evs   = map[events.ID]want{}
		holes []uint64
		seq   = uint64(5) // the stream starts at 5
		leaf  uint64
	)
	const n = 10 * tailMax
	for i := range n {
		if i%997 == 3 { // a hole of one to three messages
			for range 1 + i%3 {
				holes = append(holes, seq)
				seq++
			}
		}
		x.leaf(leaf, seq)
		if i%101 != 7 { // an event; else a defect, which has no id
			id := events.NewID()
			act := events.ActID(fmt.Sprintf("/akn/zz/act/2020/%d", rng.IntN(700)))
			x.event(id, act)
			evs[id] = want{act, seq, leaf}
		}
		leaf++
		seq++
	}
	if len(x.runs) < 2 || len(x.runs) > 12 {
		t.Errorf("%d events in %d runs: want a few, each at least twice the next", len(evs), len(x.runs))
	}
	for i := 1; i < len(x.runs); i++ {
		if len(x.runs[i-1]) <= 2*len(x.runs[i]) || !slices.IsSorted(x.runs[i]) {
			t.Fatalf("run %d of %d entries follows one of %d, or is not sorted", i, len(x.runs[i]), len(x.runs[i-1]))
		}
	}
	for id, w := range evs {
		if acts := x.actsOf(id); !slices.Contains(acts, w.act) {
			t.Fatalf("event %s of %s: the index names acts %q", id, w.act, acts)
		}
		if got, ok := x.leafOf(w.seq); !ok || got != w.leaf {
			t.Fatalf("the event at sequence %d is leaf %d; the index says %d (%v)", w.seq, w.leaf, got, ok)
		}
	}
	for _, s := range append(holes, 0, 4, seq, seq+100) {
		if got, ok := x.leafOf(s); ok {
			t.Errorf("sequence %d holds no message, but the index gives it leaf %d", s, got)
		}
	}
	if acts := x.actsOf(events.NewID()); len(acts) > 1 {
		t.Errorf("an id never added names %d acts", len(acts))
	}

	// One id used in two acts (the second a defect of neither: the
	// projection applies an id once an act).
	id := events.NewID()
	x.leaf(leaf, seq)
	x.event(id, "/akn/zz/act/2020/a")
	x.leaf(leaf+1, seq+1)
	x.event(id, "/akn/zz/act/2020/b")
	if acts := x.actsOf(id); !slices.Contains(acts, "/akn/zz/act/2020/a") || !slices.Contains(acts, "/akn/zz/act/2020/b") {
		t.Errorf("an id of two acts names %q", acts)
	}
}

// BenchmarkLeafIndex measures what a proof pays to find its event's act
// and leaf, in an index of a million events.
func BenchmarkLeafIndex(b *testing.B) {
	x := newLeafIndex()
	ids := make([]events.ID, 1_000_000)
	for i := range ids {
		ids[i] = events.NewID()
		x.leaf(uint64(i), uint64(i+1))
		x.event(ids[i], events.ActID(fmt.Sprintf("/akn/zz/act/2020/%d", i/10)))
	}
	b.ResetTimer()
	for i := range b.N {
		id := ids[i*7919%len(ids)]
		if len(x.actsOf(id)) == 0 {
			b.Fatal("an event's act was not found")
		}
		if _, ok := x.leafOf(uint64(i%len(ids)) + 1); !ok {
			b.Fatal("a leaf was not found")
		}
	}
}
