package ledger_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/nats-io/nats.go/jetstream"
)

// fourEvents records an act of four events (drafted, adopted, signed,
// published) and returns their receipts.
func fourEvents(t *testing.T, l *ledger.Ledger, act events.ActID) []ledger.Receipt {
	t.Helper()
	return mustAppend(t, l,
		event(act, events.Drafted, "2009-06-01", titled("Law on Refugees", events.Law)),
		event(act, events.Adopted, "2009-11-02", chamber("Parliament")),
		event(act, events.Signed, "2009-12-04"),
		event(act, events.Published, "2009-12-10", gazette("Kazakhstanskaya Pravda No. 277")),
	)
}

// dateFix corrects the date of target.
func dateFix(act events.ActID, target events.ID, day int) events.Event {
	return event(act, events.RecordCorrected, "2010-01-15",
		corrects(target, fmt.Sprintf(`{"date":"2009-11-%02d"}`, day), "the date was mistyped"))
}

// The reads of the store that deciding corrections takes do not grow with
// the corrections: none on an act this ledger created, and on an act
// another ledger created the same reads for a batch of one correction as
// for a batch of twenty; none for the corrections after them, and none to
// fold the act again after them.
func TestCorrectionsReadTheActOnce(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	store := &countingStore{Store: env.Store}
	// It counts the reads of histories, so the acts' own caches must keep
	// every act, whatever LEDGER_TEST_ACT_CACHE says.
	l := ledger.New(store, ledger.Options{AppendTimeout: 30 * time.Second, ActCache: 1 << 30})
	t.Cleanup(func() { l.Close() })
	other := mustLedger(t, secondStore(t, env))
	ctx := testContext(t)

	readsFor := func(cmds []ledger.Command) int64 {
		t.Helper()
		before := store.loads.Load()
		if _, err := l.AppendAtomic(ctx, "clerk@test", cmds); err != nil {
			t.Fatalf("%d corrections in one batch: %v", len(cmds), err)
		}
		return store.loads.Load() - before
	}
	fixes := func(act events.ActID, target events.ID, n int) []ledger.Command {
		var cmds []ledger.Command
		for i := range n {
			cmds = append(cmds, cmd(dateFix(act, target, 3+i)))
		}
		return cmds
	}

	one, twenty := events.ActID("/akn/kz/act/2009-12-04/1"), events.ActID("/akn/kz/act/2009-12-04/20")
	adopted, adopted20 := fourEvents(t, l, one)[1], fourEvents(t, l, twenty)[1]
	if got1, got20 := readsFor(fixes(one, adopted.ID, 1)), readsFor(fixes(twenty, adopted20.ID, 20)); got1 != 0 || got20 != 0 {
		t.Errorf("on acts this ledger created, a batch of 1 correction read the act %d times and a batch of 20 %d times; want none", got1, got20)
	}
	others1, others20 := events.ActID("/akn/kz/act/2009-12-05/1"), events.ActID("/akn/kz/act/2009-12-05/20")
	a1, a20 := fourEvents(t, other, others1)[1], fourEvents(t, other, others20)[1]
	if got1, got20 := readsFor(fixes(others1, a1.ID, 1)), readsFor(fixes(others20, a20.ID, 20)); got1 > 2 || got20 != got1 {
		t.Errorf("on acts another ledger created, a batch of 1 correction read the act %d times and a batch of 20 %d times; want the same, at most 2", got1, got20)
	}

	before := store.loads.Load()
	for i := range 10 {
		mustAppend(t, l, dateFix(one, adopted.ID, 10+i), dateFix(others1, a1.ID, 10+i))
	}
	if got := store.loads.Load() - before; got != 0 {
		t.Errorf("10 more corrections of each act, one at a time, read the acts %d times; want none", got)
	}

	// The act's rules follow the corrected record without a read: once
	// the publication is retracted, the act may be published again, and
	// not twice.
	published := mustHistory(t, l, one)[3].Event.ID
	before = store.loads.Load()
	mustAppend(t, l,
		event(one, events.RecordRetracted, "2010-01-16", retracts(published, "recorded for the wrong act")),
		event(one, events.Published, "2010-01-20", gazette("Egemen Qazaqstan")),
	)
	_, err := l.Append(ctx, "clerk@test", cmd(event(one, events.Published, "2010-01-21", gazette("Egemen Qazaqstan"))))
	if e := wantError(t, err, events.CodeRule); e.Rule != events.RuleDuplicateStep {
		t.Errorf("a second live publication: rule %s, want %s", e.Rule, events.RuleDuplicateStep)
	}
	// The refusal is final only once the act was read: one read.
	if got := store.loads.Load() - before; got != 1 {
		t.Errorf("a retraction, a publication and a refused publication read the act %d times; want 1 (for the refusal)", got)
	}

	// A new ledger, reading the stream, agrees with the receipts.
	if h := mustHistory(t, mustLedger(t, env.Store), one); len(h) != 4+1+10+2 {
		t.Errorf("the act has %d events in the store, want %d", len(h), 4+1+10+2)
	}
}

// A ledger that keeps an act's history is not fooled by another ledger
// that wrote to the act since: corrections are refused and accepted as the
// store's whole history says, with the errors of a ledger that never saw
// the act.
func TestCorrectionsAfterAnotherLedgerWrote(t *testing.T) {
	for _, cache := range []int{0, -1} {
		t.Run(fmt.Sprintf("HistoryCache=%d", cache), func(t *testing.T) {
			env := natstest.MustStart(t, natstest.Options{})
			l1 := ledger.New(env.Store, ledger.Options{AppendTimeout: 30 * time.Second, HistoryCache: cache})
			t.Cleanup(func() { l1.Close() })
			l2 := mustLedger(t, secondStore(t, env))
			ctx := testContext(t)

			adopted := fourEvents(t, l1, refugees)[1]
			mustAppend(t, l1, dateFix(refugees, adopted.ID, 20)) // l1 keeps the act's history

			// refused says that l1 refuses e, written after the other
			// ledger's events, for rule, with the error of a new ledger.
			refused := func(name string, e events.Event, rule events.Rule) {
				t.Helper()
				before := msgCount(t, env)
				_, err := l1.Append(ctx, "clerk@test", cmd(e))
				if err == nil {
					t.Fatalf("%s was recorded", name)
				}
				got := wantError(t, err, events.CodeRule)
				if got.Rule != rule {
					t.Errorf("%s: rule %s (%v), want %s", name, got.Rule, got, rule)
				}
				_, err = mustLedger(t, env.Store).Append(ctx, "clerk@test", cmd(e))
				if want := wantError(t, err, events.CodeRule); got.Error() != want.Error() {
					t.Errorf("%s: error %q, but a new ledger says %q", name, got, want)
				}
				if n := msgCount(t, env); n != before {
					t.Errorf("%s changed the stream from %d to %d messages", name, before, n)
				}
			}

			c1 := mustAppend(t, l1, event(refugees, events.Commenced, "2010-01-01", from("2010-01-01")))[0]
			mustAppend(t, l2, event(refugees, events.RecordRetracted, "2010-01-02", retracts(c1.ID, "not yet in force")))
			refused("a retraction of an event the other ledger retracted", event(refugees, events.RecordRetracted, "2010-01-03",
				retracts(c1.ID, "again")), events.RuleTargetNotFound)

			c2 := mustAppend(t, l2, event(refugees, events.Commenced, "2010-02-01", from("2010-02-01")))[0]
			r, err := l1.Append(ctx, "clerk@test", cmd(event(refugees, events.RecordCorrected, "2010-02-03",
				corrects(c2.ID, `{"effective_from":"2010-02-02"}`, "mistyped"))))
			if err != nil {
				t.Fatalf("correcting the other ledger's commencement: %v", err)
			}
			if r.Version != 9 {
				t.Errorf("the correction of the other ledger's commencement is version %d, want 9", r.Version)
			}

			mustAppend(t, l2, event(refugees, events.RecordRetracted, "2010-02-04", retracts(c2.ID, "not yet in force")))
			refused("a correction of an event the other ledger retracted", event(refugees, events.RecordCorrected, "2010-02-05",
				corrects(c2.ID, `{"effective_from":"2010-02-03"}`, "mistyped")), events.RuleTargetNotFound)

			fix := mustAppend(t, l2, dateFix(refugees, adopted.ID, 21))[0]
			refused("a correction of the other ledger's correction", event(refugees, events.RecordCorrected, "2010-02-05",
				corrects(fix.ID, `{"date":"2010-01-16"}`, "mistyped")), events.RuleRecordImmutable)

			refused("a correction of an unknown event", event(refugees, events.RecordCorrected, "2010-02-05",
				corrects(events.NewID(), `{"date":"2009-11-21"}`, "no such event")), events.RuleTargetNotFound)

			// And the other way: l2 kept the act's history too, and is now
			// behind l1.
			c3 := mustAppend(t, l2, event(refugees, events.Commenced, "2010-03-01", from("2010-03-01")))[0]
			mustAppend(t, l1, event(refugees, events.RecordRetracted, "2010-03-02", retracts(c3.ID, "not yet in force")))
			_, err = l2.Append(ctx, "clerk@test", cmd(event(refugees, events.RecordCorrected, "2010-03-03",
				corrects(c3.ID, `{"effective_from":"2010-03-02"}`, "mistyped"))))
			if e := wantError(t, err, events.CodeRule); e.Rule != events.RuleTargetNotFound {
				t.Errorf("a correction of an event retracted by the other ledger: rule %s, want %s", e.Rule, events.RuleTargetNotFound)
			}
		})
	}
}

// With a cache too small for the histories, every correction is still
// decided on the act's whole history: the histories are dropped, not cut.
func TestCorrectionsWithASmallHistoryCache(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	store := &countingStore{Store: env.Store}
	l := ledger.New(store, ledger.Options{AppendTimeout: 30 * time.Second, HistoryCache: 6})
	t.Cleanup(func() { l.Close() })
	ctx := testContext(t)

	acts := []events.ActID{"/akn/kz/act/2009-12-04/1", "/akn/kz/act/2009-12-04/2", "/akn/kz/act/2009-12-04/3"}
	adopted := map[events.ActID]events.ID{}
	for _, a := range acts {
		adopted[a] = fourEvents(t, l, a)[1].ID
	}
	before := store.loads.Load()
	for round := range 3 {
		for _, a := range acts {
			mustAppend(t, l, dateFix(a, adopted[a], 3+round))
		}
	}
	// Two acts of five events never fit in six: each correction reads its
	// act, and at most twice, as it did before the cache.
	if got := store.loads.Load() - before; got < 9 || got > 18 {
		t.Errorf("9 corrections on 3 acts with room for one act's history read the store %d times; want 9 to 18", got)
	}
	for _, a := range acts {
		_, err := l.Append(ctx, "clerk@test", cmd(event(a, events.RecordCorrected, "2010-01-03",
			corrects(events.NewID(), `{"date":"2009-11-21"}`, "no such event"))))
		if e := wantError(t, err, events.CodeRule); e.Rule != events.RuleTargetNotFound {
			t.Errorf("correction of an unknown event of %s: rule %s, want %s", a, e.Rule, events.RuleTargetNotFound)
		}
		if h := mustHistory(t, l, a); len(h) != 7 {
			t.Errorf("%s has %d events, want 7", a, len(h))
		}
	}
}

// historylessLedger is a ledger that keeps no histories and every act,
// on a store that counts its reads.
func historylessLedger(t *testing.T) (*natstest.Env, *ledger.Ledger, *countingStore) {
	t.Helper()
	env := natstest.MustStart(t, natstest.Options{})
	store := &countingStore{Store: env.Store}
	l := ledger.New(store, ledger.Options{AppendTimeout: 30 * time.Second, HistoryCache: -1, ActCache: 1 << 30})
	t.Cleanup(func() { l.Close() })
	return env, l, store
}

// A ledger that keeps no histories reads an act's events by their stream
// sequences, which its act cache holds, not by the act's subject: the
// server then reads only the blocks holding them. Corrections are decided
// as on a read by subject, between other acts' events and after a message
// on the act's subject that is not an event, and the act's next write
// expects that message's sequence.
func TestHistoriesReadBySequence(t *testing.T) {
	env, l, store := historylessLedger(t)
	ctx := testContext(t)

	adopted := fourEvents(t, l, refugees)[1]
	for i := range 20 {
		fourEvents(t, l, events.ActID(fmt.Sprintf("/akn/kz/act/2009-12-04/%d", i+10)))
	}
	mustAppend(t, l, event(refugees, events.Commenced, "2010-01-01", from("2010-01-01")))

	before := store.loads.Load()
	fix := mustAppend(t, l, dateFix(refugees, adopted.ID, 20))[0]
	if fix.Version != 6 {
		t.Errorf("the correction is version %d, want 6", fix.Version)
	}
	_, err := l.Append(ctx, "clerk@test", cmd(dateFix(refugees, events.NewID(), 21)))
	if e := wantError(t, err, events.CodeRule); e.Rule != events.RuleTargetNotFound {
		t.Errorf("a correction of an unknown event: rule %s, want %s", e.Rule, events.RuleTargetNotFound)
	}
	// The refusal reads the act whole first, by its subject, as any refusal
	// on an act not just read does, to be sure the cache is current.
	if reads, bySeq := store.loads.Load()-before, store.seqLoads.Load(); reads != 3 || bySeq != 2 {
		t.Errorf("two corrections read the act %d times, %d of them by sequences; want 3 and 2", reads, bySeq)
	}

	// An act of more events than are worth reading one by one is read by
	// its subject.
	long := events.ActID("/akn/kz/act/2009-12-04/99")
	longAdopted := fourEvents(t, l, long)[1]
	for i := range 40 {
		mustAppend(t, l, event(long, events.Amended, "2010-01-02", amendedBy("/akn/kz/act/2010-01-01/1", fmt.Sprintf("2010-02-%02d", i%28+1), "art_1")))
	}
	reads, bySeq := store.loads.Load(), store.seqLoads.Load()
	mustAppend(t, l, dateFix(long, longAdopted.ID, 20))
	if store.loads.Load() != reads+1 || store.seqLoads.Load() != bySeq {
		t.Errorf("a correction of an act of 44 events read it %d times, %d by sequences; want once, by its subject",
			store.loads.Load()-reads, store.seqLoads.Load()-bySeq)
	}

	// A message on the act's subject that is not an event, after its last.
	js, err := jetstream.New(env.Conn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, env.Store.Subject(refugees), []byte("not an event")); err != nil {
		t.Fatal(err)
	}
	// The ledger learns of it when its write is refused, and reads the act
	// again by its subject; the correction is then decided by sequences.
	mustAppend(t, l, dateFix(refugees, adopted.ID, 22))
	if h := mustHistory(t, l, refugees); len(h) != 8 || h[6].Defect == nil {
		t.Fatalf("the act's history is %d entries, want 8 with the seventh a defect", len(h))
	}
}

// A correction of words alone (a gazette, a note) is decided from the event
// it corrects and that event's record events, read by their sequences,
// without the act's history, and leaves the rule state as it was: the next
// command reads nothing. A correction that changes what the rules read,
// or one that does not apply, is decided on the history as before.
func TestWordCorrectionsWithoutTheHistory(t *testing.T) {
	_, l, store := historylessLedger(t)
	ctx := testContext(t)
	act := refugees
	pub := fourEvents(t, l, act)[3]
	for i := range 10 {
		fourEvents(t, l, events.ActID(fmt.Sprintf("/akn/kz/act/2009-12-04/%d", i+10)))
	}
	words := func(correction string) events.Event {
		return event(act, events.RecordCorrected, "2010-01-15", corrects(pub.ID, correction, "a misprint"))
	}
	reads := func() (int64, int64) { return store.loads.Load(), store.seqLoads.Load() }
	step := func(name string, wantReads, wantBySeq int64, es ...events.Event) []ledger.Receipt {
		t.Helper()
		r0, s0 := reads()
		rs := mustAppend(t, l, es...)
		if r, s := reads(); r-r0 != wantReads || s-s0 != wantBySeq {
			t.Errorf("%s: %d reads of the act, %d by sequences; want %d and %d", name, r-r0, s-s0, wantReads, wantBySeq)
		}
		return rs
	}
	first := step("the gazette corrected", 1, 1, words(`{"body":{"gazette":"Kazakhstanskaya Pravda No. 278"}}`))[0]
	if first.Version != 5 {
		t.Errorf("the correction is version %d, want 5", first.Version)
	}
	step("the next event", 0, 0, event(act, events.Commenced, "2009-12-10", from("2010-01-01")))
	step("a note, after the first correction", 1, 1, words(`{"body":{"note":"checked against the printed copy"}}`))
	step("the next event", 0, 0, event(act, events.Amended, "2010-02-01",
		amendedBy("/akn/kz/act/2010-01-01/1", "2010-03-01", "art_1")))

	// Material or invalid: decided on the history.
	_, err := l.Append(ctx, "clerk@test", cmd(words(`{"body":{"signatory":"the President"}}`)))
	wantError(t, err, events.CodeInvalid) // a publication has no signatory
	mustAppend(t, l, event(act, events.RecordRetracted, "2010-01-16", retracts(first.ID, "the misprint was ours")))
	mustAppend(t, l, words(`{"date":"2009-12-08"}`))

	h := mustHistory(t, l, act)
	if len(h) != 10 {
		t.Fatalf("the act holds %d events, want 10", len(h))
	}
	var hist []events.Event
	for _, e := range h {
		hist = append(hist, e.Event)
	}
	st, err := events.Fold(hist)
	if err != nil || st.Version != 10 || st.Published == nil || st.Published.Date.String() != "2009-12-08" {
		t.Errorf("the act folded from the store: %+v, %v; want version 10, published on 2009-12-08 as corrected", st, err)
	}
	// After the date's correction the act is read whole once (no history
	// is kept to fold it again from); a note is then still decided by
	// sequences: the event, its three corrections and the retraction.
	step("a note after a retraction and a date's correction", 2, 1, words(`{"body":{"note":"the date is the gazette's"}}`))
	// In one batch: an event and a note on it, then two notes on the
	// publication; what the batch stages is read from it, the rest by
	// sequences (the publication and its record events, once each).
	amend := event(act, events.Amended, "2010-02-02", amendedBy("/akn/kz/act/2010-01-01/2", "2010-03-01", "art_2"))
	r0, s0 := reads()
	rs, err := l.AppendAtomic(ctx, "clerk@test", []ledger.Command{cmd(amend),
		cmd(event(act, events.RecordCorrected, "2010-02-02", corrects(amend.ID, `{"body":{"note":"as printed"}}`, "a note"))),
		cmd(words(`{"body":{"note":"first"}}`)), cmd(words(`{"body":{"note":"second"}}`))})
	if err != nil || len(rs) != 4 || rs[3].Version != 15 {
		t.Fatalf("the batch: %+v, %v; want versions 12 to 15", rs, err)
	}
	if r, s := reads(); r-r0 != 2 || s-s0 != 2 {
		t.Errorf("the batch read the act %d times, %d by sequences; want 2 and 2", r-r0, s-s0)
	}
	_, err = l.Append(ctx, "clerk@test", cmd(event(act, events.RecordCorrected, "2010-01-17", corrects(first.ID, `{"body":{"note":"x"}}`, "a retracted correction"))))
	if e := wantError(t, err, events.CodeRule); e.Rule != events.RuleTargetNotFound && e.Rule != events.RuleRecordImmutable {
		t.Errorf("a correction of a retracted correction: rule %s, want it refused", e.Rule)
	}
}
