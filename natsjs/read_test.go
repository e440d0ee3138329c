package natsjs_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/nats-io/nats.go/jetstream"
)

// readAll replays the stream from pos and fails the test if that takes
// longer than limit.
func readAll(t *testing.T, st *natsjs.Store, pos natsjs.Position, limit time.Duration) []eventlog.Entry {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit+5*time.Second)
	defer cancel()
	start := time.Now()
	var out []eventlog.Entry
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

	for _, way := range readWays(env.Store) {
		t.Run(way.name, func(t *testing.T) { checkReads(t, way.st, ids, total, acts, mark) })
	}
}

// readWays are the two ways a store reads: with an ordered consumer in the
// stream's own account, with message gets when opened for reading through
// an import.
func readWays(st *natsjs.Store) []struct {
	name string
	st   *natsjs.Store
} {
	return []struct {
		name string
		st   *natsjs.Store
	}{{"consumer", st}, {"message-gets", natsjs.ThroughImport(st)}}
}

func checkReads(t *testing.T, st *natsjs.Store, ids []events.ID, total, acts int, mark time.Time) {
	env := struct{ Store *natsjs.Store }{st}
	check := func(name string, got []eventlog.Entry, first int) {
		t.Helper()
		if len(got) != total-first {
			t.Fatalf("%s: %d events, want %d", name, len(got), total-first)
		}
		for i, s := range got {
			if s.Seq != uint64(first+i+1) || s.Event.ID != ids[first+i] {
				t.Errorf("%s: event %d is sequence %d id %s, want sequence %d id %s", name, i, s.Seq, s.Event.ID, first+i+1, ids[first+i])
			}
			if s.StoredAt.IsZero() {
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
	check("from the fifth event's record time", readAll(t, env.Store, natsjs.Position{Time: all[4].StoredAt}, 5*time.Second), 4)

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
	for _, way := range readWays(env.Store) {
		t.Run(way.name, func(t *testing.T) { checkStops(t, way.st, l) })
	}
}

func checkStops(t *testing.T, st *natsjs.Store, l *ledger.Ledger) {
	env := struct{ Store *natsjs.Store }{st}
	before, err := st.LastSeq(testContext(t))
	if err != nil {
		t.Fatal(err)
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
			mustAppend(t, l, created(events.ActID(fmt.Sprintf("/akn/kz/act/2009-12-05/%d", before+s.Seq)), "Law on Refugees", events.Law))
		}
	}
	if uint64(n) != before {
		t.Errorf("the replay gave %d events, want the %d there when it began", n, before)
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
	for _, way := range readWays(env.Store) {
		t.Run(way.name, func(t *testing.T) { checkCancelled(t, way.st) })
	}
}

func checkCancelled(t *testing.T, st *natsjs.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	var gotErr error
	for _, err := range st.Read(ctx, natsjs.Position{}) {
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

// Both ways of reading give the same messages over several windows of
// message gets, decoded (Read) and raw (ReadRaw), from any sequence.
func TestReadWaysAgree(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env.Store)
	ctx := testContext(t)
	const n = 2600 // more than two batches of scan
	for i := 0; i < n; i += 200 {
		var cmds []ledger.Command
		for j := i; j < min(i+200, n); j++ {
			cmds = append(cmds, ledger.Command{Event: created(events.ActID(fmt.Sprintf("/akn/kz/act/2010-01-01/%d", j+1)), "A law", events.Law)})
		}
		if _, err := l.AppendAtomic(ctx, "test", cmds); err != nil {
			t.Fatal(err)
		}
	}
	direct := natsjs.ThroughImport(env.Store)
	for _, from := range []uint64{0, 1, 999, 1000, 1001, 2001, n} {
		want := readAll(t, env.Store, natsjs.Position{Seq: from}, 30*time.Second)
		got := readAll(t, direct, natsjs.Position{Seq: from}, 30*time.Second)
		if len(got) != len(want) || len(want) != n-int(max(from, 1))+1 {
			t.Fatalf("from %d: %d events by message gets, %d by a consumer, want %d", from, len(got), len(want), n-int(max(from, 1))+1)
		}
		for i := range want {
			if got[i].Seq != want[i].Seq || got[i].Event.ID != want[i].Event.ID || !got[i].StoredAt.Equal(want[i].StoredAt) {
				t.Fatalf("from %d, event %d: message gets gave %d %s %s, a consumer %d %s %s", from, i, got[i].Seq, got[i].Event.ID, got[i].StoredAt, want[i].Seq, want[i].Event.ID, want[i].StoredAt)
			}
		}
	}
	raw := func(st *natsjs.Store) []natsjs.Raw {
		var out []natsjs.Raw
		for r, err := range st.ReadRaw(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
		return out
	}
	want, got := raw(env.Store), raw(direct)
	if len(got) != n || len(want) != n {
		t.Fatalf("ReadRaw: %d messages by message gets, %d by a consumer, want %d", len(got), len(want), n)
	}
	for i := range want {
		if got[i].Seq != want[i].Seq || got[i].Subject != want[i].Subject || string(got[i].Data) != string(want[i].Data) || got[i].Act != want[i].Act {
			t.Fatalf("ReadRaw message %d differs: message gets %d %s, a consumer %d %s", i, got[i].Seq, got[i].Subject, want[i].Seq, want[i].Subject)
		}
	}
}

// BenchmarkReplay compares the two ways of reading a stream of 20,000
// events: an ordered consumer (the stream's own account) and single
// message gets in flight (through an import).
//
//	go test ./natsjs -run '^$' -bench Replay
func BenchmarkReplay(b *testing.B) {
	env := natstest.MustStart(b, natstest.Options{})
	l := ledger.New(env.Store, ledger.Options{AppendTimeout: 30 * time.Second})
	defer l.Close()
	ctx := context.Background()
	const n = 20000
	for i := 0; i < n; i += 1000 {
		var cmds []ledger.Command
		for j := i; j < i+1000; j++ {
			cmds = append(cmds, ledger.Command{Event: created(events.ActID(fmt.Sprintf("/akn/kz/act/2010-01-01/%d", j+1)), "A law", events.Law)})
		}
		if _, err := l.AppendAtomic(ctx, "bench", cmds); err != nil {
			b.Fatal(err)
		}
	}
	for _, way := range readWays(env.Store) {
		b.Run(way.name, func(b *testing.B) {
			for b.Loop() {
				got := 0
				for _, err := range way.st.Read(ctx, natsjs.Position{}) {
					if err != nil {
						b.Fatal(err)
					}
					got++
				}
				if got != n {
					b.Fatalf("read %d events, want %d", got, n)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// Every way of reading the stream with a consumer (a whole replay, one
// left early, one from a sequence, the raw replay of verify, one whose
// context ends) leaves no consumer behind on the server: a clerk's
// history reads and an auditor's replays would otherwise pile up, each
// living for minutes.
func TestReadsLeaveNoConsumer(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env.Store)
	for i := range 20 {
		mustAppend(t, l, created(events.ActID(fmt.Sprintf("/akn/kz/act/2009-12-04/%d", i+1)), "Law on Refugees", events.Law))
	}
	ctx := testContext(t)
	reads := map[string]func(){
		"whole": func() {
			for _, err := range env.Store.Read(ctx, natsjs.Position{}) {
				if err != nil {
					t.Fatal(err)
				}
			}
		},
		"left early": func() {
			for range env.Store.Read(ctx, natsjs.Position{Seq: 5}) {
				break
			}
		},
		"raw": func() {
			for _, err := range env.Store.ReadRaw(ctx) {
				if err != nil {
					t.Fatal(err)
				}
			}
		},
		"cancelled": func() {
			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			for range env.Store.Read(cctx, natsjs.Position{}) {
				cancel()
			}
		},
	}
	js, err := jetstream.New(env.Conn)
	if err != nil {
		t.Fatal(err)
	}
	for name, read := range reads {
		read()
		stream, err := js.Stream(ctx, env.Store.Config().Stream)
		if err != nil {
			t.Fatal(err)
		}
		info, err := stream.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.State.Consumers != 0 {
			t.Errorf("after a read (%s) the stream has %d consumers, want none", name, info.State.Consumers)
		}
	}
}

// LoadSeqs reads an act's events at the sequences given, as Load reads
// them, and refuses a sequence that holds another act's message, or none.
func TestLoadSeqs(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	ctx := testContext(t)
	l := mustLedger(t, env.Store)
	one, two := events.ActID("/akn/kz/act/2009-12-04/216"), events.ActID("/akn/kz/act/2009-12-04/217")
	mustAppend(t, l, created(one, "Law on Refugees", events.Law))
	mustAppend(t, l, created(two, "Law on Notaries", events.Law))
	mustAppend(t, l, signed(one))
	whole, err := env.Store.Load(ctx, one, 0)
	if err != nil || len(whole) != 2 {
		t.Fatalf("Load: %d entries, %v", len(whole), err)
	}
	got, err := env.Store.LoadSeqs(ctx, one, []uint64{whole[0].Seq, whole[1].Seq})
	if err != nil {
		t.Fatalf("LoadSeqs: %v", err)
	}
	for i := range whole {
		if got[i].Seq != whole[i].Seq || got[i].Event.ID != whole[i].Event.ID || !got[i].StoredAt.Equal(whole[i].StoredAt) || got[i].Defect != nil {
			t.Errorf("entry %d: %+v, want %+v", i, got[i], whole[i])
		}
	}
	if got, err := env.Store.LoadSeqs(ctx, one, nil); err != nil || len(got) != 0 {
		t.Errorf("LoadSeqs of no sequences: %d entries, %v", len(got), err)
	}
	for _, seqs := range [][]uint64{{whole[0].Seq, whole[0].Seq + 1}, {whole[1].Seq + 1}} {
		if got, err := env.Store.LoadSeqs(ctx, one, seqs); err == nil {
			t.Errorf("LoadSeqs(%v) of %s, whose events are at %d and %d: %d entries, no error", seqs, one, whole[0].Seq, whole[1].Seq, len(got))
		}
	}
}
