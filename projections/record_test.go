package projections

import (
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
)

// readHead reads what Decode reads, or gives up: never another value.
func TestReadHead(t *testing.T) {
	at := time.Date(2026, 12, 3, 8, 4, 5, 123456789, time.UTC)
	base := func() events.Event {
		return events.Event{Schema: 2, ID: events.NewID(), Act: "/akn/kz/act/2001-01-10/1", Type: events.Amended,
			Date: events.MustDate("2005-06-11"), EffectiveFrom: events.MustDate("2005-07-01"), Instrument: "/akn/kz/act/2005-06-01/1",
			Provisions: []string{"art_1"}, Body: events.Body{Effect: events.Substitution, Texts: map[string]string{"art_1": `say "recorded_at":"x" \ here`}},
			RecordedAt: at, RecordedBy: "alice@http", PrevHash: events.Digest{1}, Hash: events.Digest{2}}
	}
	for _, c := range []struct {
		name  string
		edit  func(e *events.Event)
		plain bool // readHead reads it without Decode
	}{
		{"usual", func(e *events.Event) {}, true},
		{"schema 1, no hashes", func(e *events.Event) { e.Schema, e.PrevHash, e.Hash = 1, events.Digest{}, events.Digest{} }, true},
		{"first of its act", func(e *events.Event) { e.PrevHash = events.Digest{} }, true},
		{"no recorder", func(e *events.Event) { e.RecordedBy = "" }, true},
		{"no record time", func(e *events.Event) { e.RecordedAt = time.Time{} }, true},
		{"neither", func(e *events.Event) { e.RecordedAt, e.RecordedBy = time.Time{}, "" }, true},
		{"no body", func(e *events.Event) {
			e.Type, e.Body, e.Provisions, e.Instrument = events.Commenced, events.Body{}, nil, ""
		}, true},
		{"record time in a zone", func(e *events.Event) { e.RecordedAt = at.In(time.FixedZone("", 5*3600)) }, true},
		{"month date", func(e *events.Event) { e.Date = events.MustDate("2005-06") }, true},
		{"recorder with a quote", func(e *events.Event) { e.RecordedBy = `al"ice@http` }, false},
		{"recorder with a backslash", func(e *events.Event) { e.RecordedBy = `al\ice@http` }, false},
		{"recorder with a backslash, no record time", func(e *events.Event) { e.RecordedBy, e.RecordedAt = `al\ice`, time.Time{} }, false},
		{"provision named recorded_at", func(e *events.Event) {
			e.RecordedAt, e.RecordedBy = time.Time{}, ""
			e.Body.Texts = map[string]string{"recorded_at": "x"}
		}, false},
		{"no date", func(e *events.Event) { e.Date = events.Date{} }, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := base()
			c.edit(&e)
			data, err := events.AppendEncode(nil, &e)
			if err != nil {
				t.Fatal(err)
			}
			h, ok := readHead(data)
			if ok != c.plain {
				t.Errorf("readHead read it: %v, want %v (%s)", ok, c.plain, data)
			}
			if !ok {
				return
			}
			d, err := events.Decode(data)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			want := head{typ: d.Type, date: d.Date, recordedAt: d.RecordedAt, recordedBy: d.RecordedBy}
			if h.typ != want.typ || h.date != want.date || !h.recordedAt.Equal(want.recordedAt) ||
				h.recordedAt.String() != want.recordedAt.String() || h.recordedBy != want.recordedBy {
				t.Errorf("readHead = %+v, Decode reads %+v", h, want)
			}
		})
	}
}
