package natsjs_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
)

// readAll replays the stream from pos and fails the test if that takes
// longer than limit.
func readAll(t *testing.T, st *natsjs.Store, pos natsjs.Position, limit time.Duration) []ledger.Stored {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit+5*time.Second)
	defer cancel()
	start := time.Now()
	var out []ledger.Stored
	for s, err := range st.Read(ctx, pos) {
		if err != nil {
			t.Fatalf("read from %+v: %v after %d events", pos, err, len(out))
		}
		out = append(out, s)
	}
	if d := time.Since(start); d > limit {
		t.Errorf("read from %+v took %s, want at most %s", pos, d, limit)
	}
	return out
}

func TestReadAnEmptyStreamReturnsAtOnce(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	for _, pos := range []natsjs.Position{{}, {Seq: 1}, {Seq: 10}, {Time: time.Now().Add(-time.Hour)}, {Time: time.Now()}} {
		if got := readAll(t, env.Store, pos, time.Second); len(got) != 0 {
			t.Errorf("read from %+v of an empty stream gave %d events", pos, len(got))
		}
	}
	if n, err := env.Store.LastSeq(testContext(t)); err != nil || n != 0 {
		t.Errorf("LastSeq of an empty stream: %d, %v", n, err)
	}
}

func TestReadFromASequenceOrATime(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env.Store)
	const acts, laterActs = 12, 8
	var ids []events.ID
	record := func(from, to int) {
		for i := from; i < to; i++ {
			act := events.ActID(fmt.Sprintf("/akn/kz/act/2009-12-04/%d", 216+i))
			e := created(act, "Law on Refugees", events.Law)
			mustAppend(t, l, e)
			ids = append(ids, e.ID)
		}
	}
	record(0, acts)
	time.Sleep(20 * time.Millisecond)
	mark := time.Now()
	time.Sleep(20 * time.Millisecond)
	record(acts, acts+laterActs)
	total := acts + laterActs

	check := func(name string, got []ledger.Stored, first int) {
		t.Helper()
		if len(got) != total-first {
			t.Fatalf("%s: %d events, want %d", name, len(got), total-first)
		}
		for i, s := range got {
			if s.Seq != uint64(first+i+1) || s.Event.ID != ids[first+i] {
				t.Errorf("%s: event %d is sequence %d id %s, want sequence %d id %s", name, i, s.Seq, s.Event.ID, first+i+1, ids[first+i])
			}
			if s.Time.IsZero() {
				t.Errorf("%s: sequence %d has no record time", name, s.Seq)
			}
		}
	}
	check("from the start", readAll(t, env.Store, natsjs.Position{}, 5*time.Second), 0)
	check("from sequence 1", readAll(t, env.Store, natsjs.Position{Seq: 1}, 5*time.Second), 0)
	check("from sequence 8", readAll(t, env.Store, natsjs.Position{Seq: 8}, 5*time.Second), 7)
	check("from the last sequence", readAll(t, env.Store, natsjs.Position{Seq: uint64(total)}, 5*time.Second), total-1)
	check("from a record time", readAll(t, env.Store, natsjs.Position{Time: mark}, 5*time.Second), acts)
	check("from before the first", readAll(t, env.Store, natsjs.Position{Time: mark.Add(-time.Hour)}, 5*time.Second), 0)

	all := readAll(t, env.Store, natsjs.Position{}, 5*time.Second)
	check("from the fifth event's record time", readAll(t, env.Store, natsjs.Position{Time: all[4].Time}, 5*time.Second), 4)

	for _, pos := range []natsjs.Position{{Seq: uint64(total) + 1}, {Seq: 1 << 40}, {Time: time.Now().Add(time.Hour)}} {
		if got := readAll(t, env.Store, pos, time.Second); len(got) != 0 {
			t.Errorf("read from %+v, past the end, gave %d events", pos, len(got))
		}
	}
}

// A replay stops at the last sequence at the time of the call, even while
// more is recorded, and the caller may stop early.
func TestReadStopsAtTheEndItSawAndWhenTold(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env.Store)
	for i := 0; i < 10; i++ {
		mustAppend(t, l, created(events.ActID(fmt.Sprintf("/akn/kz/act/2009-12-04/%d", i+1)), "Law on Refugees", events.Law))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n := 0
	for s, err := range env.Store.Read(ctx, natsjs.Position{}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if n == 1 {
			// Recorded after the replay began: not part of it.
			mustAppend(t, l, created(events.ActID(fmt.Sprintf("/akn/kz/act/2009-12-05/%d", s.Seq)), "Law on Refugees", events.Law))
		}
	}
	if n != 10 {
		t.Errorf("the replay gave %d events, want the 10 there when it began", n)
	}

	n = 0
	for _, err := range env.Store.Read(ctx, natsjs.Position{}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if n == 3 {
			break
		}
	}
	if n != 3 {
		t.Errorf("the loop ran %d times, want 3", n)
	}
	if ctx.Err() != nil {
		t.Errorf("the replays took too long: %v", ctx.Err())
	}
}

// A replay whose context ends returns the context's error promptly.
func TestReadHonoursItsContext(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env.Store)
	mustAppend(t, l, created(refugees, "Law on Refugees", events.Law))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	var gotErr error
	for _, err := range env.Store.Read(ctx, natsjs.Position{}) {
		if err != nil {
			gotErr = err
			break
		}
	}
	if gotErr == nil {
		t.Errorf("a replay with a cancelled context gave no error")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("a replay with a cancelled context took %s", d)
	}
}
