package ledger_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs/natstest"
)

var codes = []struct {
	act   events.ActID
	title string
	date  string
}{
	{criminal, "Criminal Code", "1997-07-16"},
	{procedure, "Criminal Procedure Code", "1997-12-13"},
	{civil, "Code of Civil Procedure", "1999-07-13"},
}

// amendments returns the law of 2009-12-10's amendments of the three codes.
func amendments() []events.Event {
	out := make([]events.Event, len(codes))
	for i, c := range codes {
		out[i] = event(c.act, events.Amended, "2009-12-10", amendedBy(law2009, "2010-01-01", fmt.Sprintf("art_%d", i+1)))
	}
	return out
}

func cmds(es []events.Event, versions ...uint64) []ledger.Command {
	out := make([]ledger.Command, len(es))
	for i, e := range es {
		out[i] = cmd(e)
		if i < len(versions) {
			out[i] = expect(e, versions[i])
		}
	}
	return out
}

// One instrument amending three codes is one atomic batch: all of it lands,
// at contiguous sequences; a stale expectation or a broken rule anywhere
// writes none of it; a retried batch is answered from the first write.
func TestAtomicBatchOverThreeCodes(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env.Store)
	ctx := context.Background()

	for _, c := range codes {
		mustAppend(t, l, adoptedCode(c.act, c.title, c.date))
	}
	before := msgCount(t, env)

	batch := amendments()
	rs, err := l.AppendAtomic(ctx, "clerk@test", cmds(batch, 1, 1, 1))
	if err != nil {
		t.Fatalf("the law of 2009-12-10 amending three codes: %v", err)
	}
	if len(rs) != 3 {
		t.Fatalf("%d receipts, want 3", len(rs))
	}
	for i, r := range rs {
		if r.Act != codes[i].act || r.ID != batch[i].ID || r.Version != 2 || r.Duplicate {
			t.Errorf("receipt %d: %+v, want a new event of %s at version 2", i, r, codes[i].act)
		}
		if i > 0 && r.Seq != rs[i-1].Seq+1 {
			t.Errorf("receipt %d has sequence %d, want %d: the batch is not contiguous", i, r.Seq, rs[i-1].Seq+1)
		}
		h := mustHistory(t, l, codes[i].act)
		if len(h) != 2 || h[1].Event.ID != r.ID || h[1].Seq != r.Seq || h[1].Event.Instrument != law2009 {
			t.Errorf("the history of %s does not end with the amendment by %s at sequence %d", codes[i].act, law2009, r.Seq)
		}
	}
	if got := msgCount(t, env); got != before+3 {
		t.Fatalf("the stream grew by %d, want 3", got-before)
	}

	t.Run("StaleExpectation", func(t *testing.T) {
		before := msgCount(t, env)
		// The third code is at version 2, not 1.
		_, err := l.AppendAtomic(ctx, "clerk@test", cmds(amendments(), 2, 2, 1))
		e := wantError(t, err, events.CodeConflict)
		if e.Act != civil || e.Current != 2 || e.Index != 3 {
			t.Errorf("conflict on %s, current %d, index %d; want %s, current 2, index 3", e.Act, e.Current, e.Index, civil)
		}
		if !strings.Contains(e.Message, "version 2") {
			t.Errorf("the message does not name the current version: %q", e.Message)
		}
		if got := msgCount(t, env); got != before {
			t.Errorf("the refused batch changed the stream from %d to %d messages", before, got)
		}
	})

	t.Run("StaleAtTheEngine", func(t *testing.T) {
		// Another ledger moves the second code on; this ledger's cache does
		// not know, so the expectation reaches the engine, which refuses
		// the whole batch.
		other := mustLedger(t, secondStore(t, env))
		moved := mustAppend(t, other, event(procedure, events.Amended, "2010-06-01", amendedBy("/akn/kz/act/2010-06-01/300", "2010-07-01")))[0]
		before := msgCount(t, env)
		_, err := l.AppendAtomic(ctx, "clerk@test", cmds(amendments(), 2, 2, 2))
		e := wantError(t, err, events.CodeConflict)
		if e.Act != procedure || e.Current != moved.Version {
			t.Errorf("conflict on %s at version %d, want %s at version %d", e.Act, e.Current, procedure, moved.Version)
		}
		if got := msgCount(t, env); got != before {
			t.Errorf("the refused batch changed the stream from %d to %d messages", before, got)
		}
		for _, c := range codes {
			want := 2
			if c.act == procedure {
				want = 3
			}
			if h := mustHistory(t, l, c.act); len(h) != want {
				t.Errorf("%s has %d events, want %d", c.act, len(h), want)
			}
		}
	})

	t.Run("RuleBrokenByEventTwo", func(t *testing.T) {
		before := msgCount(t, env)
		es := amendments()
		// The Criminal Procedure Code was adopted long ago: a second
		// adoption breaks a rule.
		es[1] = event(procedure, events.Adopted, "2009-12-10", chamber("Parliament"))
		_, err := l.AppendAtomic(ctx, "clerk@test", cmds(es))
		e := wantError(t, err, events.CodeRule)
		if e.Index != 2 || e.Rule != events.RuleDuplicateStep || e.Act != procedure {
			t.Errorf("rule error at index %d, rule %s, act %s; want index 2, %s, %s", e.Index, e.Rule, e.Act, events.RuleDuplicateStep, procedure)
		}
		if !strings.HasPrefix(e.Message, "event 2 of 3: ") {
			t.Errorf("the message does not name the event: %q", e.Message)
		}
		if got := msgCount(t, env); got != before {
			t.Errorf("the refused batch changed the stream from %d to %d messages", before, got)
		}
	})

	t.Run("RetriedWhole", func(t *testing.T) {
		before := msgCount(t, env)
		for name, led := range map[string]*ledger.Ledger{"same ledger": l, "new ledger": mustLedger(t, env.Store)} {
			again, err := led.AppendAtomic(ctx, "clerk@test", cmds(batch, 1, 1, 1))
			if err != nil {
				t.Fatalf("%s: the retried batch: %v", name, err)
			}
			for i := range again {
				wantSameReceipt(t, name+": retried batch", again[i], rs[i])
			}
		}
		if got := msgCount(t, env); got != before {
			t.Errorf("the retried batch changed the stream from %d to %d messages", before, got)
		}
	})
}

// The events of one act in one batch get consecutive versions, and only the
// first carries the expectation.
func TestAtomicBatchOfOneAct(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env.Store)
	es := []events.Event{
		event(refugees, events.Drafted, "2009-06-01", titled("Law on Refugees", events.Law)),
		event(refugees, events.Adopted, "2009-11-20", chamber("Parliament")),
		event(refugees, events.Signed, "2009-12-04"),
		event(refugees, events.Published, "2009-12-10", gazette("Kazakhstanskaya Pravda No. 277")),
		event(refugees, events.Commenced, "2009-12-04", from("2009-12-04")),
	}
	rs, err := l.AppendAtomic(context.Background(), "clerk@test", cmds(es, 0, 1, 2, 3, 4))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		if r.Version != uint64(i+1) {
			t.Errorf("event %d got version %d, want %d", i+1, r.Version, i+1)
		}
	}
	h := mustHistory(t, l, refugees)
	for i, rec := range h {
		if rec.Event.Type != es[i].Type || rec.Event.RecordedBy != "clerk@test" || rec.Event.RecordedAt.IsZero() {
			t.Errorf("history %d: %s by %q at %s", i, rec.Event.Type, rec.Event.RecordedBy, rec.Event.RecordedAt)
		}
		if i > 0 && !rec.Event.RecordedAt.After(h[i-1].Event.RecordedAt) {
			t.Errorf("record times are not increasing: %s then %s", h[i-1].Event.RecordedAt, rec.Event.RecordedAt)
		}
	}
}
