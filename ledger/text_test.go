package ledger_test

import (
	"strings"
	"testing"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs/natstest"
)

// An amendment's textual changes are checked against the act's text in
// force on their date before anything is written: one whose target is not
// in that text, or whose words are not there, is refused with a message
// that says what to fix; changes that rest on a change staged before them
// in the same batch are taken.
func TestTextualChangesAreChecked(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env.Store)
	ctx := testContext(t)
	const instrument = events.ActID("/akn/kz/act/2010-01-10/240")
	structure := func(e *events.Event) {
		e.Body.Structure = []events.Node{{EID: "art_1", Num: "1", Text: "Refugees are protected by the State."},
			{EID: "art_2", Num: "2", Text: "A refugee has the rights of a citizen, save those of election."}}
	}
	changes := func(cs ...events.Change) option { return func(e *events.Event) { e.Body.Changes = cs } }
	mustAppend(t, l,
		event(refugees, events.Adopted, "2009-11-02", titled("Law on Refugees", events.Law), chamber("Parliament"), structure),
		event(refugees, events.Commenced, "2010-01-01", from("2010-01-01")))

	before := msgCount(t, env)
	for _, c := range []struct {
		change events.Change
		want   string
	}{
		{events.Change{Op: events.OpSubstitute, Target: "art_3", With: "x"}, "art_3 is not in the text in force on 2010-02-01"},
		{events.Change{Op: events.OpRepeal, Target: "art_2", Words: "of voting"}, `the words "of voting" are not in art_2`},
	} {
		_, err := l.Append(ctx, "clerk@test", cmd(event(refugees, events.Amended, "2010-01-15", amendedBy(instrument, "2010-02-01"), changes(c.change))))
		if e := wantError(t, err, events.CodeRule); e.Rule != events.RuleTextChange || !strings.Contains(e.Message, c.want) {
			t.Errorf("%+v: %v, want a text_change refusal saying %q", c.change, err, c.want)
		}
	}
	if n := msgCount(t, env); n != before {
		t.Fatalf("the refusals wrote %d messages", n-before)
	}

	// The second rests on the first, staged before it in one batch.
	_, err := l.AppendAtomic(ctx, "clerk@test", []ledger.Command{
		cmd(event(refugees, events.Amended, "2010-01-15", amendedBy(instrument, "2010-02-01"),
			changes(events.Change{Op: events.OpInsert, Target: "art_2", Node: &events.Node{EID: "art_2-1", Num: "2-1", Text: "A refugee may work."}}))),
		cmd(event(refugees, events.Amended, "2010-01-15", amendedBy(instrument, "2010-03-01"),
			changes(events.Change{Op: events.OpSubstitute, Target: "art_2-1", Words: "may work", With: "may work and study"}))),
	})
	if err != nil {
		t.Fatalf("an insertion and a change to the inserted provision in one batch: %v", err)
	}
	// Its date is before the insertion's: refused.
	_, err = l.Append(ctx, "clerk@test", cmd(event(refugees, events.Amended, "2010-01-16", amendedBy(instrument, "2010-01-20"),
		changes(events.Change{Op: events.OpRepeal, Target: "art_2-1"}))))
	if e := wantError(t, err, events.CodeRule); e.Rule != events.RuleTextChange || !strings.Contains(e.Message, "art_2-1 is not in the text in force on 2010-01-20") {
		t.Errorf("a repeal of art_2-1 before its insertion: %v", err)
	}
}

// A correction of an amendment's textual changes is checked as a new
// amendment is: changes that do not apply to the text of their day are
// refused, and nothing is written.
func TestCorrectedChangesAreChecked(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env.Store)
	ctx := testContext(t)
	structure := func(e *events.Event) {
		e.Body.Structure = []events.Node{{EID: "art_1", Num: "1", Text: "Refugees are protected by the State."}}
	}
	mustAppend(t, l,
		event(refugees, events.Adopted, "2009-11-02", titled("Law on Refugees", events.Law), chamber("Parliament"), structure),
		event(refugees, events.Commenced, "2010-01-01", from("2010-01-01")))
	a := event(refugees, events.Amended, "2010-01-15", amendedBy("/akn/kz/act/2010-01-10/240", "2010-02-01"), func(e *events.Event) {
		e.Body.Changes = []events.Change{{Op: events.OpSubstitute, Target: "art_1", Words: "the State", With: "the Republic"}}
	})
	mustAppend(t, l, a)
	before := msgCount(t, env)
	_, err := l.Append(ctx, "clerk@test", cmd(event(refugees, events.RecordCorrected, "2010-01-16",
		corrects(a.ID, `{"body":{"changes":[{"op":"substitute","target":"art_9","with":"x"}]}}`, "wrong article"))))
	if e := wantError(t, err, events.CodeRule); e.Rule != events.RuleTextChange || !strings.Contains(e.Message, "art_9 is not in the text in force on 2010-02-01") {
		t.Errorf("a correction naming an article the text lacks: %v", err)
	}
	if n := msgCount(t, env); n != before {
		t.Fatalf("the refusal wrote %d messages", n-before)
	}
	mustAppend(t, l, event(refugees, events.RecordCorrected, "2010-01-16",
		corrects(a.ID, `{"body":{"changes":[{"op":"substitute","target":"art_1","words":"the State","with":"the Republic of Kazakhstan"}]}}`, "the full name")))

	// A correction is checked against the amendment as it stands, its
	// earlier corrections applied, as the rules check it, not as first
	// recorded: b's changes rest on a's, in force from 2010-02-01; once
	// they are taken away, b may take effect before that date.
	b := event(refugees, events.Amended, "2010-02-15", amendedBy("/akn/kz/act/2010-02-10/250", "2010-03-01"), func(e *events.Event) {
		e.Body.Changes = []events.Change{{Op: events.OpSubstitute, Target: "art_1", Words: "the Republic of Kazakhstan", With: "Kazakhstan"}}
	})
	mustAppend(t, l, b,
		event(refugees, events.RecordCorrected, "2010-02-16", corrects(b.ID, `{"body":{"changes":null}}`, "the changes belong to another law")),
		event(refugees, events.RecordCorrected, "2010-02-17", corrects(b.ID, `{"effective_from":"2010-01-20"}`, "the date")),
		event(refugees, events.RecordCorrected, "2010-02-17", corrects(b.ID, `{"body":{"note":"checked"}}`, "a note")))
}
