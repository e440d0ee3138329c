package events_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/lexledger/lexledger/events"
)

// fuzzHistory is the fixed history FuzzValidate decides against: a law
// drafted, adopted, signed, published, in force and amended, with ids that
// a fuzzed correction or retraction can name.
func fuzzHistory(tb testing.TB) []events.Event {
	tb.Helper()
	ids := []string{
		"01ARZ3NDEKTSV4RRFFQ69G5FA1", "01ARZ3NDEKTSV4RRFFQ69G5FA2", "01ARZ3NDEKTSV4RRFFQ69G5FA3",
		"01ARZ3NDEKTSV4RRFFQ69G5FA4", "01ARZ3NDEKTSV4RRFFQ69G5FA5", "01ARZ3NDEKTSV4RRFFQ69G5FA6",
	}
	h := history(
		newEvent(law, events.Drafted, "2009-06-01", titled("Law amending three codes", events.Law)),
		newEvent(law, events.Adopted, "2009-12-01", chamber("Parliament")),
		newEvent(law, events.Signed, "2009-12-10"),
		newEvent(law, events.Published, "2009-12-12", gazette("Kazakhstanskaya Pravda")),
		newEvent(law, events.Commenced, "2009-12-12", from("2010-01-01")),
		newEvent(law, events.Amended, "2010-06-01", from("2010-07-01"), by(instrument), provisions("art_1"), effect(events.AmendmentEffect("substitution"))),
	)
	for i := range h {
		h[i].ID = mustID(tb, ids[i])
	}
	return h
}

// FuzzValidate decodes the input as an event and decides it against a
// fixed history, first as sent, then moved onto the history's act and onto
// an act with no history: Validate never panics, and answers nil or an
// *events.Error with a message.
func FuzzValidate(f *testing.F) {
	for _, data := range readFixtures(f) {
		f.Add(data)
	}
	f.Add(validBytes())
	f.Add([]byte(`{"schema":1,"act":"/akn/kz/act/2009-12-10/230","type":"record_corrected","date":"2010","body":{"corrects":"01ARZ3NDEKTSV4RRFFQ69G5FA2","correction":{"date":"2009-11"},"reason":"typo"}}`))
	f.Add([]byte(`{"schema":1,"act":"/akn/kz/act/2009-12-10/230","type":"record_retracted","date":"2010","body":{"retracts":"01ARZ3NDEKTSV4RRFFQ69G5FA6","reason":"error"}}`))
	f.Add([]byte(`{"schema":1,"act":"/akn/kz/act/2009-12-10/230","type":"repealed","date":"2011-01-18","effective_from":"2009-01-01","instrument":"/akn/kz/act/2011-01-18/378"}`))
	f.Add([]byte(`{"schema":1,"act":"/akn/kz/act/2009-12-10/230","type":"suspended","date":"2010","effective_from":"2010-02","effective_to":"2010-01","provisions":["art_1"]}`))
	f.Add([]byte(`{"schema":1,"act":"/akn/kz/act/2009-12-10/230","type":"signed","date":"2009-12-11"}`))
	f.Add([]byte(`{"type":"drafted"}`))
	prior := fuzzHistory(f)
	if _, err := events.Fold(prior); err != nil {
		f.Fatalf("the fixed history does not fold: %v", err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := events.Decode(data)
		if err != nil {
			return
		}
		for _, tc := range []struct {
			act   events.ActID
			prior []events.Event
		}{{e.Act, prior}, {law, prior}, {unknownAct, nil}} {
			e.Act = tc.act
			checkVerdict(t, data, tc.act, events.Validate(tc.prior, e))
		}
	})
}

func checkVerdict(t *testing.T, data []byte, act events.ActID, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var ee *events.Error
	if !errors.As(err, &ee) {
		t.Fatalf("Validate(%q on %s) = %T %v, want nil or an *events.Error", data, act, err, err)
	}
	if strings.TrimSpace(ee.Message) == "" {
		t.Fatalf("Validate(%q on %s) = an *events.Error with code %q and no message", data, act, ee.Code)
	}
}
