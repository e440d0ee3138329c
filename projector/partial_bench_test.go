package projector_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/projector"
)

// recordCodes records n events over acts of perAct events each (an
// adoption, then amendments), the acts dealt in turn to countries, in
// atomic batches of 500; it returns the last sequence.
func recordCodes(t *testing.T, env *natstest.Env, n, perAct int, countries ...string) uint64 {
	t.Helper()
	l := mustLedger(t, env)
	var cmds []ledger.Command
	var last uint64
	flush := func() {
		if len(cmds) == 0 {
			return
		}
		rs, err := l.AppendAtomic(context.Background(), "load@test", cmds)
		if err != nil {
			t.Fatal(err)
		}
		last, cmds = rs[len(rs)-1].Seq, cmds[:0]
	}
	for i := 0; i < n; i++ {
		k := i / perAct
		c := countries[k%len(countries)]
		act := events.ActID(fmt.Sprintf("/akn/%s/act/code/2000-01-01/c%d", c, k))
		e := amendment(i)
		e.Act, e.Instrument = act, events.ActID(fmt.Sprintf("/akn/%s/act/2011-01-01/t%d", c, i))
		if i%perAct == 0 {
			e = created(act, fmt.Sprintf("Code %d", k))
			e.Body.Kind = "code"
			e.Date = events.MustDate("2000-01-01")
		}
		cmds = append(cmds, ledger.Command{Event: e})
		if len(cmds) == 500 {
			flush()
		}
	}
	flush()
	return last
}

// catchUp runs a fresh projector of scope over env's stream until it is
// ready, and returns how long that took and the events it applied.
func catchUp(t *testing.T, env *natstest.Env, scope eventlog.Scope) (time.Duration, uint64) {
	t.Helper()
	start := time.Now()
	var r *running
	if scope.All() {
		r = startService(t, env.Store, env.Connect(t), projector.Options{}, false)
	} else {
		r = startPartWith(t, env, projector.Options{Scope: scope}, false)
	}
	r.caughtUp(t)
	took := time.Since(start)
	_, evs := r.position()
	r.stop()
	return took, evs
}

// follow reads scope's part of env's stream with the projector's source
// (the filtered ordered consumer and the decoding of each event, no
// fold) up to its last event, and returns how long that took and the
// events read.
func follow(t *testing.T, env *natstest.Env, scope eventlog.Scope) (time.Duration, uint64) {
	t.Helper()
	ctx := testContext(t, 5*time.Minute)
	part := env.Store.Part(scope)
	start := time.Now()
	last, err := part.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for st, err := range part.Follow(ctx, 1) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if st.Seq >= last {
			break
		}
	}
	return time.Since(start), n
}

// The replay rate of a projector of a quarter of the ledger (one of four
// jurisdictions) against a projector of the whole, on the same stream in
// the same run: LEX_PARTIAL_BENCH=100000 go test ./projector -run
// TestPartialReplayRate -v (BENCHMARKS.md).
func TestPartialReplayRate(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("LEX_PARTIAL_BENCH"))
	if n <= 0 {
		t.Skip("set LEX_PARTIAL_BENCH to the number of events to measure the replay of a part")
	}
	env := natstest.MustStart(t, natstest.Options{})
	// One act of a fifth jurisdiction before the load: its part's last
	// event is the stream's first, the far end of a search from the end.
	mustAppend(t, mustLedger(t, env), created("/akn/am/act/2011-05-01/1", "A law of am"))
	start := time.Now()
	last := recordCodes(t, env, n, 10, "kz", "ru", "uz", "by")
	t.Logf("recorded %d events (last sequence %d) in %s", n, last, time.Since(start).Round(time.Millisecond))
	kz := mustScope(t, "kz.>")
	for _, sc := range []eventlog.Scope{{}, kz, mustScope(t, "am.>")} {
		const tries = 20
		part := env.Store.Part(sc)
		start := time.Now()
		for range tries {
			if _, err := part.LastSeq(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("the last sequence of %s: %s a read", sc, (time.Since(start) / tries).Round(time.Microsecond))
	}
	t.Logf("| run | part | what | events | took | events/s | stream sequences/s |")
	for run := 1; run <= 3; run++ {
		for _, sc := range []eventlog.Scope{{}, kz} {
			took, evs := follow(t, env, sc)
			t.Logf("| %d | %s | source only (consumer, decoding) | %d | %s | %.0f | %.0f |", run, sc, evs, took.Round(time.Millisecond),
				float64(evs)/took.Seconds(), float64(last)/took.Seconds())
			took, evs = catchUp(t, env, sc)
			t.Logf("| %d | %s | projector catch-up | %d | %s | %.0f | %.0f |", run, sc, evs, took.Round(time.Millisecond),
				float64(evs)/took.Seconds(), float64(last)/took.Seconds())
		}
	}
}
