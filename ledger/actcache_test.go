package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs/natstest"
)

// TestMain runs the package's tests with a tiny cache of acts when
// LEDGER_TEST_ACT_CACHE is set (for example to 1, which drops every act
// after each group of commands): they cover the ledger's semantics, which
// must not depend on what the cache holds.
func TestMain(m *testing.M) {
	if s := os.Getenv("LEDGER_TEST_ACT_CACHE"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n == 0 {
			fmt.Fprintf(os.Stderr, "LEDGER_TEST_ACT_CACHE=%q: want a number of events other than 0 (negative keeps none)\n", s)
			os.Exit(2)
		}
		ledger.SetDefaultActCache(n)
	}
	os.Exit(m.Run())
}

// step is what one command of actScript came to: the fields of its
// receipts and of its error that must not depend on the cache.
type step struct {
	what     string
	code     events.Code
	rule     events.Rule
	current  uint64
	receipts string
}

func (s step) String() string {
	return fmt.Sprintf("%s: code %q rule %q current %d receipts %s", s.what, s.code, s.rule, s.current, s.receipts)
}

// actScript records the same commands on any ledger: two acts, with
// expected versions right and wrong, retries of recorded events alone and
// in a batch with a new one, an id reused for another event, a correction
// and a retraction, and the rules after them. Its events are made once, so
// that every run sends the same ids.
func actScript() func(t *testing.T, l *ledger.Ledger) []step {
	drafted := event(refugees, events.Drafted, "2009-06-01", titled("Law on Refugees", events.Law))
	adopted := event(refugees, events.Adopted, "2009-11-02", chamber("Parliament"))
	signed := event(refugees, events.Signed, "2009-12-04")
	published := event(refugees, events.Published, "2009-12-10", gazette("Kazakhstanskaya Pravda No. 277"))
	codeAdopted := adoptedCode(criminal, "Criminal Code", "1997-07-16")
	codeSigned := event(criminal, events.Signed, "1997-07-16")
	signedTwice := event(refugees, events.Signed, "2009-12-05")
	reused := signed
	reused.Date = events.MustDate("2009-12-06") // another event under signed's id
	fix := event(refugees, events.RecordCorrected, "2009-12-15",
		corrects(adopted.ID, `{"date":"2009-11-20"}`, "the date was mistyped from the gazette"))
	undo := event(refugees, events.RecordRetracted, "2009-12-15", retracts(published.ID, "recorded for the wrong act"))
	republished := event(refugees, events.Published, "2009-12-20", gazette("Kazakhstanskaya Pravda No. 280"))
	badFix := event(refugees, events.RecordCorrected, "2009-12-21",
		corrects(signed.ID, `{"date":"2009-10-01"}`, "signed before it was adopted: refused"))

	return func(t *testing.T, l *ledger.Ledger) []step {
		t.Helper()
		var out []step
		do := func(what string, cmds ...ledger.Command) {
			rs, err := l.AppendAtomic(context.Background(), "clerk@test", cmds)
			s := step{what: what}
			if err != nil {
				var e *events.Error
				if !errors.As(err, &e) {
					t.Fatalf("%s: error %v (%T), want an *events.Error", what, err, err)
				}
				if e.Code == events.CodeUnavailable || e.Code == events.CodeInternal {
					t.Fatalf("%s: %v", what, err)
				}
				s.code, s.rule, s.current = e.Code, e.Rule, e.Current
			}
			for _, r := range rs {
				s.receipts += fmt.Sprintf("[%s %s %s v%d seq %d dup %t] ", r.ID, r.Act, r.Type, r.Version, r.Seq, r.Duplicate)
			}
			out = append(out, s)
		}
		do("drafted, expecting a new act", expect(drafted, 0))
		do("adopted, expecting version 1", expect(adopted, 1))
		do("the code adopted", cmd(codeAdopted))
		do("signed, expecting version 1, stale", expect(signed, 1))
		do("signed, expecting version 0, stale", expect(signed, 0))
		do("signed, expecting version 5, ahead", expect(signed, 5))
		do("signed, expecting version 2", expect(signed, 2))
		do("the code signed", cmd(codeSigned))
		do("drafted again", cmd(drafted))
		do("adopted again, expecting version 1", expect(adopted, 1))
		do("signed again with the code's next event", cmd(signed), cmd(published))
		do("the same batch again", cmd(signed), cmd(published))
		do("signed's id for another event", cmd(reused))
		do("signed's id on another act", ledger.Command{Event: func() events.Event {
			e := signed
			e.Act = civil
			e.Type = events.Drafted
			e.Body = events.Body{Title: "Code of Civil Procedure", Kind: events.CodeKind}
			return e
		}()})
		do("signed twice", cmd(signedTwice))
		do("the adoption's date corrected", expect(fix, 4))
		do("the correction again", cmd(fix))
		do("the publication retracted", cmd(undo))
		do("published again after the retraction", cmd(republished))
		do("signing corrected to before the adoption", cmd(badFix))
		do("the code's adoption again", cmd(codeAdopted))
		return out
	}
}

// wantChain fails the test unless act's history in the store has no
// defect and every event names the one before it as prev_hash.
func wantChain(t *testing.T, l *ledger.Ledger, act events.ActID) []eventlog.Entry {
	t.Helper()
	h := mustHistory(t, l, act)
	var prev events.Digest
	for i, en := range h {
		if en.Defect != nil {
			t.Errorf("%s: entry %d is a defect: %s", act, i+1, en.Defect.Message)
			continue
		}
		if en.Event.PrevHash != prev {
			t.Errorf("%s: event %d (%s) has prev_hash %x, want %x, the hash of the event before it", act, i+1, en.Event.Type, en.Event.PrevHash, prev)
		}
		prev = en.Event.Hash
	}
	return h
}

// With a cache of acts so small that every act is dropped after each
// command and read back before the next, the same commands end as with a
// cache that keeps every act: the same receipts (duplicates included),
// the same refusals of expectations and reused ids, the same corrections
// and retractions, and the same stream, every act's chain unbroken.
func TestDroppedActsBehaveAsKeptOnes(t *testing.T) {
	script := actScript()
	env := natstest.MustStart(t, natstest.Options{})
	kept := ledger.New(env.Store, ledger.Options{AppendTimeout: 30 * time.Second, ActCache: 1 << 30})
	t.Cleanup(func() { kept.Close() })
	want := script(t, kept)
	for _, s := range want {
		t.Log(s)
	}
	wantStream := map[events.ActID][]eventlog.Entry{}
	for _, act := range []events.ActID{refugees, criminal} {
		wantStream[act] = wantChain(t, kept, act)
	}

	for _, opts := range []ledger.Options{
		{ActCache: 1},
		{ActCache: -1, HistoryCache: -1},
		{ActCache: 3},
	} {
		t.Run(fmt.Sprintf("ActCache=%d,HistoryCache=%d", opts.ActCache, opts.HistoryCache), func(t *testing.T) {
			env := natstest.MustStart(t, natstest.Options{})
			store := &countingStore{Store: env.Store}
			opts.AppendTimeout = 30 * time.Second
			l := ledger.New(store, opts)
			t.Cleanup(func() { l.Close() })
			got := script(t, l)
			if len(got) != len(want) {
				t.Fatalf("%d steps, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("step %d:\n got %v\nwant %v", i+1, got[i], want[i])
				}
			}
			if store.loads.Load() == 0 {
				t.Error("no act was read back from the store: the cache dropped none, and the test proves nothing")
			}
			if counted, held, acts, bound := l.ActCacheHeld(); counted != held || counted > max(bound, 0) {
				t.Errorf("the cache counts %d events, holds %d in %d acts, bound %d", counted, held, acts, bound)
			}
			for act, w := range wantStream {
				h := wantChain(t, l, act)
				if len(h) != len(w) {
					t.Errorf("%s has %d entries, want %d", act, len(h), len(w))
					continue
				}
				for i := range h {
					g, w := h[i], w[i]
					if g.Seq != w.Seq || g.Version != w.Version || g.Event.ID != w.Event.ID || g.Event.Type != w.Event.Type || g.Event.Date != w.Event.Date {
						t.Errorf("%s entry %d: %s %s v%d seq %d, want %s %s v%d seq %d", act, i+1,
							g.Event.ID, g.Event.Type, g.Version, g.Seq, w.Event.ID, w.Event.Type, w.Version, w.Seq)
					}
				}
			}
		})
	}
}

// However many acts are recorded, by clerks at once, the cache of acts
// holds at most its bound of events once they are answered, counts what it
// holds, and still answers a retry of an act's first event, dropped long
// ago, with its first receipt.
func TestActCacheStaysWithinItsBound(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	const bound, clerks, actsEach = 10, 4, 15
	l := ledger.New(env.Store, ledger.Options{AppendTimeout: 30 * time.Second, ActCache: bound})
	t.Cleanup(func() { l.Close() })
	ctx := testContext(t)

	first := make([][]ledger.Receipt, clerks)
	firstEvents := make([][]events.Event, clerks)
	var wg sync.WaitGroup
	errs := make(chan error, clerks)
	for c := range clerks {
		wg.Go(func() {
			for i := range actsEach {
				act := events.ActID(fmt.Sprintf("/akn/kz/act/2003-02-10/%d", c*actsEach+i+1))
				es := []events.Event{
					event(act, events.Drafted, "2003-01-10", titled(fmt.Sprintf("Law No. %d", i), events.Law)),
					event(act, events.Adopted, "2003-02-10", chamber("Parliament")),
					event(act, events.Signed, "2003-02-11"),
				}
				for k, e := range es {
					r, err := l.Append(ctx, "clerk@test", expect(e, uint64(k)))
					if err != nil {
						errs <- fmt.Errorf("clerk %d, %s of %s: %w", c, e.Type, act, err)
						return
					}
					if k == 0 {
						first[c] = append(first[c], r)
						firstEvents[c] = append(firstEvents[c], e)
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	counted, held, acts, b := l.ActCacheHeld()
	if counted != held || held > bound || b != bound {
		t.Fatalf("after %d acts the cache counts %d events, holds %d in %d acts, bound %d; want at most %d", clerks*actsEach, counted, held, acts, b, bound)
	}
	for c := range clerks {
		for i, e := range firstEvents[c] {
			r, err := l.Append(ctx, "clerk@test", cmd(e))
			if err != nil {
				t.Fatalf("retry of %s: %v", e.Act, err)
			}
			wantSameReceipt(t, "a retry of a dropped act's first event", r, first[c][i])
			if _, err := l.Append(ctx, "clerk@test", expect(event(e.Act, events.Published, "2003-02-20", gazette("Official Gazette")), 2)); err == nil {
				t.Fatalf("%s: publication expecting version 2 accepted; the act is at version 3", e.Act)
			} else if e := wantError(t, err, events.CodeConflict); e.Current != 3 {
				t.Errorf("%s: the conflict says version %d, want 3", e.Act, e.Current)
			}
			if counted, held, _, _ := l.ActCacheHeld(); counted != held || held > bound {
				t.Fatalf("the cache counts %d events and holds %d, bound %d", counted, held, bound)
			}
		}
	}
	if got, want := msgCount(t, env), uint64(3*clerks*actsEach); got != want {
		t.Errorf("the stream holds %d messages, want %d", got, want)
	}
}
