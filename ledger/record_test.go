package ledger_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs/natstest"
)

func corrects(target events.ID, correction, reason string) option {
	return func(e *events.Event) {
		e.Body.Corrects, e.Body.Correction, e.Body.Reason = target, json.RawMessage(correction), reason
	}
}

func retracts(target events.ID, reason string) option {
	return func(e *events.Event) { e.Body.Retracts, e.Body.Reason = target, reason }
}

// A correction and a retraction recorded through the ledger are in the
// history as events of their own, the originals untouched, and the rules
// afterwards follow the corrected record.
func TestCorrectionsAndRetractions(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env.Store)
	ctx := context.Background()

	rs := mustAppend(t, l,
		event(refugees, events.Drafted, "2009-06-01", titled("Law on Refugees", events.Law)),
		event(refugees, events.Adopted, "2009-11-02", chamber("Parliament")),
		event(refugees, events.Signed, "2009-12-04"),
		event(refugees, events.Published, "2009-12-10", gazette("Kazakhstanskaya Pravda No. 277")),
	)
	adopted, published := rs[1], rs[3]

	// The adoption's date was typed wrongly.
	fix := event(refugees, events.RecordCorrected, "2009-12-15",
		corrects(adopted.ID, `{"date":"2009-11-20"}`, "the date was mistyped from the gazette"))
	rc := mustAppend(t, l, fix)[0]
	if rc.Version != 5 || rc.Type != events.RecordCorrected {
		t.Errorf("correction receipt %+v, want version 5", rc)
	}

	// The publication was recorded for the wrong act.
	undo := event(refugees, events.RecordRetracted, "2009-12-15", retracts(published.ID, "recorded for the wrong act"))
	rr := mustAppend(t, l, undo)[0]
	if rr.Version != 6 {
		t.Errorf("retraction receipt %+v, want version 6", rr)
	}

	h := mustHistory(t, l, refugees)
	if len(h) != 6 {
		t.Fatalf("the history has %d events, want 6", len(h))
	}
	if got := h[1]; got.Event.ID != adopted.ID || got.Event.Date.String() != "2009-11-02" {
		t.Errorf("the corrected event changed in the history: %s dated %s", got.Event.Type, got.Event.Date)
	}
	if got := h[4]; got.Event.Type != events.RecordCorrected || got.Event.Body.Corrects != adopted.ID ||
		string(got.Event.Body.Correction) != `{"date":"2009-11-20"}` || got.Event.Body.Reason == "" {
		t.Errorf("the correction in the history: %+v", got.Event)
	}
	if got := h[5]; got.Event.Type != events.RecordRetracted || got.Event.Body.Retracts != published.ID {
		t.Errorf("the retraction in the history: %+v", got.Event)
	}
	eff, err := events.Effective(eventsOf(h))
	if err != nil {
		t.Fatal(err)
	}
	if len(eff) != 3 || eff[1].Date.String() != "2009-11-20" {
		t.Errorf("the effective record is %d events with adoption on %s; want 3 with adoption on 2009-11-20", len(eff), eff[1].Date)
	}

	// The publication no longer counts: recording it again is not a
	// duplicate step, for this ledger and for a new one.
	if _, err := l.Append(ctx, "clerk@test", cmd(event(refugees, events.Published, "2009-12-11", gazette("Kazakhstanskaya Pravda No. 278")))); err != nil {
		t.Errorf("publication after the retraction of the first one: %v", err)
	}
	_, err = mustLedger(t, env.Store).Append(ctx, "clerk@test", cmd(event(refugees, events.Published, "2009-12-12", gazette("Egemen Qazaqstan"))))
	if e := wantError(t, err, events.CodeRule); e.Rule != events.RuleDuplicateStep {
		t.Errorf("a second live publication: rule %s, want %s", e.Rule, events.RuleDuplicateStep)
	}

	before := msgCount(t, env)
	for name, e := range map[string]events.Event{
		"correction of an unknown event": event(refugees, events.RecordCorrected, "2009-12-15",
			corrects(events.NewID(), `{"date":"2009-11-21"}`, "no such event")),
		"retraction of a retraction": event(refugees, events.RecordRetracted, "2009-12-15",
			retracts(rr.ID, "undo the undo")),
		"second retraction": event(refugees, events.RecordRetracted, "2009-12-15",
			retracts(published.ID, "again")),
	} {
		_, err := l.Append(ctx, "clerk@test", cmd(e))
		if err == nil {
			t.Errorf("%s was recorded", name)
			continue
		}
		wantError(t, err, events.CodeRule)
	}
	if got := msgCount(t, env); got != before {
		t.Errorf("refused record events changed the stream from %d to %d", before, got)
	}
}

func eventsOf(h []eventlog.Entry) []events.Event {
	out := make([]events.Event, len(h))
	for i := range h {
		out[i] = h[i].Event
	}
	return out
}

// An event staged after a correction or a retraction in one batch is
// checked against the record as corrected: a signature after the adoption
// is retracted is refused, and nothing is written; an adoption recorded
// again after it stands.
func TestEventsAfterARecordEventInOneBatch(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env.Store)
	ctx := testContext(t)
	act := refugees
	rs := mustAppend(t, l,
		event(act, events.Drafted, "2009-06-01", titled("Law on Refugees", events.Law)),
		event(act, events.Adopted, "2009-11-02", chamber("Parliament")))
	retract := func() ledger.Command {
		return cmd(event(act, events.RecordRetracted, "2009-11-03", retracts(rs[1].ID, "not adopted after all")))
	}
	_, err := l.AppendAtomic(ctx, "clerk@test", []ledger.Command{retract(), cmd(event(act, events.Signed, "2009-12-04"))})
	wantError(t, err, events.CodeRule)
	if h := mustHistory(t, l, act); len(h) != 2 {
		t.Fatalf("the refused batch left %d events, want 2", len(h))
	}
	got, err := l.AppendAtomic(ctx, "clerk@test", []ledger.Command{retract(),
		cmd(event(act, events.Adopted, "2009-11-20", chamber("Parliament"))), cmd(event(act, events.Signed, "2009-12-04"))})
	if err != nil || len(got) != 3 || got[2].Version != 5 {
		t.Fatalf("a retraction, the adoption again and a signature: %+v, %v; want versions 3 to 5", got, err)
	}
	// The cached rule state is the record as corrected: a second adoption
	// is refused, as a fold of the history says.
	_, err = l.Append(ctx, "clerk@test", cmd(event(act, events.Adopted, "2009-11-21", chamber("Parliament"))))
	wantError(t, err, events.CodeRule)
}
