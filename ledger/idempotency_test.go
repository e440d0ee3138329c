package ledger_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
)

func wantSameReceipt(t *testing.T, what string, got, first ledger.Receipt) {
	t.Helper()
	if !got.Duplicate {
		t.Errorf("%s: Duplicate is not set: %+v", what, got)
	}
	if got.ID != first.ID || got.Seq != first.Seq || got.Version != first.Version || got.Type != first.Type {
		t.Errorf("%s: receipt %+v, want the first one's id, type, version and sequence %+v", what, got, first)
	}
	if !got.RecordedAt.Equal(first.RecordedAt) {
		t.Errorf("%s: recorded at %s, want the first record time %s", what, got.RecordedAt, first.RecordedAt)
	}
}

// Within the engine's duplicate window, the same event twice is recorded
// once: by the same ledger (its cache) and by a new ledger (its write,
// which expects the act to be new or older, is refused; it reads the act
// and finds the id). The ledger no longer sends Nats-Msg-Id, so the
// engine's own window is not what answers.
func TestIdempotentWithinDuplicateWindow(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env.Store)
	ctx := context.Background()

	drafted := event(refugees, events.Drafted, "2009-06-01", titled("Law on Refugees", events.Law))
	adopted := event(refugees, events.Adopted, "2009-11-20", chamber("Parliament"))
	before := msgCount(t, env)
	first := mustAppend(t, l, drafted, adopted)
	if got := msgCount(t, env); got != before+2 {
		t.Fatalf("two appends grew the stream by %d", got-before)
	}

	for i, e := range []events.Event{drafted, adopted} {
		r, err := l.Append(ctx, "clerk@test", cmd(e))
		if err != nil {
			t.Fatalf("second append of %s: %v", e.Type, err)
		}
		wantSameReceipt(t, "the same ledger again", r, first[i])
	}
	cold := mustLedger(t, env.Store)
	for i, e := range []events.Event{drafted, adopted} {
		r, err := cold.Append(ctx, "clerk@test", cmd(e))
		if err != nil {
			t.Fatalf("append of %s by a new ledger: %v", e.Type, err)
		}
		wantSameReceipt(t, "a new ledger", r, first[i])
	}
	if got := msgCount(t, env); got != before+2 {
		t.Errorf("the stream holds %d messages, want %d: a duplicate was written", got, before+2)
	}

	// The same id with another type is not a retry but a mistake.
	wrong := adopted
	wrong.Type, wrong.Body = events.Signed, events.Body{}
	for name, led := range map[string]*ledger.Ledger{"same ledger": l, "new ledger": mustLedger(t, env.Store)} {
		_, err := led.Append(ctx, "clerk@test", cmd(wrong))
		e := wantError(t, err, events.CodeConflict)
		if e.Act != refugees {
			t.Errorf("%s: the conflict names act %q, want %s", name, e.Act, refugees)
		}
	}
	if got := msgCount(t, env); got != before+2 {
		t.Errorf("the stream holds %d messages, want %d", got, before+2)
	}
	if h := mustHistory(t, l, refugees); len(h) != 2 {
		t.Errorf("the history has %d events, want 2", len(h))
	}
}

// Beyond the engine's duplicate window the ledger's own check still knows
// every id of the act, even from a new ledger with nothing cached.
func TestIdempotentBeyondDuplicateWindow(t *testing.T) {
	// The server accepts windows of 100ms and more.
	const window = 300 * time.Millisecond
	env := natstest.MustStart(t, natstest.Options{Config: natsjs.Config{Duplicates: window}})
	ctx := context.Background()
	l := mustLedger(t, env.Store)

	drafted := event(refugees, events.Drafted, "2009-06-01", titled("Law on Refugees", events.Law))
	adopted := event(refugees, events.Adopted, "2009-11-20", chamber("Parliament"))
	first := mustAppend(t, l, drafted, adopted)
	before := msgCount(t, env)

	time.Sleep(3 * window) // the server purges its ids at most every window

	for i, e := range []events.Event{drafted, adopted} {
		cold := mustLedger(t, env.Store)
		r, err := cold.Append(ctx, "clerk@test", cmd(e))
		if err != nil {
			t.Fatalf("append of %s by a new ledger after the window: %v", e.Type, err)
		}
		wantSameReceipt(t, "a new ledger after the window", r, first[i])
	}
	if got := msgCount(t, env); got != before {
		t.Errorf("the stream grew from %d to %d messages: an event was written twice", before, got)
	}

	// Proof that the engine alone does not deduplicate the id (its window
	// has passed, and the ledger sends no Nats-Msg-Id anyway): a write
	// without expectation, which the ledger never makes, stores a second
	// copy. The test ends here.
	drafted.Schema = events.SchemaVersion
	data, err := events.Encode(&drafted)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Store.Append(ctx, []eventlog.Message{{Event: &drafted, Data: data}}); err != nil {
		t.Fatalf("the engine still refuses id %s after its window: %v; the test proves nothing", drafted.ID, err)
	}
}

// Many clerks sending the same event at once (a retry storm, on two
// ledgers) record it once: every receipt names the same place.
func TestConcurrentRetriesOfOneEvent(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	ledgers := []*ledger.Ledger{mustLedger(t, env.Store), mustLedger(t, secondStore(t, env))}
	ctx := testContext(t)
	mustAppend(t, ledgers[0],
		event(criminal, events.Drafted, "1997-01-10", titled("Criminal Code", events.CodeKind)),
		event(criminal, events.Adopted, "1997-07-16", chamber("Parliament")))

	for round := 0; round < 10; round++ {
		before := msgCount(t, env)
		e := event(criminal, events.Amended, "2009-12-10", amendedBy(law2009, "2010-01-01", fmt.Sprintf("art_%d", round+1)))
		const clerks = 16
		var wg sync.WaitGroup
		rs := make([]ledger.Receipt, clerks)
		errs := make([]error, clerks)
		start := make(chan struct{})
		for g := 0; g < clerks; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				<-start
				rs[g], errs[g] = ledgers[g%2].Append(ctx, "clerk@test", cmd(e))
			}(g)
		}
		close(start)
		wg.Wait()
		fresh := 0
		for g := range rs {
			if errs[g] != nil {
				t.Fatalf("round %d clerk %d: %v", round, g, errs[g])
			}
			if !rs[g].Duplicate {
				fresh++
			}
			if rs[g].ID != e.ID || rs[g].Seq != rs[0].Seq || rs[g].Version != rs[0].Version {
				t.Errorf("round %d clerk %d: receipt %+v, another says %+v", round, g, rs[g], rs[0])
			}
		}
		if fresh != 1 {
			t.Errorf("round %d: %d receipts say the event is new, want exactly 1", round, fresh)
		}
		if got := msgCount(t, env); got != before+1 {
			t.Errorf("round %d: the stream grew by %d, want 1", round, got-before)
		}
	}
	h := mustHistory(t, ledgers[1], criminal)
	if len(h) != 12 {
		t.Errorf("the history has %d events, want 12", len(h))
	}
}
