package ledger_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
)

// Acts of the seed's timeline.
const (
	refugees  events.ActID = "/akn/kz/act/2009-12-04/216"      // the Law on Refugees
	law2009   events.ActID = "/akn/kz/act/2009-12-10/230"      // the law of 2009-12-10 amending three codes
	criminal  events.ActID = "/akn/kz/act/code/1997-07-16/167" // the Criminal Code
	procedure events.ActID = "/akn/kz/act/code/1997-12-13/206" // the Criminal Procedure Code
	civil     events.ActID = "/akn/kz/act/code/1999-07-13/411" // the Code of Civil Procedure
)

// testTimeout bounds every test's context.
const testTimeout = 2 * time.Minute

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// mustLedger returns a ledger on store, closed when the test ends.
func mustLedger(t *testing.T, store eventlog.Store) *ledger.Ledger {
	t.Helper()
	l := ledger.New(store, ledger.Options{AppendTimeout: 30 * time.Second})
	t.Cleanup(func() { l.Close() })
	return l
}

// secondStore opens the same stream over a second connection, as another
// ledger process would.
func secondStore(t *testing.T, env *natstest.Env) *natsjs.Store {
	t.Helper()
	st, err := natsjs.Open(context.Background(), env.Connect(t), env.Store.Config())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// msgCount returns the number of messages in the stream.
func msgCount(t *testing.T, env *natstest.Env) uint64 {
	t.Helper()
	n, err := env.Store.Msgs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

type option func(*events.Event)

// event returns a new event with a fresh id.
func event(act events.ActID, typ events.Type, date string, opts ...option) events.Event {
	e := events.Event{ID: events.NewID(), Act: act, Type: typ, Date: events.MustDate(date)}
	for _, o := range opts {
		o(&e)
	}
	return e
}

func titled(title string, kind events.Kind) option {
	return func(e *events.Event) { e.Body.Title, e.Body.Kind = title, kind }
}

func chamber(c string) option { return func(e *events.Event) { e.Body.Chamber = c } }
func gazette(g string) option { return func(e *events.Event) { e.Body.Gazette = g } }
func from(d string) option {
	return func(e *events.Event) { e.EffectiveFrom = events.MustDate(d) }
}

// amendedBy makes an 'amended' event's required fields: the instrument, the
// first day of effect and a substitution.
func amendedBy(instrument events.ActID, effective string, provisions ...string) option {
	return func(e *events.Event) {
		e.Instrument = instrument
		e.EffectiveFrom = events.MustDate(effective)
		e.Body.Effect = events.Substitution
		e.Provisions = provisions
	}
}

func cmd(e events.Event) ledger.Command { return ledger.Command{Event: e} }

func expect(e events.Event, v uint64) ledger.Command {
	return ledger.Command{Event: e, ExpectedVersion: &v}
}

// mustAppend records events one by one and fails the test on an error.
func mustAppend(t *testing.T, l *ledger.Ledger, es ...events.Event) []ledger.Receipt {
	t.Helper()
	rs := make([]ledger.Receipt, len(es))
	for i, e := range es {
		r, err := l.Append(context.Background(), "clerk@test", cmd(e))
		if err != nil {
			t.Fatalf("append %s %s: %v", e.Type, e.Act, err)
		}
		rs[i] = r
	}
	return rs
}

// mustHistory reads an act's history and fails the test on an error.
func mustHistory(t *testing.T, l *ledger.Ledger, act events.ActID) []eventlog.Entry {
	t.Helper()
	h, err := l.History(context.Background(), act)
	if err != nil {
		t.Fatalf("history of %s: %v", act, err)
	}
	return h
}

// wantError fails the test unless err is an *events.Error with code.
func wantError(t *testing.T, err error, code events.Code) *events.Error {
	t.Helper()
	var e *events.Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v (%T), want an *events.Error with code %s", err, err, code)
	}
	if e.Code != code {
		t.Fatalf("got error code %s (%v), want %s", e.Code, e, code)
	}
	if e.Message == "" {
		t.Fatalf("the %s error has no message", code)
	}
	return e
}

// adoptedCode returns the creating event of a code adopted on date.
func adoptedCode(act events.ActID, title, date string) events.Event {
	return event(act, events.Adopted, date, titled(title, events.CodeKind), chamber("Parliament"))
}

// countingStore passes every call to a real store and counts the appends
// that the store refused with ErrConflict: proof that the engine's own
// per-subject check was exercised, not only the ledger's cache.
type countingStore struct {
	eventlog.Store
	appends   atomic.Int64
	conflicts atomic.Int64
	loads     atomic.Int64 // reads of an act, by subject or by sequences
	seqLoads  atomic.Int64 // those by sequences
}

func (c *countingStore) Append(ctx context.Context, msgs []eventlog.Message) ([]eventlog.Entry, error) {
	c.appends.Add(1)
	st, err := c.Store.Append(ctx, msgs)
	if errors.Is(err, eventlog.ErrConflict) {
		c.conflicts.Add(1)
	}
	return st, err
}

func (c *countingStore) AppendEach(ctx context.Context, msgs []eventlog.Message) []eventlog.Result {
	c.appends.Add(1)
	rs := c.Store.AppendEach(ctx, msgs)
	for _, r := range rs {
		if errors.Is(r.Err, eventlog.ErrConflict) {
			c.conflicts.Add(1)
		}
	}
	return rs
}

func (c *countingStore) Load(ctx context.Context, act events.ActID, after uint64) ([]eventlog.Entry, error) {
	c.loads.Add(1)
	return c.Store.Load(ctx, act, after)
}

// LoadSeqs passes the read on when the real store reads by sequences, and
// fails as a store that cannot otherwise, so that the ledger falls back to
// Load.
func (c *countingStore) LoadSeqs(ctx context.Context, act events.ActID, seqs []uint64) ([]eventlog.Entry, error) {
	sl, ok := c.Store.(eventlog.SeqLoader)
	if !ok {
		return nil, errors.New("this store reads by subject only")
	}
	c.loads.Add(1)
	c.seqLoads.Add(1)
	return sl.LoadSeqs(ctx, act, seqs)
}
