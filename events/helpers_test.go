package events_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
)

// Acts of the seed's timeline, used across the tests.
const (
	law        events.ActID = "/akn/kz/act/2009-12-10/230"           // the law amending three codes
	instrument events.ActID = "/akn/kz/act/2011-01-18/378"           // a later amending or repealing law
	decree     events.ActID = "/akn/kz/act/decree/2010-08-17/1"      // the Presidential Decree
	treaty     events.ActID = "/akn/kz/act/treaty/1984-12-10/cat"    // the Convention against Torture
	bill       events.ActID = "/akn/kz/bill/2009-10-15/draft-347-1"  // the draft amendment of Article 347-1
	code       events.ActID = "/akn/kz/act/code/1997-07-16/167"      // the Criminal Code
	programme  events.ActID = "/akn/kz/doc/programme/2009-05-05/1"   // the National Action Plan 2009-2012
	other      events.ActID = "/akn/kz/act/2009-12-04/216"           // the Law on Refugees
	unknownAct events.ActID = "/akn/kz/act/2099-01-01/not-in-ledger" // never recorded
)

// option sets a field of an event built by newEvent.
type option func(*events.Event)

// newEvent returns a new event, with a fresh id and schema 1, of type typ on
// act, dated date (YYYY-MM-DD, YYYY-MM or YYYY); the options set the rest.
func newEvent(act events.ActID, typ events.Type, date string, opts ...option) events.Event {
	e := events.Event{
		Schema: events.SchemaVersion,
		ID:     events.NewID(),
		Act:    act,
		Type:   typ,
		Date:   events.MustDate(date),
	}
	for _, o := range opts {
		o(&e)
	}
	return e
}

func titled(title string, kind events.Kind) option {
	return func(e *events.Event) { e.Body.Title, e.Body.Kind = title, kind }
}

func from(date string) option {
	return func(e *events.Event) { e.EffectiveFrom = events.MustDate(date) }
}

func until(date string) option {
	return func(e *events.Event) { e.EffectiveTo = events.MustDate(date) }
}

func retroactive() option { return func(e *events.Event) { e.Retroactive = true } }

func by(act events.ActID) option { return func(e *events.Event) { e.Instrument = act } }

func provisions(eids ...string) option { return func(e *events.Event) { e.Provisions = eids } }

func chamber(name string) option { return func(e *events.Event) { e.Body.Chamber = name } }

func effect(a events.AmendmentEffect) option { return func(e *events.Event) { e.Body.Effect = a } }

func gazette(g string) option { return func(e *events.Event) { e.Body.Gazette = g } }

// corrects makes a record_corrected event name target and carry correction.
func corrects(target events.ID, correction string) option {
	return func(e *events.Event) {
		e.Body.Corrects = target
		e.Body.Correction = []byte(correction)
		e.Body.Reason = "recorded wrongly"
	}
}

// retracts makes a record_retracted event name target.
func retracts(target events.ID) option {
	return func(e *events.Event) {
		e.Body.Retracts = target
		e.Body.Reason = "recorded in error"
	}
}

// history concatenates events and lists of events into a new slice, so that
// tables never share a backing array.
func history(parts ...any) []events.Event {
	var h []events.Event
	for _, p := range parts {
		switch v := p.(type) {
		case events.Event:
			h = append(h, v)
		case []events.Event:
			h = append(h, v...)
		default:
			panic("history takes events and slices of events")
		}
	}
	return h
}

// The usual beginnings of an act's life. Each call makes new events with new
// ids.

// draftedLaw is a law drafted on 2009-06-01.
func draftedLaw() []events.Event {
	return history(newEvent(law, events.Drafted, "2009-06-01", titled("Law amending three codes", events.Law)))
}

// adoptedLaw is a law drafted on 2009-06-01 and adopted on 2009-12-01.
func adoptedLaw() []events.Event {
	return history(draftedLaw(), newEvent(law, events.Adopted, "2009-12-01", chamber("Parliament")))
}

// signedLaw is adoptedLaw signed on 2009-12-10.
func signedLaw() []events.Event {
	return history(adoptedLaw(), newEvent(law, events.Signed, "2009-12-10"))
}

// vetoedLaw is adoptedLaw vetoed on 2009-12-05.
func vetoedLaw() []events.Event {
	return history(adoptedLaw(), newEvent(law, events.Vetoed, "2009-12-05"))
}

// repealedLaw is signedLaw, in force from 2010-01-01, repealed from 2011-01-01.
func repealedLaw() []events.Event {
	return history(signedLaw(),
		newEvent(law, events.Commenced, "2009-12-10", from("2010-01-01")),
		newEvent(law, events.Repealed, "2011-01-18", from("2011-01-01"), by(instrument)))
}

// adoptedDecree is a decree issued (adopted) on 2010-08-17.
func adoptedDecree() []events.Event {
	return history(newEvent(decree, events.Adopted, "2010-08-17", titled("Presidential Decree on legal policy", events.Decree)))
}

// draftedTreaty is a treaty recorded as drafted in 1984.
func draftedTreaty() []events.Event {
	return history(newEvent(treaty, events.Drafted, "1984-12-10", titled("Convention against Torture", events.Treaty)))
}

// typesOf lists the types of a history, for messages.
func typesOf(h []events.Event) string {
	if len(h) == 0 {
		return "an empty history"
	}
	names := make([]string, len(h))
	for i, e := range h {
		names[i] = string(e.Type)
	}
	return strings.Join(names, ", ")
}

// verdict is what events.Validate should say of a proposed event.
type verdict struct {
	rule events.Rule // the rule broken; "" with code "" for an accepted event
	code events.Code // events.CodeRule when rule is set and code is ""
	// reason is a phrase that the message must contain.
	reason string
	// actNotNamed is set where the message does not name the act (see
	// TestValidTimeOrderMessageNamesTheAct).
	actNotNamed bool
}

func accepted() verdict { return verdict{} }

func rejected(rule events.Rule, reason string) verdict { return verdict{rule: rule, reason: reason} }

func invalid(reason string) verdict { return verdict{code: events.CodeInvalid, reason: reason} }

// checkValidate runs events.Validate(prior, e) and asserts want.
func checkValidate(t *testing.T, prior []events.Event, e events.Event, want verdict) {
	t.Helper()
	err := events.Validate(prior, e)
	assertVerdict(t, "Validate("+typesOf(prior)+" + "+string(e.Type)+")", e.Act, err, want)
	checkMemo(t, prior, e)
}

// checkMemo checks that ValidateMemo and FoldMemo answer as Validate and
// Fold do, for the history sealed (so that the memo knows its events),
// with an empty memo and again with the memo they filled.
func checkMemo(t *testing.T, prior []events.Event, e events.Event) {
	t.Helper()
	sealed := make([]events.Event, len(prior))
	for i, p := range prior {
		if _, err := p.Seal(); err != nil {
			t.Fatalf("seal %s: %v", p.Type, err)
		}
		sealed[i] = p
	}
	say := func(err error) string {
		if err == nil {
			return "accepted"
		}
		return err.Error()
	}
	want := say(events.Validate(sealed, e))
	wantState, wantErr := events.Fold(sealed)
	memo := events.NewCorrectionMemo()
	for _, round := range []string{"with an empty memo", "with the memo filled"} {
		if got := say(events.ValidateMemo(sealed, e, memo)); got != want {
			t.Errorf("ValidateMemo %s: %s; Validate: %s", round, got, want)
		}
		st, err := events.FoldMemo(sealed, memo)
		if say(err) != say(wantErr) || (err == nil && !reflect.DeepEqual(st, wantState)) {
			t.Errorf("FoldMemo %s: %+v, %v; Fold: %+v, %v", round, st, err, wantState, wantErr)
		}
	}
}

// assertVerdict checks err against want; what names the call.
func assertVerdict(t *testing.T, what string, act events.ActID, err error, want verdict) {
	t.Helper()
	if want.rule == "" && want.code == "" {
		if err != nil {
			t.Fatalf("%s = %q, want the event accepted", what, err)
		}
		return
	}
	if err == nil {
		t.Fatalf("%s accepted the event, want it rejected with rule %q (%s)", what, want.rule, want.reason)
	}
	var e *events.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s = %T %q, want an *events.Error", what, err, err)
	}
	code := want.code
	if code == "" {
		code = events.CodeRule
	}
	if e.Code != code || e.Rule != want.rule {
		t.Fatalf("%s gave code %q and rule %q (%q), want code %q and rule %q", what, e.Code, e.Rule, e.Message, code, want.rule)
	}
	if want.reason != "" && !strings.Contains(e.Message, want.reason) {
		t.Errorf("%s said %q, want a message that gives the reason %q", what, e.Message, want.reason)
	}
	if act != "" && !want.actNotNamed && !strings.Contains(e.Message, string(act)) {
		t.Errorf("%s said %q, want a message that names the act %s", what, e.Message, act)
	}
	if e.Code == events.CodeRule && e.Act != act {
		t.Errorf("%s gave an error about act %q, want %q", what, e.Act, act)
	}
}

// mustCode asserts that err is an *events.Error with code, and that its
// message contains every phrase.
func mustCode(t *testing.T, what string, err error, code events.Code, phrases ...string) *events.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("%s succeeded, want an error with code %q", what, code)
	}
	var e *events.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s = %T %q, want an *events.Error with code %q", what, err, err, code)
	}
	if e.Code != code {
		t.Fatalf("%s gave code %q (%q), want %q", what, e.Code, e.Message, code)
	}
	for _, p := range phrases {
		if !strings.Contains(e.Message, p) {
			t.Errorf("%s said %q, want it to say %q", what, e.Message, p)
		}
	}
	return e
}

// fixedTime is a record time as the ledger stores it (UTC, nanoseconds).
var fixedTime = time.Date(2024, time.March, 1, 9, 15, 2, 123456789, time.UTC)

// mustID parses a ULID for a test.
func mustID(tb testing.TB, s string) events.ID {
	tb.Helper()
	id, err := events.ParseID(s)
	if err != nil {
		tb.Fatalf("ParseID(%q) = %v", s, err)
	}
	return id
}
