package projections_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// base is the record time of the tests' ledger: event n is recorded n hours
// after it.
var base = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// hour returns base + n hours.
func hour(n int) time.Time { return base.Add(time.Duration(n) * time.Hour) }

// at returns a pointer to base + n hours, for Query.KnownAt.
func at(n int) *time.Time { t := hour(n); return &t }

// ledger is a hand-written stream: each event is checked with
// events.Validate against its act's prior events, as the ledger would, then
// recorded (schema, id, record time, identity) and applied.
type ledger struct {
	t       testing.TB
	p       *projections.Projection
	seq     uint64
	clock   int // hours after base of the last event
	byAct   map[events.ActID][]events.Event
	entries []eventlog.Entry
	// unchecked lets an event the ledger would refuse through (tests of the
	// projection's tolerance).
	unchecked bool
}

func newLedger(t testing.TB) *ledger {
	return &ledger{t: t, p: newProjection(t), byAct: map[events.ActID][]events.Event{}}
}

// add decodes js strictly (an event without "act", which is inserted),
// records it one hour after the previous event and applies it.
func (l *ledger) add(act events.ActID, js string) events.Event {
	l.t.Helper()
	if !strings.HasPrefix(js, "{") {
		l.t.Fatalf("event %s is not a JSON object", js)
	}
	doc := fmt.Sprintf(`{"act":%q,`, act) + js[1:]
	e, err := events.Decode([]byte(doc))
	if err != nil {
		l.t.Fatalf("Decode(%s): %v", doc, err)
	}
	return l.addEvent(e)
}

// addEvent records e (schema, id, record time, identity set here) and
// applies it.
func (l *ledger) addEvent(e events.Event) events.Event {
	l.t.Helper()
	l.clock++
	return l.addAt(e, hour(l.clock))
}

// addAt is addEvent with an explicit record time.
func (l *ledger) addAt(e events.Event, recorded time.Time) events.Event {
	l.t.Helper()
	e.Schema, e.ID = 1, events.NewID()
	if !l.unchecked {
		if err := events.Validate(l.byAct[e.Act], e); err != nil {
			l.t.Fatalf("the ledger would refuse %s %s on %s: %v", e.Type, e.Date, e.Act, err)
		}
	}
	e.RecordedAt, e.RecordedBy = recorded, "clerk@test"
	l.seq++
	en := eventlog.Entry{Seq: l.seq, Event: e}
	if _, err := l.p.Apply(en); err != nil {
		l.t.Fatalf("Apply(seq %d): %v", l.seq, err)
	}
	l.byAct[e.Act] = append(l.byAct[e.Act], e)
	l.entries = append(l.entries, en)
	return e
}

// refused asserts that the ledger would refuse js with rule, and records
// nothing.
func (l *ledger) refused(act events.ActID, js string, rule events.Rule) {
	l.t.Helper()
	doc := fmt.Sprintf(`{"act":%q,`, act) + js[1:]
	e, err := events.Decode([]byte(doc))
	if err != nil {
		l.t.Fatalf("Decode(%s): %v", doc, err)
	}
	e.Schema, e.ID = 1, events.NewID()
	err = events.Validate(l.byAct[act], e)
	var ee *events.Error
	if !errors.As(err, &ee) || ee.Rule != rule {
		l.t.Fatalf("Validate(%s) = %v, want rule %s", doc, err, rule)
	}
}

// state asks the act's state on asOf as known at knownAt (nil: now).
func (l *ledger) state(act events.ActID, asOf string, knownAt *time.Time) projections.ActState {
	l.t.Helper()
	s, err := l.p.State(act, projections.Query{AsOf: events.MustDate(asOf), KnownAt: knownAt})
	if err != nil {
		l.t.Fatalf("State(%s, %s, %v): %v", act, asOf, knownAt, err)
	}
	return s
}

// want is an expected status on a day, with a phrase of the reason ("" to
// skip it) and the uncertain boundaries (nil: none).
type want struct {
	known     string // a name given by the case to a record time; "" for now
	asOf      string
	status    projections.Status
	reason    string
	uncertain []string
}

// check asserts the act's status on each day of ws; known names the
// record times that ws refer to.
func (l *ledger) check(act events.ActID, known map[string]*time.Time, ws ...want) {
	l.t.Helper()
	for _, w := range ws {
		knownAt, ok := known[w.known]
		if w.known != "" && !ok {
			l.t.Fatalf("no record time named %q", w.known)
		}
		s := l.state(act, w.asOf, knownAt)
		if s.Status != w.status {
			l.t.Errorf("%s on %s (known at %s): status %s (%s), want %s", act, w.asOf, fmtKnown(knownAt), s.Status, s.Reason, w.status)
			continue
		}
		if w.reason != "" && s.Reason != w.reason {
			l.t.Errorf("%s on %s (known at %s): reason %q, want %q", act, w.asOf, fmtKnown(knownAt), s.Reason, w.reason)
		}
		if got := dateStrings(s.Uncertain); !slices.Equal(got, w.uncertain) {
			l.t.Errorf("%s on %s (known at %s): uncertain %v, want %v", act, w.asOf, fmtKnown(knownAt), got, w.uncertain)
		}
	}
}

func fmtKnown(t *time.Time) string {
	if t == nil {
		return "now"
	}
	return t.Format(time.RFC3339Nano)
}

func dateStrings(ds []events.Date) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.String())
	}
	return out
}

// provision returns the state of one provision in s.
func provision(t testing.TB, s projections.ActState, eid string) projections.ProvisionState {
	t.Helper()
	for _, p := range s.Provisions {
		if p.EID == eid {
			return p
		}
	}
	t.Fatalf("%s on %s lists no provision %s (it lists %+v)", s.Act, s.AsOf, eid, s.Provisions)
	return projections.ProvisionState{}
}

// mustErrCode asserts that err is an *events.Error with code and that its
// message contains every phrase.
func mustErrCode(t testing.TB, what string, err error, code events.Code, phrases ...string) {
	t.Helper()
	var e *events.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s = %v, want an *events.Error with code %s", what, err, code)
	}
	if e.Code != code {
		t.Fatalf("%s gave code %s (%s), want %s", what, e.Code, e.Message, code)
	}
	for _, p := range phrases {
		if !strings.Contains(e.Message, p) {
			t.Errorf("%s said %q, want it to say %q", what, e.Message, p)
		}
	}
}

// Acts of the seed's timeline used by the hand-written tests.
const (
	criminalCode  events.ActID = "/akn/kz/act/code/1997-07-16/167"
	procedureCode events.ActID = "/akn/kz/act/code/1997-12-13/206"
	civilCode     events.ActID = "/akn/kz/act/code/1999-07-13/411"
	law2009       events.ActID = "/akn/kz/act/2009-12-10/230" // the law amending three codes
	refugees      events.ActID = "/akn/kz/act/2009-12-04/216"
	juryLaw       events.ActID = "/akn/kz/act/2006-01-16/121"
	arrestLaw     events.ActID = "/akn/kz/act/2007-07-10/58"
	decree2010    events.ActID = "/akn/kz/act/decree/2010-08-17/1"
	actionPlan    events.ActID = "/akn/kz/doc/programme/2009-05-05/1"
	catTreaty     events.ActID = "/akn/kz/act/treaty/1984-12-10/cat"
	draft3471     events.ActID = "/akn/kz/bill/2009-10-15/draft-347-1"
	ombudsman     events.ActID = "/akn/kz/act/decree/2002-09-19/947"
	uzLaw         events.ActID = "/akn/uz/act/2008-01-01/1"
	neverRecorded events.ActID = "/akn/kz/act/2099-01-01/not-in-ledger"
)
