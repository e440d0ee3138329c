package natsjs_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
)

// TestReadRawAhead: ReadRaw, which reads ahead of its loop on a goroutine
// of its own, gives every message in order from any sequence; a loop left
// early stops it (and another replay reads the whole stream again); a
// context cancelled in the middle ends it with the context's error, after
// the messages before in order.
func TestReadRawAhead(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env.Store)
	ctx := testContext(t)
	const n = 1500 // several of the reader's batches
	for i := 0; i < n; i += 500 {
		var cmds []ledger.Command
		for j := i; j < i+500; j++ {
			cmds = append(cmds, ledger.Command{Event: created(events.ActID(fmt.Sprintf("/akn/kz/act/2010-01-01/%d", j+1)), "A law", events.Law)})
		}
		if _, err := l.AppendAtomic(ctx, "test", cmds); err != nil {
			t.Fatal(err)
		}
	}
	for _, from := range []uint64{1, 2, 256, 257, 1024, n} {
		next := from
		for r, err := range env.Store.ReadRawFrom(ctx, from) {
			if err != nil {
				t.Fatalf("from %d: %v", from, err)
			}
			if r.Seq != next || r.Err != nil || r.Act != events.ActID(fmt.Sprintf("/akn/kz/act/2010-01-01/%d", next)) {
				t.Fatalf("from %d: got sequence %d of %s (%v) where %d was due", from, r.Seq, r.Act, r.Err, next)
			}
			next++
		}
		if next != n+1 {
			t.Errorf("from %d: the replay ended before sequence %d, want after %d", from, next, n)
		}
	}

	for _, stop := range []int{1, 300} {
		got := 0
		for _, err := range env.Store.ReadRaw(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			if got++; got == stop {
				break
			}
		}
		if got != stop {
			t.Errorf("the loop left at %d ran %d times", stop, got)
		}
	}
	if got := countRaw(t, ctx, env.Store); got != n {
		t.Errorf("after replays left early, a replay read %d messages, want %d", got, n)
	}

	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next, gotErr := uint64(1), error(nil)
	for r, err := range env.Store.ReadRaw(cctx) {
		if err != nil {
			gotErr = err
			break
		}
		if r.Seq != next {
			t.Fatalf("cancelled replay: got sequence %d where %d was due", r.Seq, next)
		}
		if next++; next == 300 {
			cancel()
		}
	}
	if !errors.Is(gotErr, context.Canceled) {
		t.Errorf("a replay cancelled after %d messages ended with %v, want context.Canceled", next-1, gotErr)
	}
}

func countRaw(t *testing.T, ctx context.Context, st *natsjs.Store) int {
	t.Helper()
	got := 0
	for _, err := range st.ReadRaw(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		got++
	}
	return got
}
