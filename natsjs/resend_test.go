package natsjs_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs/natstest"
)

// An event that no stream took (no responders: no leader, or no stream)
// is answered unavailable at once and never sent again behind the
// ledger's back: nats.go would send it again 250 ms later, by then after
// events the ledger stamped later, and the stream would hold one ledger's
// record times out of order (issue 17, found twice during faults). The
// clerk's retry is stamped anew.
func TestAppendNotSentAgain(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	ctx := testContext(t)
	js, err := jetstream.New(env.Conn)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := js.Stream(ctx, env.Store.Config().Stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := js.DeleteStream(ctx, info.Config.Name); err != nil {
		t.Fatal(err)
	}
	l := ledger.New(env.Store, ledger.Options{AppendTimeout: 5 * time.Second})
	t.Cleanup(func() { l.Close() })
	e := created(refugees, "Law on Refugees", events.Law)
	answered := make(chan error, 1)
	go func() {
		_, err := l.Append(context.Background(), "clerk@test", ledger.Command{Event: e})
		answered <- err
	}()
	time.Sleep(100 * time.Millisecond)
	if _, err := js.CreateStream(ctx, info.Config); err != nil { // the stream is back
		t.Fatal(err)
	}
	err = <-answered
	if !errors.Is(err, eventlog.ErrUnavailable) {
		t.Fatalf("an append that found no stream answered %v, want unavailable", err)
	}
	time.Sleep(600 * time.Millisecond) // past nats.go's two resends
	if n := msgCount(t, env); n != 0 {
		t.Fatalf("the stream holds %d messages after the append was answered %v, want none", n, err)
	}
	r, err := l.Append(ctx, "clerk@test", ledger.Command{Event: e})
	if err != nil {
		t.Fatalf("the clerk's retry: %v", err)
	}
	if r.Duplicate || r.Version != 1 {
		t.Errorf("the retry's receipt %+v, want version 1, not a duplicate", r)
	}
}
