package projections_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// TestCorrectionsThatKeepTheModel: a correction, or the retraction of one,
// that leaves the corrected event the same in every field the fold reads
// keeps the act's model as it was, and one that changes such a field folds
// the act again; either way the answers are those of the act folded whole
// from its records (a snapshot restored), now and as known before.
func TestCorrectionsThatKeepTheModel(t *testing.T) {
	l := newLedger(t)
	l.p.SetModelCache(1 << 20) // the model is held throughout, whatever the suite's setting
	adopted := l.adoptLaw(law2009, events.Law, "2009-12-10")
	l.add(law2009, `{"type":"signed","date":"2009-12-15","body":{"signatory":"the President"}}`)
	pub := l.add(law2009, `{"type":"published","date":"2009-12-20","body":{"gazette":"Gazette 7"}}`)
	com := l.add(law2009, `{"type":"commenced","date":"2009-12-20","effective_from":"2010-01-01"}`)
	correct := func(target events.Event, correction string) events.Event {
		return l.add(law2009, `{"type":"record_corrected","date":"2010-02-01","body":{"corrects":"`+target.ID.String()+`","correction":`+correction+`,"reason":"a clerk's error"}}`)
	}
	retract := func(target events.Event) events.Event {
		return l.add(law2009, `{"type":"record_retracted","date":"2010-02-02","body":{"retracts":"`+target.ID.String()+`","reason":"recorded in error"}}`)
	}
	var known []events.Event
	steps := []struct {
		name string
		do   func() events.Event
		kept bool
	}{
		{"the gazette corrected", func() events.Event { return correct(pub, `{"body":{"gazette":"Gazette 8"}}`) }, true},
		{"a note added to the adoption", func() events.Event { return correct(adopted, `{"body":{"note":"adopted in a joint sitting"}}`) }, true},
		{"the commencement's date restated", func() events.Event { return correct(com, `{"effective_from":"2010-01-01"}`) }, true},
		{"the commencement's date corrected", func() events.Event { return correct(com, `{"effective_from":"2010-03-01"}`) }, false},
		{"the gazette's correction retracted", func() events.Event { return retract(known[0]) }, true},
		{"the date's correction retracted", func() events.Event { return retract(known[3]) }, false},
		{"a correction of the title", func() events.Event { return correct(adopted, `{"body":{"title":"Act on courts"}}`) }, false},
		{"the publication retracted", func() events.Event { return retract(pub) }, false},
	}
	wantKept, wantFolded := uint64(0), uint64(0)
	for _, s := range steps {
		known = append(known, s.do())
		if s.kept {
			wantKept++
		} else {
			wantFolded++
		}
		if kept, folded := l.p.RecordFoldStats(); kept != wantKept || folded != wantFolded {
			t.Fatalf("after %s: %d record events kept the model and %d folded the act, want %d and %d", s.name, kept, folded, wantKept, wantFolded)
		}
		whole := restored(t, l.p)
		for _, day := range []string{"2009-12-15", "2010-01-15", "2010-04-01"} {
			for _, at := range []int{-1, len(known) - 1} {
				q := projections.Query{AsOf: events.MustDate(day)}
				if at >= 0 {
					q.KnownAt = recordTime(known[at])
				}
				got, err1 := l.p.State(law2009, q)
				want, err2 := whole.State(law2009, q)
				if err1 != nil || err2 != nil {
					t.Fatalf("after %s: State on %s: %v, %v", s.name, day, err1, err2)
				}
				if g, w := asJSON(t, got), asJSON(t, want); g != w {
					t.Errorf("after %s, on %s (known at %d): state\n%s\nwant, folded whole,\n%s", s.name, day, at, g, w)
				}
			}
		}
		got, err1 := l.p.Timeline(law2009, nil)
		want, err2 := whole.Timeline(law2009, nil)
		if err1 != nil || err2 != nil {
			t.Fatalf("after %s: Timeline: %v, %v", s.name, err1, err2)
		}
		if g, w := asJSON(t, got), asJSON(t, want); g != w {
			t.Errorf("after %s: timeline\n%s\nwant, folded whole,\n%s", s.name, g, w)
		}
	}
	// The corrections changed what the act says where they should.
	s := l.state(law2009, "2010-04-01", nil)
	if s.Title != "Act on courts" || s.Status != inForce {
		t.Errorf("at the end: %q %s, want the corrected title, in force", s.Title, s.Status)
	}

	// A projection restored from a snapshot reads where the act's record
	// events are from its records, then keeps the model the same way: a
	// correction back to the value first recorded is a change.
	correct(com, `{"effective_from":"2010-02-01"}`)
	again := restored(t, l.p)
	again.SetModelCache(1 << 20)
	l2 := &ledger{t: t, p: again, seq: l.seq, clock: l.clock, byAct: l.byAct}
	if s := l2.state(law2009, "2010-01-15", nil); s.Status != adoptedNIF { // its model held from here
		t.Fatalf("restored, on 2010-01-15: %s, want %s", s.Status, adoptedNIF)
	}
	l2.add(law2009, `{"type":"record_corrected","date":"2010-02-03","body":{"corrects":"`+com.ID.String()+`","correction":{"body":{"note":"from the gazette"}},"reason":"a note"}}`)
	if kept, folded := again.RecordFoldStats(); kept != 1 || folded != 0 {
		t.Errorf("restored, a note's correction: %d kept the model, %d folded the act, want 1 and 0", kept, folded)
	}
	l2.add(law2009, `{"type":"record_corrected","date":"2010-02-03","body":{"corrects":"`+com.ID.String()+`","correction":{"effective_from":"2010-01-01"},"reason":"a date"}}`)
	if kept, folded := again.RecordFoldStats(); kept != 1 || folded != 1 {
		t.Errorf("restored, a date's correction: %d kept the model, %d folded the act, want 1 and 1", kept, folded)
	}
	if s := l2.state(law2009, "2010-01-15", nil); s.Status != inForce {
		t.Errorf("restored, on 2010-01-15 after the commencement moved back to 2010-01-01: %s, want %s", s.Status, inForce)
	}
}

// restored returns p written to a snapshot and read back: every act
// folded whole from its records.
func restored(t *testing.T, p *projections.Projection) *projections.Projection {
	t.Helper()
	q, err := projections.ReadSnapshot(bytes.NewReader(writeSnapshot(t, p)))
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
