package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// Record times are shown at full precision, and a known_at between two
// events recorded within the same second tells them apart: the time the
// page shows is the time to ask.
func TestActPageRecordTimesAtFullPrecision(t *testing.T) {
	s := mustSite(t)
	act := events.ActID("/akn/kz/act/2011-05-01/precise")
	s.record(t, events.Event{ID: events.NewID(), Act: act, Type: events.Adopted, Date: events.MustDate("2011-05-01"),
		Body: events.Body{Title: "Law recorded twice in a second", Kind: events.Law}})
	s.record(t, events.Event{ID: events.NewID(), Act: act, Type: events.Commenced, Date: events.MustDate("2011-05-01"),
		EffectiveFrom: events.MustDate("2011-06-01")})
	first, second := s.recordedAt(act, 0), s.recordedAt(act, 1)
	if !first.Before(second) {
		t.Fatalf("record times %s, %s do not increase", first, second)
	}
	nano := func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

	p := s.mustPage(t, "/ui/act", "act", string(act), "as_of", "2011-07-01")
	p.has(t, ">"+nano(first)+"</time>", ">"+nano(second)+"</time>")

	// Between the two: the adoption only, said at full precision.
	between := first.Add(second.Sub(first) / 2)
	p = s.mustPage(t, "/ui/act", "act", string(act), "as_of", "2011-07-01", "known_at", nano(between))
	p.has(t, ", as known at "+nano(between)+"<")
	if got := p.actStatus(t); got != "adopted_not_in_force" {
		t.Errorf("as known between the two records: %s, want adopted_not_in_force", got)
	}
	if n := strings.Count(p.body, `<tr id="ev-`); n != 1 {
		t.Errorf("as known between the two records: %d events, want the adoption alone", n)
	}

	var start time.Time
	s.svc.Read(func(pr *projections.Projection) { start, _ = pr.FirstRecord() })
	early := start.Add(-time.Nanosecond)
	before := s.get(t, "/ui/act", "act", string(act), "known_at", nano(early))
	if before.status != http.StatusBadRequest || !strings.Contains(before.body, "known_at "+nano(early)+" is before the ledger began (its first event was recorded at "+nano(start)+")") {
		t.Errorf("known_at a nanosecond before the ledger: %d %s, want 400 naming both times at full precision", before.status, before.body)
	}
}

// The law of 2009-12-10 changes the three codes in ways the seed does not
// detail: the act page says so, and claims nothing of the whole code.
func TestActPageAmendmentNotDetailed(t *testing.T) {
	s := mustSite(t)
	p := s.mustPage(t, "/ui/act", "act", "/akn/kz/act/2009-12-10/judicial-system-improvement", "as_of", "2010-06-30")
	p.has(t, "</code></a>: changes not detailed, with effect from 2009-12-10")
	p.hasNot(t, "unspecified", "substitution")
}
