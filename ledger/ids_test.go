package ledger_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/nats-io/nats.go/jetstream"
)

// wantIDUsed fails the test unless err refuses an event whose id names the
// event at sequence seq of act: 409, code conflict, rule id_used, and a
// message that names both.
func wantIDUsed(t *testing.T, what string, err error, act events.ActID, seq uint64) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: recorded, want the id refused as used", what)
	}
	status, ej := ledger.DescribeError(err)
	d := ej.Error
	if status != 409 || d.Code != events.CodeConflict || d.Rule != events.RuleIDUsed {
		t.Fatalf("%s: %d %s %q (%v), want 409 conflict id_used", what, status, d.Code, d.Rule, err)
	}
	if !strings.Contains(d.Message, string(act)) {
		t.Errorf("%s: the message %q does not name act %s", what, d.Message, act)
	}
	// A loser of a race may look before the winner's event is stored,
	// and then says so; otherwise it names where the event is.
	if !strings.Contains(d.Message, fmt.Sprintf("sequence %d ", seq)) && !strings.Contains(d.Message, "still being written") {
		t.Errorf("%s: the message %q does not name sequence %d", what, d.Message, seq)
	}
}

// The same id on another act is refused, by the ledger that recorded it,
// by a new ledger with nothing cached, and after the engine's duplicate
// window has passed; and so is the same id with other content on the same
// act. The true retry, with the same content (from another clerk, so
// another recorded_by), gets the first receipt. Nothing refused is
// written.
func TestIDNamesOneEvent(t *testing.T) {
	const window = 300 * time.Millisecond // the server accepts 100ms and more
	env := natstest.MustStart(t, natstest.Options{Config: natsjs.Config{Duplicates: window}})
	ctx := testContext(t)
	l := mustLedger(t, env.Store)
	drafted := event(refugees, events.Drafted, "2009-06-01", titled("Law on Refugees", events.Law))
	adopted := event(refugees, events.Adopted, "2009-11-20", chamber("Parliament"))
	first := mustAppend(t, l, drafted, adopted)
	mustAppend(t, l, adoptedCode(criminal, "Criminal Code", "1997-07-16"))
	before := msgCount(t, env)

	elsewhere := adopted
	elsewhere.Act = criminal
	elsewhere.Type = events.Amended
	elsewhere.Body = events.Body{}
	amendedBy(law2009, "2010-01-01", "art_1")(&elsewhere)
	otherContent := adopted
	otherContent.Body.Chamber = "Senate"
	newAct := drafted
	newAct.Act = law2009 // an act that has no event yet

	check := func(when string, led *ledger.Ledger) {
		t.Helper()
		_, err := led.Append(ctx, "clerk@test", cmd(elsewhere))
		wantIDUsed(t, when+": the id on another act", err, refugees, first[1].Seq)
		_, err = led.Append(ctx, "clerk@test", cmd(newAct))
		wantIDUsed(t, when+": the id on a new act", err, refugees, first[0].Seq)
		_, err = led.Append(ctx, "clerk@test", cmd(otherContent))
		wantIDUsed(t, when+": the id with other content", err, refugees, first[1].Seq)
		r, err := led.Append(ctx, "bob@test", cmd(adopted))
		if err != nil {
			t.Fatalf("%s: the retry: %v", when, err)
		}
		wantSameReceipt(t, when+": the retry", r, first[1])
		if got := msgCount(t, env); got != before {
			t.Fatalf("%s: the stream grew by %d", when, got-before)
		}
	}
	check("the same ledger", l)
	check("a new ledger", mustLedger(t, env.Store))
	check("a ledger on another connection", mustLedger(t, secondStore(t, env)))
	time.Sleep(3 * window) // the server forgets its ids at most every window
	check("after the duplicate window", mustLedger(t, env.Store))

	// In an atomic batch: the whole batch refused, naming the event.
	fresh := event(procedure, events.Adopted, "1997-12-13", titled("Criminal Procedure Code", events.CodeKind), chamber("Parliament"))
	_, err := mustLedger(t, env.Store).AppendAtomic(ctx, "clerk@test", []ledger.Command{cmd(fresh), cmd(elsewhere)})
	wantIDUsed(t, "in a batch", err, refugees, first[1].Seq)
	if e := wantError(t, err, events.CodeConflict); e.Index != 2 {
		t.Errorf("the refusal names event %d of the batch, want 2", e.Index)
	}
	if got := msgCount(t, env); got != before {
		t.Fatalf("the refused batch stored %d events", got-before)
	}
}

// After the server restarts, a new ledger still refuses an id on another
// act: the claims are on disk with the events.
func TestIDUsedAfterRestart(t *testing.T) {
	dir := t.TempDir()
	env := natstest.MustStart(t, natstest.Options{Dir: dir})
	drafted := event(refugees, events.Drafted, "2009-06-01", titled("Law on Refugees", events.Law))
	first := mustAppend(t, mustLedger(t, env.Store), drafted)
	env.Stop()

	env = natstest.MustStart(t, natstest.Options{Dir: dir})
	l := mustLedger(t, env.Store)
	other := drafted
	other.Act = law2009
	_, err := l.Append(testContext(t), "clerk@test", cmd(other))
	wantIDUsed(t, "after a restart", err, refugees, first[0].Seq)
	r, err := l.Append(testContext(t), "clerk@test", cmd(drafted))
	if err != nil {
		t.Fatal(err)
	}
	wantSameReceipt(t, "the retry after a restart", r, first[0])
}

// Two ledgers on their own connections race to record one id on two acts,
// and clerks of one ledger race so too (their commands share batches):
// each round ends with exactly one event stored, and every other attempt
// refused as id_used or answered as a retry of that one.
func TestIDRaceOnTwoActs(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	ctx := testContext(t)
	ledgers := []*ledger.Ledger{mustLedger(t, env.Store), mustLedger(t, secondStore(t, env))}
	acts := []events.ActID{criminal, procedure, civil, law2009}
	for _, a := range acts[:3] {
		mustAppend(t, ledgers[0], adoptedCode(a, "Code", "1997-07-16"))
	}
	mustAppend(t, ledgers[0], event(law2009, events.Adopted, "2009-12-10", titled("Law", events.Law), chamber("Parliament")))

	for round := 0; round < 10; round++ {
		before := msgCount(t, env)
		id := events.NewID()
		const clerks = 8
		rs := make([]ledger.Receipt, clerks)
		errs := make([]error, clerks)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for g := range clerks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				e := event(acts[g%len(acts)], events.Amended, "2010-06-01", amendedBy("/akn/kz/act/2010-06-01/1", "2010-07-01", "art_1"))
				e.ID = id
				<-start
				rs[g], errs[g] = ledgers[g%2].Append(ctx, "clerk@test", cmd(e))
			}()
		}
		close(start)
		wg.Wait()
		var winner *ledger.Receipt
		for g := range rs {
			if errs[g] == nil && !rs[g].Duplicate {
				if winner != nil {
					t.Fatalf("round %d: id %s recorded twice: %+v and %+v", round, id, *winner, rs[g])
				}
				winner = &rs[g]
			}
		}
		if winner == nil {
			t.Fatalf("round %d: nobody recorded id %s: %v", round, id, errs)
		}
		for g := range rs {
			switch {
			case errs[g] == nil:
				if rs[g].Seq != winner.Seq || rs[g].Act != winner.Act || rs[g].Act != acts[g%len(acts)] {
					t.Errorf("round %d clerk %d: receipt %+v beside the winner's %+v", round, g, rs[g], *winner)
				}
			case acts[g%len(acts)] == winner.Act:
				t.Errorf("round %d clerk %d: the same event as the winner's refused: %v", round, g, errs[g])
			default:
				wantIDUsed(t, fmt.Sprintf("round %d clerk %d", round, g), errs[g], winner.Act, winner.Seq)
			}
		}
		if got := msgCount(t, env); got != before+1 {
			t.Fatalf("round %d: the stream grew by %d, want 1", round, got-before)
		}
	}
}

// A ledger that stopped between an event's claim and the event (here: the
// claim written as the store writes it, and nothing else) left the id
// claimed: the retry with the same content records the event, once;
// other content under that id is refused, saying that no event has it.
func TestClaimWithoutItsEvent(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	ctx := testContext(t)
	js, err := jetstream.New(env.Conn)
	if err != nil {
		t.Fatal(err)
	}
	claim := func(e events.Event) {
		t.Helper()
		d, err := e.ContentDigest()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := json.Marshal(eventlog.Claim{ID: e.ID, Act: e.Act, Content: d})
		if _, err := js.Publish(ctx, env.Store.Config().IDPrefix()+"."+e.ID.String(), data); err != nil {
			t.Fatal(err)
		}
	}
	drafted := event(refugees, events.Drafted, "2009-06-01", titled("Law on Refugees", events.Law))
	claim(drafted)
	l := mustLedger(t, env.Store)
	r, err := l.Append(ctx, "clerk@test", cmd(drafted))
	if err != nil || r.Duplicate || r.Version != 1 {
		t.Fatalf("the retry after a claim alone: %+v %v, want the event recorded as new", r, err)
	}
	if n := msgCount(t, env); n != 1 {
		t.Fatalf("the stream holds %d events, want 1", n)
	}

	adopted := event(refugees, events.Adopted, "2009-11-20", chamber("Parliament"))
	claim(adopted)
	other := adopted
	other.Body.Chamber = "Senate"
	_, err = l.Append(ctx, "clerk@test", cmd(other))
	e := wantError(t, err, events.CodeConflict)
	if e.Rule != events.RuleIDUsed || !strings.Contains(e.Message, "not recorded") {
		t.Errorf("other content under a claimed id: %v, want id_used saying no event has it", err)
	}
	if n := msgCount(t, env); n != 1 {
		t.Fatalf("the stream holds %d events, want 1", n)
	}
}

// Two commands with one id on two acts, queued into one group: the first
// is recorded, the second decided after it (deferred to the next write)
// and refused, naming where the first landed. (On memStore, whose claims
// are a map: the grouping is what is tested, the store's part is above.)
func TestOneIDTwoActsInOneGroup(t *testing.T) {
	g := &gateStore{memStore: &memStore{last: map[events.ActID]uint64{}}, gate: make(chan struct{})}
	l := ledger.New(g, ledger.Options{AppendTimeout: 30 * time.Second})
	defer l.Close()
	ctx := testContext(t)
	first := make(chan error, 1)
	go func() {
		_, err := l.Append(ctx, "clerk", cmd(event("/akn/kz/act/2001-01-01/1", events.Drafted, "2001", titled("t", events.Law))))
		first <- err
	}()
	time.Sleep(100 * time.Millisecond) // the first holds the baton, blocked in the store
	id := events.NewID()
	acts := []events.ActID{"/akn/kz/act/2001-01-01/2", "/akn/kz/act/2001-01-01/3"}
	rs := make([]ledger.Receipt, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, act := range acts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i == 1 {
				time.Sleep(20 * time.Millisecond) // queued second
			}
			e := event(act, events.Drafted, "2001", titled("t", events.Law))
			e.ID = id
			rs[i], errs[i] = l.Append(ctx, "clerk", cmd(e))
		}()
	}
	time.Sleep(100 * time.Millisecond)
	close(g.gate)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if errs[0] != nil || rs[0].Act != acts[0] || rs[0].Duplicate {
		t.Fatalf("the first command with id %s: %+v %v, want it recorded", id, rs[0], errs[0])
	}
	wantIDUsed(t, "the second act", errs[1], acts[0], rs[0].Seq)
	if n := len(g.claims); n != 2 {
		t.Errorf("%d ids claimed, want 2 (the first command's, and the shared one once)", n)
	}
}
