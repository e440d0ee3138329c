package projector_test

import (
	"context"
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/projections"
	"github.com/lexledger/lexledger/projector"
)

func receive(t *testing.T, ch <-chan eventlog.Entry) (eventlog.Entry, bool) {
	t.Helper()
	select {
	case e, ok := <-ch:
		return e, ok
	case <-time.After(30 * time.Second):
		t.Fatal("no applied event within 30s")
	}
	return eventlog.Entry{}, false
}

// A subscriber receives every event applied, in stream order, once the
// projection includes it.
func TestSubscribeReceivesAppliedEvents(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env)
	r := startService(t, env.Store, env.Conn, projector.Options{}, false)
	ch, cancel := r.svc.Subscribe()
	defer cancel()
	rs := loadSeed(t, l)
	for i, want := range rs {
		e, ok := receive(t, ch)
		if !ok {
			t.Fatalf("the channel closed after %d events", i)
		}
		if e.Seq != want.Seq || e.Event.ID != want.ID {
			t.Fatalf("event %d: got sequence %d (%s), want %d (%s)", i, e.Seq, e.Event.ID, want.Seq, want.ID)
		}
		var last uint64
		r.svc.Read(func(p *projections.Projection) { last = p.LastSeq() })
		if last < e.Seq {
			t.Fatalf("received sequence %d before the projection applied it (at %d)", e.Seq, last)
		}
	}
	cancel()
	cancel() // twice is safe
	if _, ok := <-ch; ok {
		t.Error("the channel is open after the subscription ended")
	}
}

// Applying never waits for a subscriber: one that does not read is dropped
// (its channel closed) once its buffer is full, and the others go on.
func TestSubscribeDropsASlowSubscriber(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env)
	loadSeed(t, l)
	r := startService(t, env.Store, env.Conn, projector.Options{}, false)
	r.waitFor(t, seedEvents)
	slow, cancelSlow := r.svc.Subscribe()
	defer cancelSlow()
	fast, cancelFast := r.svc.Subscribe()
	defer cancelFast()

	n := projector.SubscriberBuffer + 50
	got := make(chan int, 1)
	go func() {
		count := 0
		for range fast {
			if count++; count == n {
				break
			}
		}
		got <- count
	}()
	var last uint64
	for i := 0; i < n; i += 100 {
		var cmds []ledger.Command
		for j := i; j < min(i+100, n); j++ {
			cmds = append(cmds, ledger.Command{Event: amendment(j)})
		}
		rs, err := l.AppendAtomic(context.Background(), "clerk@test", cmds)
		if err != nil {
			t.Fatal(err)
		}
		last = rs[len(rs)-1].Seq
	}
	r.waitFor(t, last)
	select {
	case c := <-got:
		if c != n {
			t.Errorf("the reading subscriber received %d events, want %d", c, n)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the reading subscriber did not receive every event within 30s")
	}
	received := 0
	for range slow {
		received++
	}
	if received != projector.SubscriberBuffer {
		t.Errorf("the slow subscriber received %d events before its channel closed, want its buffer, %d", received, projector.SubscriberBuffer)
	}
}
