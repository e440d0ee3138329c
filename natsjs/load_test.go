package natsjs_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs/natstest"
)

// An act's events come back whole and in order, across pages of the
// batched direct get.
func TestLoadReadsAnActWhole(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env.Store)
	ctx := testContext(t)
	// 2,500 events on one act, interleaved with another act's, so that the
	// 1,000-message pages of the direct get are exercised.
	const n = 2500
	mustAppend(t, l, created(criminal, "Criminal Code", events.CodeKind), created(refugees, "Law on Refugees", events.Law))
	var ids []events.ID
	for i := 0; i < n; i += 100 {
		cmds := make([]ledger.Command, 0, 101)
		for j := 0; j < 100; j++ {
			e := events.Event{ID: events.NewID(), Act: criminal, Type: events.Corrigendum, Date: events.MustDate("2009-12-20")}
			ids = append(ids, e.ID)
			cmds = append(cmds, ledger.Command{Event: e})
		}
		cmds = append(cmds, ledger.Command{Event: events.Event{ID: events.NewID(), Act: refugees, Type: events.Corrigendum, Date: events.MustDate("2009-12-20")}})
		if _, err := l.AppendAtomic(ctx, "clerk@test", cmds); err != nil {
			t.Fatal(err)
		}
	}
	got, err := env.Store.Load(ctx, criminal, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n+1 {
		t.Fatalf("Load returned %d events, want %d", len(got), n+1)
	}
	for i, s := range got[1:] {
		if s.Event.ID != ids[i] || s.Event.Act != criminal {
			t.Fatalf("event %d is %s of %s, want %s", i+1, s.Event.ID, s.Event.Act, ids[i])
		}
		if s.Seq <= got[i].Seq {
			t.Fatalf("sequences out of order: %d after %d", s.Seq, got[i].Seq)
		}
	}
	// From the middle: after a sequence.
	after := got[1500].Seq
	rest, err := env.Store.Load(ctx, criminal, after)
	if err != nil || len(rest) != n-1500 || rest[0].Seq <= after {
		t.Errorf("Load after sequence %d: %d events, %v; want %d", after, len(rest), err, n-1500)
	}
}

// With the server gone, reading an act must fail, not return "no events".
func TestLoadFailsWhenTheServerIsGone(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env.Store)
	mustAppend(t, l, created(refugees, "Law on Refugees", events.Law), signed(refugees))
	env.Server.Shutdown()
	env.Server.WaitForShutdown()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := env.Store.Load(ctx, refugees, 0)
	if !errors.Is(err, eventlog.ErrUnavailable) {
		t.Errorf("Load with the server gone: %d events, error %v; want eventlog.ErrUnavailable", len(got), err)
	}
	_, err = l.History(ctx, refugees)
	if events.ErrorCode(err) == events.CodeNotFound {
		t.Errorf("History with the server gone says the act does not exist: %v", err)
	}
}

// An act whose events are larger than one direct-get answer can carry must
// come back whole, or not at all.
func TestLoadIsNeverPartial(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 75 MB")
	}
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env.Store)
	mustAppend(t, l, created(criminal, "Criminal Code", events.CodeKind))
	text := strings.Repeat("x", 250<<10)
	const n = 300 // 75 MB: corrigenda carrying whole texts
	for i := 0; i < n; i += 10 {
		cmds := make([]ledger.Command, 10)
		for j := range cmds {
			e := events.Event{ID: events.NewID(), Act: criminal, Type: events.Corrigendum, Date: events.MustDate("2009-12-20")}
			e.Body.Texts = map[string]string{"art_1": text}
			cmds[j] = ledger.Command{Event: e}
		}
		if _, err := l.AppendAtomic(context.Background(), "clerk@test", cmds); err != nil {
			t.Fatal(err)
		}
	}
	got, err := env.Store.Load(context.Background(), criminal, 0)
	if err == nil && len(got) != n+1 {
		t.Errorf("Load returned %d of the %d events, and no error", len(got), n+1)
	}
	h, err := l.History(context.Background(), criminal)
	if err == nil && len(h) != n+1 {
		t.Errorf("History returned %d of the %d events, and no error", len(h), n+1)
	}
}
