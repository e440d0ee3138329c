package natsjs_test

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func TestSubjectOfAnAct(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	st := env.Store
	for act, want := range map[events.ActID]string{
		refugees:                           "lex.events.kz.act.2009-12-04.216",
		criminal:                           "lex.events.kz.act.code.1997-07-16.167",
		decree:                             "lex.events.kz.act.decree.2010-08-17.1",
		russian:                            "lex.events.ru.act.2009-12-17.324-fz",
		capeTown:                           "lex.events.za-cpt.act.by-law.2009.fire",
		"/akn/kz/bill/2009-10/draft_347-1": "lex.events.kz.bill.2009-10.draft_347-1",
	} {
		if got := st.Subject(act); got != want {
			t.Errorf("Subject(%s) = %q, want %q", act, got, want)
		}
		back, err := st.ActOfSubject(want)
		if err != nil || back != act {
			t.Errorf("ActOfSubject(%q) = %q, %v; want %s", want, back, err, act)
		}
	}
	for _, bad := range []string{
		"lex.events",
		"lex.events.kz",
		"lex.events.kz.act.2009-12-04",
		"lex.events.kz.act.2009-13-04.216",
		"lex.events.KZ.act.2009-12-04.216",
		"lex.eventsx.kz.act.2009-12-04.216",
		"other.kz.act.2009-12-04.216",
		"lex.events.kz.act.code.sub.2009-12-04.216",
	} {
		if act, err := st.ActOfSubject(bad); err == nil {
			t.Errorf("ActOfSubject(%q) = %s, want an error", bad, act)
		}
	}
}

// Every stored message carries the event's JSON and the headers that
// downstream services filter on, whether written alone or in a batch.
func TestStoredMessagesCarryTheHeaders(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env.Store)
	ctx := testContext(t)
	one := mustAppend(t, l, created(refugees, "Law on Refugees", events.Law))
	batch, err := l.AppendAtomic(ctx, "clerk@test", []ledger.Command{
		{Event: created(criminal, "Criminal Code", events.CodeKind)},
		{Event: created(procedure, "Criminal Procedure Code", events.CodeKind)},
		{Event: signed(criminal)},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, s := stream(t, env)
	for _, r := range append(one, batch...) {
		m, err := s.GetMsg(ctx, r.Seq)
		if err != nil {
			t.Fatalf("get sequence %d: %v", r.Seq, err)
		}
		if m.Subject != env.Store.Subject(r.Act) {
			t.Errorf("sequence %d is on %q, want %q", r.Seq, m.Subject, env.Store.Subject(r.Act))
		}
		if act, err := env.Store.ActOfSubject(m.Subject); err != nil || act != r.Act {
			t.Errorf("sequence %d: the act of subject %q is %q (%v), want %s", r.Seq, m.Subject, act, err, r.Act)
		}
		// The headers of the stable contract in doc.go. (Nats-Msg-Id and
		// Lex-Act were dropped in the working tree: the act is the
		// subject, and expectations make retries safe.)
		for h, want := range map[string]string{
			natsjs.HeaderEventID:   r.ID.String(),
			natsjs.HeaderEventType: string(r.Type),
			natsjs.HeaderSchema:    strconv.Itoa(events.SchemaVersion),
		} {
			if got := m.Header.Get(h); got != want {
				t.Errorf("sequence %d: header %s is %q, want %q", r.Seq, h, got, want)
			}
		}
		e, err := events.Decode(m.Data)
		if err != nil {
			t.Fatalf("sequence %d does not decode: %v", r.Seq, err)
		}
		if e.ID != r.ID || e.Type != r.Type || e.Act != r.Act || e.RecordedBy != "clerk@test" || !e.RecordedAt.Equal(r.RecordedAt) {
			t.Errorf("sequence %d holds %+v, want the event of receipt %+v", r.Seq, e, r)
		}
	}
}

// A consumer filtered on lex.events.kz.> sees Kazakh acts only, and one on
// lex.events.kz.act.code.> the codes only; a core subscriber sees the same
// live.
func TestSubscribersFilterByJurisdictionAndType(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env.Store)
	ctx := testContext(t)

	nc := env.Connect(t)
	kzLive, err := nc.SubscribeSync("lex.events.kz.>")
	if err != nil {
		t.Fatal(err)
	}
	codesLive, err := nc.SubscribeSync("lex.events.kz.act.code.>")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}

	all := []events.Event{
		created(refugees, "Law on Refugees", events.Law),
		created(criminal, "Criminal Code", events.CodeKind),
		created(russian, "Federal Law No. 324-FZ", events.Law),
		created(decree, "Presidential Decree on legal policy", events.Decree),
		created(procedure, "Criminal Procedure Code", events.CodeKind),
		created(capeTown, "Fire Safety By-law", events.Regulation),
		signed(criminal),
		signed(russian),
	}
	mustAppend(t, l, all...)
	want := func(keep func(events.ActID) bool) []events.ID {
		var ids []events.ID
		for _, e := range all {
			if keep(e.Act) {
				ids = append(ids, e.ID)
			}
		}
		return ids
	}
	kz := want(func(a events.ActID) bool { return a.Country() == "kz" })
	codes := want(func(a events.ActID) bool { return a == criminal || a == procedure })

	_, s := stream(t, env)
	for filter, ids := range map[string][]events.ID{"lex.events.kz.>": kz, "lex.events.kz.act.code.>": codes} {
		cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}})
		if err != nil {
			t.Fatal(err)
		}
		batch, err := cons.FetchNoWait(100)
		if err != nil {
			t.Fatal(err)
		}
		var got []events.ID
		for m := range batch.Messages() {
			id, err := events.ParseID(m.Headers().Get(natsjs.HeaderEventID))
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, id)
		}
		if !equalIDs(got, ids) {
			t.Errorf("the consumer on %s got %v, want %v", filter, got, ids)
		}
	}

	for sub, ids := range map[*nats.Subscription][]events.ID{kzLive: kz, codesLive: codes} {
		var got []events.ID
		for range ids {
			m, err := sub.NextMsg(5 * time.Second)
			if err != nil {
				t.Fatalf("subscriber on %s: %v after %d messages", sub.Subject, err, len(got))
			}
			id, _ := events.ParseID(m.Header.Get(natsjs.HeaderEventID))
			got = append(got, id)
		}
		if !equalIDs(got, ids) {
			t.Errorf("the subscriber on %s got %v, want %v", sub.Subject, got, ids)
		}
		if m, err := sub.NextMsg(100 * time.Millisecond); !errors.Is(err, nats.ErrTimeout) {
			t.Errorf("the subscriber on %s got more: %v %v", sub.Subject, m, err)
		}
	}
}

func equalIDs(a, b []events.ID) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A core NATS subscriber on lex.recorded.> sees every event the stream
// stored, and none that JetStream refused (a subscriber on the event
// subjects themselves would see every publish, stored or not).
func TestCoreSubscribersSeeOnlyRecordedEvents(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env.Store)
	nc := env.Connect(t)
	sub, err := nc.SubscribeSync(natsjs.RecordedPrefix + ".kz.>")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, l, created(refugees, "Law on Refugees", events.Law))
	m, err := sub.NextMsg(2 * time.Second)
	if err != nil {
		t.Fatalf("the recorded event was not republished on %s.kz.>: %v", natsjs.RecordedPrefix, err)
	}
	if m.Header.Get("Nats-Sequence") != "1" || m.Header.Get(natsjs.HeaderEventType) != string(events.Adopted) {
		t.Errorf("republished message has sequence %q and type %q, want 1 and adopted", m.Header.Get("Nats-Sequence"), m.Header.Get(natsjs.HeaderEventType))
	}

	// A write that the engine refuses: the act is not new.
	e := signed(refugees)
	e.Schema = events.SchemaVersion
	data, err := events.Encode(&e)
	if err != nil {
		t.Fatal(err)
	}
	_, err = env.Store.Append(testContext(t), []eventlog.Message{{Event: &e, Data: data, Expect: true, ExpectSeq: 0}})
	if !errors.Is(err, eventlog.ErrConflict) {
		t.Fatalf("the stale write: %v, want a conflict", err)
	}
	if m, err := sub.NextMsg(500 * time.Millisecond); err == nil {
		t.Errorf("a subscriber on lex.recorded.kz.> received event %s, which the engine refused", m.Header.Get(natsjs.HeaderEventID))
	}
}
