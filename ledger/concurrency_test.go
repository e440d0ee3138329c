package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs/natstest"
)

// 64 clerks, 32 on each of two ledgers (two connections, as two processes
// would have), append to ONE act with expectations, retrying on conflict,
// until each has recorded perClerk amendments. Every version is won by
// exactly one append and every receipt is what the history says.
func TestRacingExpectationsOnOneActAcrossTwoLedgers(t *testing.T) {
	const clerks, perClerk = 64, 10
	env := natstest.MustStart(t, natstest.Options{})
	stores := []*countingStore{{Store: env.Store}, {Store: secondStore(t, env)}}
	ledgers := []*ledger.Ledger{mustLedger(t, stores[0]), mustLedger(t, stores[1])}
	ctx := testContext(t)

	created := mustAppend(t, ledgers[0],
		event(criminal, events.Drafted, "1997-01-10", titled("Criminal Code", events.CodeKind)),
		event(criminal, events.Adopted, "1997-07-16", chamber("Parliament")))
	base := created[1].Version // 2

	type won struct {
		clerk int
		r     ledger.Receipt
	}
	var (
		mu       sync.Mutex
		receipts []won
		attempts int
		wg       sync.WaitGroup
		errs     = make(chan error, clerks)
	)
	for g := 0; g < clerks; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			l := ledgers[g%2]
			clerk := fmt.Sprintf("clerk-%d@test", g)
			// Each clerk reads the act once, then tracks its version from
			// its receipts and from the conflicts it gets.
			h, err := l.History(ctx, criminal)
			if err != nil {
				errs <- err
				return
			}
			v := uint64(len(h))
			tries := 0
			for n := 0; n < perClerk; {
				// One logical event keeps its id across its retries.
				e := event(criminal, events.Amended, "2009-12-10",
					amendedBy(law2009, "2010-01-01", fmt.Sprintf("art_%d", 100*g+n+1)))
				for {
					tries++
					r, err := l.Append(ctx, clerk, expect(e, v))
					if err == nil {
						if r.Duplicate {
							errs <- fmt.Errorf("%s: receipt of a new event has Duplicate set: %+v", clerk, r)
							return
						}
						mu.Lock()
						receipts = append(receipts, won{g, r})
						mu.Unlock()
						v = r.Version
						n++
						break
					}
					var le *events.Error
					if !errors.As(err, &le) || le.Code != events.CodeConflict {
						errs <- fmt.Errorf("%s: append with expected version %d: %v", clerk, v, err)
						return
					}
					if le.Current > v {
						v = le.Current
						continue
					}
					// The conflict named no newer version (the cache of
					// the ledger was behind, or it gave up retrying):
					// read the act again.
					h, err := l.History(ctx, criminal)
					if err != nil {
						errs <- err
						return
					}
					v = uint64(len(h))
				}
			}
			mu.Lock()
			attempts += tries
			mu.Unlock()
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}

	h := mustHistory(t, ledgers[0], criminal)
	if got, want := len(h), int(base)+clerks*perClerk; got != want {
		t.Fatalf("the history has %d events, want %d (2 creating it, %d amendments)", got, want, clerks*perClerk)
	}
	byID := map[events.ID]eventlog.Entry{}
	for i, rec := range h {
		if rec.Version != uint64(i+1) {
			t.Errorf("history entry %d has version %d, want %d", i, rec.Version, i+1)
		}
		if i > 0 && rec.Seq <= h[i-1].Seq {
			t.Errorf("version %d has stream sequence %d, not after version %d's %d", rec.Version, rec.Seq, i, h[i-1].Seq)
		}
		if _, dup := byID[rec.Event.ID]; dup {
			t.Errorf("event id %s is in the history twice", rec.Event.ID)
		}
		byID[rec.Event.ID] = rec
	}
	winner := map[uint64]int{}
	for _, w := range receipts {
		rec, ok := byID[w.r.ID]
		if !ok {
			t.Errorf("clerk %d got a receipt for %s, which is not in the history", w.clerk, w.r.ID)
			continue
		}
		if rec.Version != w.r.Version || rec.Seq != w.r.Seq {
			t.Errorf("receipt of %s says version %d sequence %d; the history says version %d sequence %d",
				w.r.ID, w.r.Version, w.r.Seq, rec.Version, rec.Seq)
		}
		if g, taken := winner[w.r.Version]; taken {
			t.Errorf("version %d was won by clerk %d and by clerk %d", w.r.Version, g, w.clerk)
		}
		winner[w.r.Version] = w.clerk
	}
	if got, want := len(receipts), clerks*perClerk; got != want {
		t.Errorf("the clerks got %d receipts, want %d", got, want)
	}
	for v := base + 1; v <= base+clerks*perClerk; v++ {
		if _, ok := winner[v]; !ok {
			t.Errorf("version %d was won by no append", v)
		}
	}
	// The race was real: clerks lost, and the engine itself refused stale
	// writes (the per-subject check), not only the ledgers' caches.
	if attempts <= clerks*perClerk {
		t.Errorf("%d attempts for %d events: the clerks never conflicted", attempts, clerks*perClerk)
	}
	if c := stores[0].conflicts.Load() + stores[1].conflicts.Load(); c == 0 {
		t.Errorf("the store never refused an append: the per-subject expected sequence was not exercised")
	}
	t.Logf("%d attempts for %d events; store appends %d+%d, refused by the engine %d+%d, loads %d+%d",
		attempts, clerks*perClerk, stores[0].appends.Load(), stores[1].appends.Load(),
		stores[0].conflicts.Load(), stores[1].conflicts.Load(), stores[0].loads.Load(), stores[1].loads.Load())
}

// Without expectations there is still no lost update: of many clerks on
// two ledgers recording 'adopted' for the same drafted act, exactly one
// succeeds and the others are told it is a duplicate step.
func TestConcurrentAdoptionWithoutExpectationsHasOneWinner(t *testing.T) {
	const rounds, clerks = 5, 20
	env := natstest.MustStart(t, natstest.Options{})
	creator := mustLedger(t, env.Store)
	stores := []*countingStore{{Store: env.Store}, {Store: secondStore(t, env)}}
	ledgers := []*ledger.Ledger{mustLedger(t, stores[0]), mustLedger(t, stores[1])}
	ctx := testContext(t)

	for round := 0; round < rounds; round++ {
		act := events.ActID(fmt.Sprintf("/akn/kz/act/2009-12-22/%d", 230+round))
		// Created by a third ledger: neither racing ledger has it cached.
		mustAppend(t, creator, event(act, events.Drafted, "2009-11-01", titled("Law on domestic violence prevention", events.Law)))
		before := msgCount(t, env)

		var wg sync.WaitGroup
		results := make([]error, clerks)
		receipts := make([]ledger.Receipt, clerks)
		start := make(chan struct{})
		for g := 0; g < clerks; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				<-start
				e := event(act, events.Adopted, "2009-12-17", chamber("Parliament"))
				receipts[g], results[g] = ledgers[g%2].Append(ctx, "clerk@test", cmd(e))
			}(g)
		}
		close(start)
		wg.Wait()

		winners := 0
		for g, err := range results {
			if err == nil {
				winners++
				if receipts[g].Version != 2 || receipts[g].Duplicate {
					t.Errorf("round %d: the winning receipt is %+v, want version 2, not a duplicate", round, receipts[g])
				}
				continue
			}
			e := wantError(t, err, events.CodeRule)
			if e.Rule != events.RuleDuplicateStep {
				t.Errorf("round %d clerk %d: rule %s (%v), want %s", round, g, e.Rule, e, events.RuleDuplicateStep)
			}
		}
		if winners != 1 {
			t.Errorf("round %d: %d clerks recorded the adoption, want exactly 1", round, winners)
		}
		h := mustHistory(t, creator, act)
		if len(h) != 2 || h[1].Event.Type != events.Adopted {
			t.Errorf("round %d: the history has %d events, want drafted and one adopted", round, len(h))
		}
		if got := msgCount(t, env); got != before+1 {
			t.Errorf("round %d: the stream grew by %d messages, want 1", round, got-before)
		}
	}
}

// Ledger A has an act cached when ledger B appends to it. A's next append
// without expectation lands at the right version (A read the act again);
// with the version A had seen it is a conflict naming the true version.
func TestAnotherWriterMidFlight(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	a := mustLedger(t, env.Store)
	b := mustLedger(t, secondStore(t, env))
	ctx := context.Background()

	rs := mustAppend(t, a,
		event(refugees, events.Drafted, "2009-06-01", titled("Law on Refugees", events.Law)),
		event(refugees, events.Adopted, "2009-11-20", chamber("Parliament")))
	seenByA := rs[1].Version // A's cache: version 2

	rb := mustAppend(t, b, event(refugees, events.Signed, "2009-12-04"))[0]
	if rb.Version != 3 {
		t.Fatalf("B recorded at version %d, want 3", rb.Version)
	}

	ra, err := a.Append(ctx, "clerk@test", cmd(event(refugees, events.Published, "2009-12-10", gazette("Kazakhstanskaya Pravda No. 277"))))
	if err != nil {
		t.Fatalf("A's append after B's, without expectation: %v", err)
	}
	if ra.Version != 4 || ra.Seq <= rb.Seq {
		t.Errorf("A's receipt is version %d sequence %d, want version 4 after B's sequence %d", ra.Version, ra.Seq, rb.Seq)
	}

	// A sees B's write only through the store: a fresh case with a fourth
	// event by B, then A with the stale expectation.
	rb2 := mustAppend(t, b, event(refugees, events.Commenced, "2009-12-04", from("2009-12-04")))[0]
	before := msgCount(t, env)
	_, err = a.Append(ctx, "clerk@test", expect(event(refugees, events.Amended, "2010-01-01", amendedBy(law2009, "2010-01-01")), ra.Version))
	e := wantError(t, err, events.CodeConflict)
	if e.Current != rb2.Version {
		t.Errorf("the conflict names version %d, want the true version %d", e.Current, rb2.Version)
	}
	if got := msgCount(t, env); got != before {
		t.Errorf("a refused append changed the stream's count from %d to %d", before, got)
	}
	_, err = a.Append(ctx, "clerk@test", expect(event(refugees, events.Amended, "2010-01-01", amendedBy(law2009, "2010-01-01")), seenByA))
	if e := wantError(t, err, events.CodeConflict); e.Current != rb2.Version {
		t.Errorf("the conflict names version %d, want %d", e.Current, rb2.Version)
	}
	// With the true version it succeeds.
	r, err := a.Append(ctx, "clerk@test", expect(event(refugees, events.Amended, "2010-01-01", amendedBy(law2009, "2010-01-01")), rb2.Version))
	if err != nil {
		t.Fatalf("append with the true version: %v", err)
	}
	if r.Version != rb2.Version+1 {
		t.Errorf("version %d, want %d", r.Version, rb2.Version+1)
	}
	if h := mustHistory(t, b, refugees); len(h) != int(r.Version) {
		t.Errorf("the history has %d events, want %d", len(h), r.Version)
	}
}
