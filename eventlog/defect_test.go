package eventlog_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
)

// subjects is the default prefix's mapping, without NATS.
type subjects struct{}

func (subjects) IsSubjectOf(subject string, act events.ActID) bool {
	return subject == "lex.events."+strings.ReplaceAll(strings.TrimPrefix(string(act), "/akn/"), "/", ".")
}

func (subjects) ActOfSubject(subject string) (events.ActID, error) {
	rest, ok := strings.CutPrefix(subject, "lex.events.")
	if !ok {
		return "", errors.New("outside lex.events.>")
	}
	return events.ActIDFromTokens(strings.Split(rest, "."))
}

// FuzzInspect: any bytes are an event or a defect, never a panic; an
// event is sealed and on its act's subject, and a chain never takes a
// defect.
//
//	go test ./eventlog -run '^$' -fuzz FuzzInspect
func FuzzInspect(f *testing.F) {
	e := events.Event{Schema: 2, ID: events.NewID(), Act: "/akn/kz/act/2009-12-04/216", Type: events.Repealed,
		Date: events.MustDate("2010-01-01"), EffectiveFrom: events.MustDate("2010-01-01")}
	sealed, err := e.Seal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sealed)
	f.Add([]byte("garbage"))
	f.Add([]byte("{}"))
	f.Add([]byte(`{"schema":9}`))
	const subject = "lex.events.kz.act.2009-12-04.216"
	f.Fuzz(func(t *testing.T, data []byte) {
		got := eventlog.Inspect(7, subject, data, subjects{})
		if got.Seq != 7 {
			t.Fatalf("sequence %d, want 7", got.Seq)
		}
		if got.Defect != nil {
			if got.Defect.Reason == "" || got.Defect.Message == "" || got.Defect.Digest.IsZero() {
				t.Fatalf("a defect without a reason, message or digest: %+v", got.Defect)
			}
			var c eventlog.Chain
			c.Check(&got)
			if !c.Tip().IsZero() {
				t.Fatal("a chain took a defect")
			}
			return
		}
		if h, err := got.Event.ComputeHash(); err != nil || (got.Event.Schema >= 2 && h != got.Event.Hash) {
			t.Fatalf("an event whose hash is not its content's: %v", err)
		}
		if !(subjects{}).IsSubjectOf(subject, got.Event.Act) {
			t.Fatalf("an event of %s on %s", got.Event.Act, subject)
		}
	})
}

func TestChainSkipsDefects(t *testing.T) {
	act := events.ActID("/akn/kz/act/2009-12-04/216")
	seal := func(id events.ID, prev events.Digest) eventlog.Entry {
		e := events.Event{Schema: 2, ID: id, Act: act, Type: events.Amended, Date: events.MustDate("2010-01-01"),
			EffectiveFrom: events.MustDate("2010-01-01"), Instrument: "/akn/kz/act/2010-01-01/1", Provisions: []string{"art_1"},
			Body: events.Body{Effect: events.Substitution}, PrevHash: prev}
		if _, err := e.Seal(); err != nil {
			t.Fatal(err)
		}
		return eventlog.Entry{Event: e}
	}
	var c eventlog.Chain
	first := seal(events.NewID(), events.Digest{})
	c.Check(&first)
	tip := first.Event.Hash
	for _, tc := range []struct {
		name   string
		e      eventlog.Entry
		reason eventlog.Reason
	}{
		{"chained onto nothing", seal(events.NewID(), events.Digest{}), eventlog.ReasonChain},
		{"chained onto a stranger", seal(events.NewID(), events.Digest{9}), eventlog.ReasonChain},
		{"the first event's id", seal(first.Event.ID, tip), eventlog.ReasonDuplicateID},
	} {
		c.Check(&tc.e)
		if tc.e.Defect == nil || tc.e.Defect.Reason != tc.reason {
			t.Errorf("%s: defect %+v, want %s", tc.name, tc.e.Defect, tc.reason)
		}
		if c.Tip() != tip {
			t.Errorf("%s: the chain moved to a defect", tc.name)
		}
	}
	next := seal(events.NewID(), tip)
	if c.Check(&next); next.Defect != nil {
		t.Errorf("the event after the defects, chained onto the last valid one, is a defect: %s", next.Defect.Message)
	}
}
