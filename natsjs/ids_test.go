package natsjs_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"
)

// sealed returns e ready to append: schema set, encoded.
func sealed(t *testing.T, e events.Event) eventlog.Message {
	t.Helper()
	e.Schema = events.SchemaVersion
	data, err := e.Seal()
	if err != nil {
		t.Fatal(err)
	}
	return eventlog.Message{Event: &e, Data: data}
}

// wantUsed fails the test unless err is an *eventlog.IDUsedError that
// refuses exactly the messages at indexes, each held by an event of act.
func wantUsed(t *testing.T, err error, act events.ActID, indexes ...int) {
	t.Helper()
	var used *eventlog.IDUsedError
	if !errors.As(err, &used) || !errors.Is(err, eventlog.ErrIDUsed) {
		t.Fatalf("got %v, want the ids refused as used", err)
	}
	if len(used.Used) != len(indexes) {
		t.Fatalf("%d messages refused (%+v), want %d", len(used.Used), used.Used, len(indexes))
	}
	for i, u := range used.Used {
		if u.Index != indexes[i] || u.Held.Act != act {
			t.Errorf("refusal %d: message %d held by %s, want message %d held by %s", i, u.Index, u.Held.Act, indexes[i], act)
		}
	}
}

// The store refuses an id claimed by another event (another act, or the
// same act with other content), whether written alone, pipelined or in an
// atomic batch, and writes nothing of a refused atomic batch. The same id
// with the same content passes the claim: its act's expectation decides.
func TestStoreRefusesUsedIDs(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	ctx := testContext(t)
	first := sealed(t, created(refugees, "Law on Refugees", events.Law))
	if _, err := env.Store.Append(ctx, []eventlog.Message{first}); err != nil {
		t.Fatal(err)
	}
	before := msgCount(t, env)

	elsewhere := *first.Event
	elsewhere.Act = criminal
	other := sealed(t, elsewhere)
	_, err := env.Store.Append(ctx, []eventlog.Message{other})
	wantUsed(t, err, refugees, 0)

	changed := *first.Event
	changed.Body.Title = "Law on Refugees and Asylum"
	_, err = env.Store.Append(ctx, []eventlog.Message{sealed(t, changed)})
	wantUsed(t, err, refugees, 0)

	// An atomic batch with one used id: nothing written, not even the
	// events whose ids are free.
	batch := []eventlog.Message{sealed(t, created(law2009, "Law of 2009", events.Law)), other, sealed(t, created(procedure, "Code", events.CodeKind))}
	_, err = env.Store.Append(ctx, batch)
	wantUsed(t, err, refugees, 1)
	if got := msgCount(t, env); got != before {
		t.Fatalf("the refused writes stored %d events", got-before)
	}

	// Pipelined: the refused one alone fails.
	rs := env.Store.AppendEach(ctx, []eventlog.Message{batch[0], other, batch[2]})
	if rs[0].Err != nil || rs[2].Err != nil {
		t.Fatalf("free ids refused: %v, %v", rs[0].Err, rs[2].Err)
	}
	wantUsed(t, rs[1].Err, refugees, 1)
	if got := msgCount(t, env); got != before+2 {
		t.Errorf("the stream grew by %d, want 2", got-before)
	}

	// The same id, act and content again: the claim holds it, and the
	// act's expectation refuses the second copy.
	again := sealed(t, *first.Event)
	again.Expect = true
	_, err = env.Store.Append(ctx, []eventlog.Message{again})
	if !errors.Is(err, eventlog.ErrConflict) {
		t.Errorf("the retry with a stale expectation: %v, want a conflict", err)
	}
}

// A stream written before claims existed (here: by hand, with the
// ledger's stream configuration and messages) gets the claims of its
// events when a store opens it, once: the old ids are then refused on
// other acts, and the first of an id already stored twice keeps it.
func TestClaimsBackfilledOnOpen(t *testing.T) {
	dir := t.TempDir()
	env := natstest.MustStart(t, natstest.Options{Dir: dir})
	ctx := testContext(t)
	js, err := jetstream.New(env.Conn)
	if err != nil {
		t.Fatal(err)
	}
	cfg := natsjs.Config{Stream: "OLD", Prefix: "old.events"}
	if _, err := js.CreateStream(ctx, cfg.StreamConfig()); err != nil {
		t.Fatal(err)
	}
	old := []events.Event{created(refugees, "Law on Refugees", events.Law), created(criminal, "Criminal Code", events.CodeKind)}
	twice := old[1]
	twice.Act = procedure // the old bug: one id on two acts
	old = append(old, twice)
	for _, e := range old {
		m := sealed(t, e)
		if _, err := js.PublishMsg(ctx, natsjs.EventMsg(cfg.Prefix, &m)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := js.Stream(ctx, cfg.IDStream()); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Fatalf("stream %s exists before the store opened: %v", cfg.IDStream(), err)
	}

	st, err := natsjs.Open(ctx, env.Connect(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := js.Stream(ctx, cfg.IDStream())
	if err != nil {
		t.Fatal(err)
	}
	if p := natsjs.CheckIDStream(ids.CachedInfo().Config, cfg); len(p) > 0 {
		t.Errorf("the claims' stream as created: %v", p)
	}
	// Two claims (the id used twice has one) and the record of the
	// backfill.
	if n := ids.CachedInfo().State.Msgs; n != 3 {
		t.Errorf("%s holds %d messages, want 3", cfg.IDStream(), n)
	}

	for i, e := range old[:2] {
		e.Act = law2009
		_, err := st.Append(ctx, []eventlog.Message{sealed(t, e)})
		wantUsed(t, err, old[i].Act, 0)
	}
	// Opened again, by another process: nothing claimed twice.
	if _, err := natsjs.Open(ctx, env.Connect(t), cfg); err != nil {
		t.Fatal(err)
	}
	info, err := ids.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 3 {
		t.Errorf("%s holds %d messages after a second open, want 3", cfg.IDStream(), info.State.Msgs)
	}
}

// An existing claims' stream that would let a claim be replaced or removed
// is refused, naming the setting.
func TestIDStreamChecked(t *testing.T) {
	cfg := natsjs.Config{}
	if p := natsjs.CheckIDStream(cfg.IDStreamConfig(), cfg); len(p) > 0 {
		t.Fatalf("the claims' own configuration is refused: %v", p)
	}
	weak := cfg.IDStreamConfig()
	weak.MaxMsgsPerSubject = -1
	weak.DenyPurge = false
	if p := natsjs.CheckIDStream(weak, cfg); len(p) != 2 {
		t.Errorf("a stream that keeps every claim of an id and can be purged: %v, want two problems", p)
	}
	if got := (natsjs.Config{}).IDPrefix(); got != natsjs.DefaultIDPrefix {
		t.Errorf("claims' prefix %q, want %q", got, natsjs.DefaultIDPrefix)
	}
	if got := (natsjs.Config{Prefix: "raw"}).IDPrefix(); got != "raw_ids" {
		t.Errorf("claims' prefix beside raw: %q, want raw_ids", got)
	}
}

// A backfill cut short is taken up by the next open: the chunk of 1000
// claims an earlier run wrote as one atomic batch is skipped, a chunk it
// claimed in part is claimed again, and every old id ends up claimed once.
func TestBackfillTakenUp(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	ctx := testContext(t)
	js, err := jetstream.New(env.Conn)
	if err != nil {
		t.Fatal(err)
	}
	cfg := natsjs.Config{Stream: "OLD", Prefix: "old.events"}
	if _, err := js.CreateStream(ctx, cfg.StreamConfig()); err != nil {
		t.Fatal(err)
	}
	const n = 2500
	claims := make([]eventlog.Claim, n)
	var batch []*nats.Msg
	for i := range n {
		m := sealed(t, created(events.ActID(fmt.Sprintf("/akn/kz/act/2009-12-04/n%d", i)), "Law", events.Law))
		d, err := m.Event.ContentDigest()
		if err != nil {
			t.Fatal(err)
		}
		claims[i] = eventlog.Claim{ID: m.Event.ID, Act: m.Event.Act, Content: d}
		batch = append(batch, natsjs.EventMsg(cfg.Prefix, &m))
		if len(batch) == 500 {
			if _, err := jetstreamext.PublishMsgBatch(ctx, js, batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	// The earlier run: the first chunk whole, ten claims of the second.
	if _, err := js.CreateStream(ctx, cfg.IDStreamConfig()); err != nil {
		t.Fatal(err)
	}
	claimMsg := func(c eventlog.Claim) *nats.Msg {
		m := nats.NewMsg(cfg.IDPrefix() + "." + c.ID.String())
		m.Data, _ = json.Marshal(c)
		return m
	}
	var first []*nats.Msg
	for _, c := range claims[:1000] {
		first = append(first, claimMsg(c))
	}
	if _, err := jetstreamext.PublishMsgBatch(ctx, js, first); err != nil {
		t.Fatal(err)
	}
	for _, c := range claims[1000:1010] {
		if _, err := js.PublishMsg(ctx, claimMsg(c)); err != nil {
			t.Fatal(err)
		}
	}

	start := time.Now()
	if _, err := natsjs.Open(ctx, env.Connect(t), cfg); err != nil {
		t.Fatal(err)
	}
	t.Logf("the backfill of %d events took %s, 1000 of them skipped", n, time.Since(start))
	ids, err := js.Stream(ctx, cfg.IDStream())
	if err != nil {
		t.Fatal(err)
	}
	if got := ids.CachedInfo().State.Msgs; got != n+1 {
		t.Errorf("%s holds %d messages, want %d claims and the record", cfg.IDStream(), got, n)
	}
	rec, err := ids.GetLastMsgForSubject(ctx, cfg.IDPrefix()+".backfilled")
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ Through, Claimed, Skipped, Reused int }
	if err := json.Unmarshal(rec.Data, &got); err != nil || got.Through != n || got.Claimed != n-1000 || got.Skipped != 1000 || got.Reused != 0 {
		t.Errorf("the backfill's record %s (%v), want %d through, 1500 claimed, 1000 skipped, none reused", rec.Data, err, n)
	}
}
