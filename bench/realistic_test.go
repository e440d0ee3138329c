package bench_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"testing"

	"github.com/lexledger/lexledger/bench"
	"github.com/lexledger/lexledger/events"
)

// mustGenerate returns a realistic book of n events for seed.
func mustGenerate(tb testing.TB, n int, seed uint64) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := bench.GenerateShape(context.Background(), &b, bench.GenOptions{Shape: bench.ShapeRealistic, Events: n, Seed: seed}); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// TestGenRealisticKeepsTheRules checks every event of a book against the
// lifecycle rules as the ledger applies them (events.Validate over the act's
// history), and what the ledger does not check: each instrument is an act
// recorded before, dates never go back within an act, and effects on an
// act come after its first commencement.
func TestGenRealisticKeepsTheRules(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 5000
	}
	book := mustGenerate(t, n, 1)
	histories := map[events.ActID][]events.Event{}
	states := map[events.ActID]*events.State{}
	commenced := map[events.ActID]events.Date{}
	sc := bufio.NewScanner(bytes.NewReader(book))
	line := 0
	for sc.Scan() {
		line++
		e, err := events.Decode(sc.Bytes())
		if err != nil {
			t.Fatalf("line %d does not decode: %v\n%s", line, err, sc.Bytes())
		}
		e.Schema = events.SchemaVersion
		h := histories[e.Act]
		if spec, _ := events.SpecOf(e.Type); spec.Group == events.Record {
			err = events.Validate(h, e)
		} else {
			if err = e.Validate(); err == nil {
				st := states[e.Act]
				if st == nil {
					st = &events.State{}
					states[e.Act] = st
				}
				if err = st.Check(&e); err == nil {
					st.Apply(&e)
				}
			}
		}
		if err != nil {
			t.Fatalf("line %d is refused: %v\n%s", line, err, sc.Bytes())
		}
		if len(h) > 0 && e.Date.Before(h[len(h)-1].Date) {
			t.Errorf("line %d: date %s is before the act's previous event on %s", line, e.Date, h[len(h)-1].Date)
		}
		if e.Instrument != "" && len(histories[e.Instrument]) == 0 {
			t.Errorf("line %d: instrument %s is not recorded before it", line, e.Instrument)
		}
		if c, ok := commenced[e.Act]; ok && e.Type == events.Amended && !c.Before(e.Date) {
			t.Errorf("line %d: amended on %s, not after the act's commencement from %s", line, e.Date, c)
		}
		if _, ok := commenced[e.Act]; !ok && e.Type == events.Commenced {
			commenced[e.Act] = e.EffectiveFrom
		}
		if e.Type == events.Amended {
			if _, ok := commenced[e.Act]; !ok {
				t.Errorf("line %d: amended before any commencement", line)
			}
		}
		histories[e.Act] = append(h, e)
	}
	if line != n {
		t.Fatalf("the book has %d lines, want %d", line, n)
	}
}

// TestGenRealisticShape checks the statistics the docs give of the shape,
// at 100,000 events.
func TestGenRealisticShape(t *testing.T) {
	if testing.Short() {
		t.Skip("100,000 events")
	}
	const n = 100000
	st, err := bench.ReadBookStats(bytes.NewReader(mustGenerate(t, n, 1)))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", st)
	if st.Events != n {
		t.Errorf("%d events, want %d", st.Events, n)
	}
	if st.Acts < n/14 || st.Acts > n/7 {
		t.Errorf("%d acts, want about %d (n/10)", st.Acts, n/10)
	}
	if st.Max < 300 || st.Max > bench.MaxActEvents {
		t.Errorf("the largest act has %d events, want some hundreds and at most %d", st.Max, bench.MaxActEvents)
	}
	if st.P50 > 8 {
		t.Errorf("the median act has %d events, want most acts to have few", st.P50)
	}
	if share := float64(st.Amended) / float64(st.Events); share < 0.2 || share > 0.6 {
		t.Errorf("amendments naming another act are %.2f of the events, want 0.2 to 0.6", share)
	}
	if got := len(st.Jurisdictions); got != 5 {
		t.Errorf("jurisdictions %v, want five", st.Jurisdictions)
	}
	if st.First[:3] != "182" || st.Last[:3] != "202" {
		t.Errorf("dates from %s to %s, want 1826 to 2026", st.First, st.Last)
	}
	for _, typ := range []string{"drafted", "adopted", "published", "commenced", "amended", "suspended", "suspension_lifted",
		"repealed", "expired", "corrigendum", "record_corrected", "ratified", "rejected"} {
		if st.Types[typ] == 0 {
			t.Errorf("no %s event in the book", typ)
		}
	}
}

// TestGenRealisticIsDeterministic: the same seed gives the same bytes,
// another seed another book.
func TestGenRealisticIsDeterministic(t *testing.T) {
	a, b := mustGenerate(t, 5000, 7), mustGenerate(t, 5000, 7)
	if !bytes.Equal(a, b) {
		t.Error("two books of seed 7 differ")
	}
	if bytes.Equal(a, mustGenerate(t, 5000, 8)) {
		t.Error("the books of seeds 7 and 8 are the same")
	}
	// A shorter book is the beginning of a longer one? Not promised: the
	// dates depend on the length. Each is whole, though.
	if n := bytes.Count(mustGenerate(t, 10, 7), []byte("\n")); n != 10 {
		t.Errorf("a book of 10 events has %d lines", n)
	}
}

// TestGenStopsWhenCancelled: a cancelled context stops both shapes.
func TestGenStopsWhenCancelled(t *testing.T) {
	for _, shape := range bench.Shapes {
		ctx, cancel := context.WithCancel(context.Background())
		var b bytes.Buffer
		calls := 0
		err := bench.GenerateShape(ctx, &b, bench.GenOptions{Shape: shape, Events: 1000000, Progress: func(int) {
			calls++
			cancel()
		}})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: a cancelled generation returned %v", shape, err)
		}
		if calls == 0 || bytes.Count(b.Bytes(), []byte("\n")) >= 1000000 {
			t.Errorf("%s: cancelling did not stop it early", shape)
		}
	}
	if err := bench.GenerateShape(context.Background(), &bytes.Buffer{}, bench.GenOptions{Shape: "square", Events: 1}); err == nil {
		t.Error("an unknown shape was accepted")
	}
}

// TestGenRealisticMemory: the generator's live heap at the end of a book
// is the acts still expecting events, a few MiB, whatever the length
// (1.0 MiB at 1,000,000 events, 3.9 MiB at 10,000,000; 300,000 here to
// keep -race short).
func TestGenRealisticMemory(t *testing.T) {
	n := 300000
	if testing.Short() {
		n = 100000
	}
	var heapMiB float64
	err := bench.GenerateShape(context.Background(), io.Discard, bench.GenOptions{Shape: bench.ShapeRealistic, Events: n, Seed: 1, Progress: func(done int) {
		// Near the end, not at it: the generator is still running, its
		// state reachable.
		if done >= n-20000 && heapMiB == 0 {
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			heapMiB = float64(ms.HeapAlloc) / (1 << 20)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("live heap after %d events: %.1f MiB", n, heapMiB)
	if heapMiB > 24 {
		t.Errorf("live heap after %d events is %.1f MiB, want at most 24", n, heapMiB)
	}
}
