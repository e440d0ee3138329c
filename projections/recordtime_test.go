package projections_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// TestRecordTimesAtFullPrecision: two events recorded within one second are
// told apart by a known_at between them, given with a fraction of a second,
// and the messages about record times show their fractions, so that the
// time a message names is the time to ask.
func TestRecordTimesAtFullPrecision(t *testing.T) {
	l := newLedger(t)
	second := time.Date(2026, time.November, 25, 16, 24, 50, 0, time.UTC)
	adopt := l.addAt(events.Event{Act: law2009, Type: events.Adopted, Date: d("2009-12-10"),
		Body: events.Body{Title: "Law amending three codes", Kind: events.Law}}, second.Add(250*time.Millisecond))
	com := l.addAt(events.Event{Act: law2009, Type: events.Commenced, Date: d("2009-12-10"), EffectiveFrom: d("2010-01-01")},
		second.Add(750*time.Millisecond))

	between, err := projections.ParseKnownAt("2026-11-25T16:24:50.5Z")
	if err != nil {
		t.Fatal(err)
	}
	if s := l.state(law2009, "2010-06-01", between); s.Status != adoptedNIF {
		t.Errorf("on 2010-06-01 as known at 16:24:50.5: %s, want %s: the commencement was recorded at 16:24:50.75", s.Status, adoptedNIF)
	}
	if s := l.state(law2009, "2010-06-01", recordTime(com)); s.Status != inForce {
		t.Errorf("on 2010-06-01 as known at the commencement's record time: %s, want %s", s.Status, inForce)
	}
	if s := l.state(law2009, "2010-06-01", justBefore(com)); s.Status != adoptedNIF {
		t.Errorf("on 2010-06-01 as known a nanosecond before the commencement: %s, want %s", s.Status, adoptedNIF)
	}

	before := second.Add(100 * time.Millisecond)
	err = l.p.CheckKnownAt(&before)
	var ee *events.Error
	if !errors.As(err, &ee) || ee.Code != events.CodeInvalid {
		t.Fatalf("CheckKnownAt(before the first record) = %v, want invalid", err)
	}
	for _, want := range []string{"known_at 2026-11-25T16:24:50.1Z ", "recorded at 2026-11-25T16:24:50.25Z)"} {
		if !strings.Contains(ee.Message, want) {
			t.Errorf("message %q does not contain %q", ee.Message, want)
		}
	}
	if err := l.p.CheckKnownAt(recordTime(adopt)); err != nil {
		t.Errorf("CheckKnownAt(the first record time) = %v, want nil", err)
	}

	_, err = l.p.State(law2009, projections.Query{AsOf: d("2010-06-01"), KnownAt: &before})
	if !errors.As(err, &ee) || !strings.Contains(ee.Message, "not yet recorded at 2026-11-25T16:24:50.1Z: its first event was recorded at 2026-11-25T16:24:50.25Z") {
		t.Errorf("State before the act's first record: %v, want its message at full precision", err)
	}
}
