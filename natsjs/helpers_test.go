package natsjs_test

import (
	"context"
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/nats-io/nats.go/jetstream"
)

// Acts of the seed's timeline, and two from elsewhere.
const (
	refugees  events.ActID = "/akn/kz/act/2009-12-04/216"       // the Law on Refugees
	law2009   events.ActID = "/akn/kz/act/2009-12-10/230"       // the law of 2009-12-10
	criminal  events.ActID = "/akn/kz/act/code/1997-07-16/167"  // the Criminal Code
	procedure events.ActID = "/akn/kz/act/code/1997-12-13/206"  // the Criminal Procedure Code
	decree    events.ActID = "/akn/kz/act/decree/2010-08-17/1"  // the Presidential Decree
	russian   events.ActID = "/akn/ru/act/2009-12-17/324-fz"    // not Kazakh
	capeTown  events.ActID = "/akn/za-cpt/act/by-law/2009/fire" // not Kazakh either
)

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func mustLedger(t *testing.T, store eventlog.Store) *ledger.Ledger {
	t.Helper()
	l := ledger.New(store, ledger.Options{AppendTimeout: 30 * time.Second})
	t.Cleanup(func() { l.Close() })
	return l
}

func msgCount(t *testing.T, env *natstest.Env) uint64 {
	t.Helper()
	n, err := env.Store.Msgs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// created returns the first event of an act: a law adopted with its title.
func created(act events.ActID, title string, kind events.Kind) events.Event {
	return events.Event{ID: events.NewID(), Act: act, Type: events.Adopted, Date: events.MustDate("2009-12-01"),
		Body: events.Body{Title: title, Kind: kind}}
}

func signed(act events.ActID) events.Event {
	return events.Event{ID: events.NewID(), Act: act, Type: events.Signed, Date: events.MustDate("2009-12-04")}
}

func mustAppend(t *testing.T, l *ledger.Ledger, es ...events.Event) []ledger.Receipt {
	t.Helper()
	rs := make([]ledger.Receipt, len(es))
	for i, e := range es {
		r, err := l.Append(context.Background(), "clerk@test", ledger.Command{Event: e})
		if err != nil {
			t.Fatalf("append %s %s: %v", e.Type, e.Act, err)
		}
		rs[i] = r
	}
	return rs
}

// stream returns the ledger's stream through a JetStream client of its own.
func stream(t *testing.T, env *natstest.Env) (jetstream.JetStream, jetstream.Stream) {
	t.Helper()
	js, err := jetstream.New(env.Connect(t))
	if err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(context.Background(), env.Store.Config().Stream)
	if err != nil {
		t.Fatal(err)
	}
	return js, s
}
