package consolidation

import (
	"cmp"
	"slices"

	"github.com/lexledger/lexledger/events"
)

// Version is a day on which an act's text or force changed, and the events
// that changed it.
type Version struct {
	Date events.Date `json:"date"`
	// Text is set when textual changes took effect that day; Force when a
	// commencement, suspension, repeal or another change of force did.
	Text   bool         `json:"text"`
	Force  bool         `json:"force"`
	Events []VersionRef `json:"events"`
}

// VersionRef is one event behind a version.
type VersionRef struct {
	Event      events.ID    `json:"event"`
	Type       events.Type  `json:"type"`
	Instrument events.ActID `json:"instrument,omitempty"`
	Provisions []string     `json:"provisions,omitempty"`
	// Outstanding is set for an amendment recorded without its textual
	// changes: the law changed that day, the text does not show how.
	Outstanding bool `json:"outstanding,omitempty"`
}

// Versions returns the days on which the act's text or force changed, in
// order, from its events as the record stood (as Build takes them): the
// effective dates of its commencements, amendments, suspensions and their
// ends, repeals, expiries, annulments and re-enactments, and the dates of
// its corrigenda. The point-in-time version on a day is the latest one at
// or before it.
func Versions(history []events.Event) []Version {
	type at struct {
		day  events.DayNum
		date events.Date
		ref  VersionRef
		text bool
	}
	var all []at
	add := func(d events.Date, e *events.Event, text, outstanding bool) {
		if d.IsZero() {
			return
		}
		all = append(all, at{d.Earliest(), d, VersionRef{Event: e.ID, Type: e.Type, Instrument: e.Instrument,
			Provisions: e.Provisions, Outstanding: outstanding}, text})
	}
	for i := range history {
		e := &history[i]
		switch e.Type {
		case events.Amended:
			add(e.EffectiveFrom, e, hasText(e), !hasText(e))
		case events.Corrigendum:
			if len(e.Body.Texts) > 0 {
				add(e.Date, e, true, false)
			}
		case events.Commenced, events.CommencementPostponed, events.SuspensionLifted, events.Repealed,
			events.Expired, events.Annulled, events.Reenacted:
			add(e.EffectiveFrom, e, false, false)
		case events.Suspended:
			add(e.EffectiveFrom, e, false, false)
			add(e.EffectiveTo, e, false, false)
		}
	}
	slices.SortStableFunc(all, func(a, b at) int { return cmp.Compare(a.day, b.day) })
	var out []Version
	for _, a := range all {
		if n := len(out); n > 0 && out[n-1].Date.Earliest() == a.day {
			v := &out[n-1]
			v.Text = v.Text || a.text
			v.Force = v.Force || !a.text && !a.ref.Outstanding
			v.Events = append(v.Events, a.ref)
			continue
		}
		out = append(out, Version{Date: a.date, Text: a.text, Force: !a.text && !a.ref.Outstanding, Events: []VersionRef{a.ref}})
	}
	return out
}
