package projections_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

func d(s string) events.Date { return events.MustDate(s) }

// TestTimelineFullLife: adopted, commenced, suspended, lifted, repealed,
// with provision-level effects, a corrected event and a retracted one.
func TestTimelineFullLife(t *testing.T) {
	l := newLedger(t)
	adopted := l.add(law2009, `{"type":"adopted","date":"2009-12-10","body":{"title":"Law amending three codes","kind":"law","texts":{"art_1":"one","art_2":"two"}}}`)
	signed := l.add(law2009, `{"type":"signed","date":"2009-12-12"}`)
	pub := l.add(law2009, `{"type":"published","date":"2009-12-30","body":{"gazette":"Gazette 5"}}`)
	fix := l.add(law2009, `{"type":"record_corrected","date":"2010-01-05","body":{"corrects":"`+pub.ID.String()+`","correction":{"date":"2009-12-15"},"reason":"misread"}}`)
	com := l.add(law2009, `{"type":"commenced","date":"2009-12-12","effective_from":"2010-01-01"}`)
	psus := l.add(law2009, `{"type":"suspended","date":"2010-05-01","effective_from":"2010-06-01","effective_to":"2010-09-01","provisions":["art_1"]}`)
	sus := l.add(law2009, `{"type":"suspended","date":"2010-12-20","effective_from":"2011-01-01"}`)
	lift := l.add(law2009, `{"type":"suspension_lifted","date":"2011-06-20","effective_from":"2011-07-01"}`)
	prep := l.add(law2009, `{"type":"amended","date":"2011-12-01","effective_from":"2012-01-01","instrument":"/akn/kz/act/2011-12-01/9","provisions":["art_2"],"body":{"effect":"repeal"}}`)
	exp := l.add(law2009, `{"type":"expired","date":"2012-06-01","effective_from":"2012-06-01"}`)
	retr := l.add(law2009, `{"type":"record_retracted","date":"2012-07-01","body":{"retracts":"`+exp.ID.String()+`","reason":"it is not a programme"}}`)
	rep := l.add(law2009, `{"type":"repealed","date":"2012-12-01","effective_from":"2013-01-01","instrument":"/akn/kz/act/2012-12-01/3"}`)

	tl, err := l.p.Timeline(law2009, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tl.Act != law2009 || tl.Title != "Law amending three codes" || tl.KnownAt != nil {
		t.Errorf("timeline header %s %q %v", tl.Act, tl.Title, tl.KnownAt)
	}
	// Opened and Closed name the events whose dates open and close each
	// interval: the adoption ends "not adopted" and opens "adopted, not in
	// force"; the lift, not the commencement, ends the suspension.
	want := []projections.Interval{
		{To: d("2009-12-10"), Status: notAdopted, Reason: "adopted later, on 2009-12-10", Closed: ids(adopted)},
		{From: d("2009-12-10"), To: d("2010-01-01"), Status: adoptedNIF, Reason: "adopted on 2009-12-10, not commenced", Opened: ids(adopted), Closed: ids(com)},
		{From: d("2010-01-01"), To: d("2011-01-01"), Status: inForce, Reason: "in force from 2010-01-01", Opened: ids(com), Closed: ids(sus)},
		{From: d("2011-01-01"), To: d("2011-07-01"), Status: suspended, Reason: "suspended from 2011-01-01", Opened: ids(sus), Closed: ids(lift)},
		{From: d("2011-07-01"), To: d("2013-01-01"), Status: inForce, Reason: "in force from 2010-01-01", Opened: ids(lift), Closed: ids(rep)},
		{From: d("2013-01-01"), Status: repealed, Reason: "repealed with effect from 2013-01-01", Opened: ids(rep)},
	}
	if !reflect.DeepEqual(tl.Intervals, want) {
		t.Errorf("intervals:\n got %+v\nwant %+v", tl.Intervals, want)
	}

	wantProv := map[string][]projections.ProvisionInterval{
		"art_1": {
			{To: d("2010-01-01"), Status: projections.ProvisionNotInForce},
			{From: d("2010-01-01"), To: d("2010-06-01"), Status: projections.ProvisionInForce},
			{From: d("2010-06-01"), To: d("2010-09-01"), Status: projections.ProvisionSuspended},
			{From: d("2010-09-01"), To: d("2011-01-01"), Status: projections.ProvisionInForce},
			{From: d("2011-01-01"), To: d("2011-07-01"), Status: projections.ProvisionSuspended}, // the whole act's suspension
			{From: d("2011-07-01"), To: d("2013-01-01"), Status: projections.ProvisionInForce},
			{From: d("2013-01-01"), Status: projections.ProvisionNotInForce},
		},
		"art_2": {
			{To: d("2010-01-01"), Status: projections.ProvisionNotInForce},
			{From: d("2010-01-01"), To: d("2011-01-01"), Status: projections.ProvisionInForce},
			{From: d("2011-01-01"), To: d("2011-07-01"), Status: projections.ProvisionSuspended},
			{From: d("2011-07-01"), To: d("2012-01-01"), Status: projections.ProvisionInForce},
			{From: d("2012-01-01"), Status: projections.ProvisionNotInForce},
		},
	}
	if !reflect.DeepEqual(tl.Provisions, wantProv) {
		t.Errorf("provision intervals:\n got %+v\nwant %+v", tl.Provisions, wantProv)
	}

	all := []events.Event{adopted, signed, pub, fix, com, psus, sus, lift, prep, exp, retr, rep}
	notEffective := map[events.ID]bool{fix.ID: true, exp.ID: true, retr.ID: true}
	if len(tl.Events) != len(all) {
		t.Fatalf("%d events, want %d", len(tl.Events), len(all))
	}
	for i, e := range all {
		got := tl.Events[i]
		wantEv := projections.TimelineEvent{Seq: uint64(i + 1), ID: e.ID, Type: e.Type, Date: e.Date,
			Effective: !notEffective[e.ID], RecordedAt: e.RecordedAt, RecordedBy: "clerk@test"}
		if got != wantEv {
			t.Errorf("event %d = %+v, want %+v", i, got, wantEv)
		}
	}
	// The corrected event keeps its date as recorded in the event list.
	if tl.Events[2].Date.String() != "2009-12-30" {
		t.Errorf("published as listed: %s, want the recorded 2009-12-30", tl.Events[2].Date)
	}
	if got := l.state(law2009, "2010-01-01", nil).Dates["published"]; got.String() != "2009-12-15" {
		t.Errorf("published date in the state: %s, want the corrected 2009-12-15", got)
	}

	// Known before the retraction, the expiry is in effect and in the list.
	tl, err = l.p.Timeline(law2009, justBefore(retr))
	if err != nil {
		t.Fatal(err)
	}
	last := tl.Intervals[len(tl.Intervals)-1]
	if last.Status != expired || last.From.String() != "2012-06-01" || !last.To.IsZero() {
		t.Errorf("known before the retraction, last interval = %+v, want expired from 2012-06-01", last)
	}
	if len(tl.Events) != 10 || !tl.Events[9].Effective || tl.Events[9].ID != exp.ID {
		t.Errorf("known before the retraction: %d events, the last %+v", len(tl.Events), tl.Events[len(tl.Events)-1])
	}
	if tl.KnownAt == nil || !tl.KnownAt.Equal(*justBefore(retr)) {
		t.Errorf("known_at = %v, want it echoed", tl.KnownAt)
	}

	// Known before the correction, the event list is a prefix and the
	// correction is not there.
	tl, err = l.p.Timeline(law2009, justBefore(fix))
	if err != nil {
		t.Fatal(err)
	}
	if len(tl.Events) != 3 || !slices.Equal([]projections.Status{notAdopted, adoptedNIF}, statuses(tl.Intervals)) {
		t.Errorf("known before the correction: %+v", tl)
	}
}

func statuses(ivs []projections.Interval) []projections.Status {
	var out []projections.Status
	for _, iv := range ivs {
		out = append(out, iv.Status)
	}
	return out
}

// TestTimelineUncertainBoundaries: interval boundaries keep their
// precision.
func TestTimelineUncertainBoundaries(t *testing.T) {
	l := newLedger(t)
	l.adoptLaw(criminalCode, events.CodeKind, "1997-07-16")
	l.add(criminalCode, `{"type":"commenced","date":"1997-07-16","effective_from":"1998-01-01"}`)
	l.add(criminalCode, `{"type":"suspended","date":"2003-12","effective_from":"2003-12","effective_to":"2009-07"}`)
	tl, err := l.p.Timeline(criminalCode, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, iv := range tl.Intervals {
		got = append(got, iv.From.String()+".."+iv.To.String()+" "+string(iv.Status))
	}
	want := []string{"..1997-07-16 not_adopted", "1997-07-16..1998-01-01 adopted_not_in_force", "1998-01-01..2003-12 in_force",
		"2003-12..2009-07 in_force_suspended", "2009-07.. in_force"}
	if !slices.Equal(got, want) {
		t.Errorf("intervals %v, want %v", got, want)
	}
}

// TestTimelinePartialCommencement: provision intervals of a partial
// commencement, then the whole act.
func TestTimelinePartialCommencement(t *testing.T) {
	l := newLedger(t)
	l.adoptLaw(refugees, events.Law, "2009-12-04")
	l.add(refugees, `{"type":"commenced","date":"2009-12-04","effective_from":"2009-12-04","provisions":["art_18"]}`)
	l.add(refugees, `{"type":"commenced","date":"2009-12-04","effective_from":"2010-01-01"}`)
	l.add(refugees, `{"type":"repealed","date":"2010-12-20","effective_from":"2011-01-01","provisions":["art_5"]}`)
	tl, err := l.p.Timeline(refugees, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := statuses(tl.Intervals); !slices.Equal(got, []projections.Status{notAdopted, partially, inForce}) {
		t.Errorf("statuses %v", got)
	}
	want := map[string][]projections.ProvisionInterval{
		"art_18": {{To: d("2009-12-04"), Status: "not_in_force"}, {From: d("2009-12-04"), Status: "in_force"}},
		"art_5": {{To: d("2010-01-01"), Status: "not_in_force"}, {From: d("2010-01-01"), To: d("2011-01-01"), Status: "in_force"},
			{From: d("2011-01-01"), Status: "not_in_force"}},
	}
	if !reflect.DeepEqual(tl.Provisions, want) {
		t.Errorf("provisions %+v, want %+v", tl.Provisions, want)
	}
}

// TestTimelineOfADraft: a bill that never became law has one interval.
func TestTimelineOfADraft(t *testing.T) {
	l := newLedger(t)
	l.add(draft3471, `{"type":"drafted","date":"2009-10-15","body":{"title":"Draft","kind":"law"}}`)
	l.add(draft3471, `{"type":"withdrawn","date":"2010-02-01","body":{"reason":"superseded"}}`)
	tl, err := l.p.Timeline(draft3471, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []projections.Interval{{Status: notAdopted, Reason: "withdrawn on 2010-02-01"}}
	if !reflect.DeepEqual(tl.Intervals, want) || tl.Provisions != nil || len(tl.Events) != 2 {
		t.Errorf("timeline %+v, want one interval %+v", tl, want)
	}
}
