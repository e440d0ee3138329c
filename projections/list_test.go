package projections_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// Acts of two jurisdictions for the List and Diff tests.
var (
	kzJury     events.ActID = "/akn/kz/act/2005-01-10/1"           // in force from 2005-06-01 (adopted before 2005-01-01)
	kzOld      events.ActID = "/akn/kz/act/1999-03-01/2"           // in force 2000, repealed from 2008-01-01 (recorded late)
	kzDecree   events.ActID = "/akn/kz/act/decree/2009-05-01/3"    // issued 2009, not commenced
	kzBill     events.ActID = "/akn/kz/bill/2006-01-01/4"          // a draft
	kzMoratory events.ActID = "/akn/kz/act/2001-01-01/5"           // in force 2001, suspended from 2009-01-01
	kzPlan     events.ActID = "/akn/kz/doc/programme/2004-12-01/6" // a programme 2005-2009, expired from 2010-01-01
	uzCode     events.ActID = "/akn/uz/act/code/2003-01-01/7"      // in force from 2003-06-01
)

// listLedger records the acts above; it returns the record time just
// before kzOld's repeal was recorded.
func listLedger(t *testing.T) (*ledger, *time.Time) {
	l := newLedger(t)
	l.adoptLaw(kzJury, events.Law, "2004-12-20")
	l.add(kzJury, `{"type":"commenced","date":"2004-12-20","effective_from":"2005-06-01"}`)
	l.adoptLaw(kzOld, events.Law, "1999-03-01")
	l.add(kzOld, `{"type":"commenced","date":"1999-03-01","effective_from":"2000-01-01"}`)
	l.adoptLaw(kzDecree, events.Decree, "2009-05-01")
	l.add(kzBill, `{"type":"drafted","date":"2006-01-01","body":{"title":"Bill","kind":"law"}}`)
	l.adoptLaw(kzMoratory, events.Law, "2001-01-01")
	l.add(kzMoratory, `{"type":"commenced","date":"2001-01-01","effective_from":"2001-01-01"}`)
	l.add(kzMoratory, `{"type":"suspended","date":"2008-12-01","effective_from":"2009-01-01"}`)
	l.adoptLaw(kzPlan, events.Programme, "2004-12-01")
	l.add(kzPlan, `{"type":"commenced","date":"2004-12-01","effective_from":"2005-01-01"}`)
	l.add(kzPlan, `{"type":"expired","date":"2010-01-01","effective_from":"2010-01-01"}`)
	l.adoptLaw(uzCode, events.CodeKind, "2003-01-01")
	l.add(uzCode, `{"type":"commenced","date":"2003-01-01","effective_from":"2003-06-01"}`)
	rep := l.add(kzOld, `{"type":"repealed","date":"2009-06-01","effective_from":"2008-01-01","instrument":"/akn/kz/act/2009-06-01/77"}`)
	return l, justBefore(rep)
}

type listRow struct {
	act    events.ActID
	status projections.Status
}

func rows(list []projections.ActState) []listRow {
	out := []listRow{}
	for _, s := range list {
		out = append(out, listRow{s.Act, s.Status})
	}
	return out
}

func TestList(t *testing.T) {
	l, beforeRepeal := listLedger(t)
	q := func(day string, known *time.Time) projections.Query {
		return projections.Query{AsOf: events.MustDate(day), KnownAt: known}
	}
	cases := []struct {
		name string
		f    projections.Filter
		q    projections.Query
		want []listRow
	}{
		{"kz on 2006-01-01", projections.Filter{Country: "kz"}, q("2006-01-01", nil), []listRow{
			{kzOld, inForce}, {kzMoratory, inForce}, {kzJury, inForce}, {kzDecree, notAdopted}, {kzBill, notAdopted}, {kzPlan, inForce}}},
		// kzOld was repealed with effect from 2008, but recorded in 2009:
		// as of 2006 it was in force. Identifier order puts
		// /akn/kz/act/1999... first.
		{"kz in force on 2006-01-01", projections.Filter{Country: "kz", Status: projections.InForce}, q("2006-01-01", nil), []listRow{
			{kzOld, inForce}, {kzMoratory, inForce}, {kzJury, inForce}, {kzPlan, inForce}}},
		{"uz on 2006-01-01", projections.Filter{Country: "uz"}, q("2006-01-01", nil), []listRow{{uzCode, inForce}}},
		{"uz on 2003-05-31", projections.Filter{Country: "uz"}, q("2003-05-31", nil), []listRow{{uzCode, adoptedNIF}}},
		{"a country with no act", projections.Filter{Country: "fr"}, q("2006-01-01", nil), []listRow{}},
		{"everywhere in force on 2009-06-01", projections.Filter{Status: projections.InForce}, q("2009-06-01", nil), []listRow{
			{kzJury, inForce}, {kzPlan, inForce}, {uzCode, inForce}}},
		{"suspended on 2009-06-01", projections.Filter{Status: projections.Suspended}, q("2009-06-01", nil), []listRow{{kzMoratory, suspended}}},
		{"repealed on 2009-06-01", projections.Filter{Status: projections.Repealed}, q("2009-06-01", nil), []listRow{{kzOld, repealed}}},
		{"repealed on 2009-06-01 as known before the repeal", projections.Filter{Status: projections.Repealed}, q("2009-06-01", beforeRepeal), []listRow{}},
		{"in force on 2009-06-01 as known before the repeal", projections.Filter{Country: "kz", Status: projections.InForce}, q("2009-06-01", beforeRepeal), []listRow{
			{kzOld, inForce}, {kzJury, inForce}, {kzPlan, inForce}}},
		{"decrees", projections.Filter{Kind: events.Decree}, q("2010-01-01", nil), []listRow{{kzDecree, adoptedNIF}}},
		{"codes in kz", projections.Filter{Country: "kz", Kind: events.CodeKind}, q("2010-01-01", nil), []listRow{}},
		{"programmes expired", projections.Filter{Kind: events.Programme, Status: projections.Expired}, q("2010-01-01", nil), []listRow{{kzPlan, expired}}},
		{"known before anything", projections.Filter{}, q("2010-01-01", at(0)), []listRow{}},
		{"known at the third event", projections.Filter{}, q("2010-01-01", at(3)), []listRow{{kzOld, adoptedNIF}, {kzJury, inForce}}},
	}
	for _, c := range cases {
		got, err := l.p.List(c.f, c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got == nil {
			t.Errorf("%s: nil, want an empty list", c.name)
		}
		if !reflect.DeepEqual(rows(got), c.want) {
			t.Errorf("%s: List(%+v, %s) =\n %v\nwant\n %v", c.name, c.f, c.q.AsOf, rows(got), c.want)
		}
		for _, s := range got {
			if s.Provisions != nil || s.AmendmentsReceived != nil {
				t.Errorf("%s: %s carries provisions or amendments", c.name, s.Act)
			}
			full := l.state(s.Act, c.q.AsOf.String(), c.q.KnownAt)
			if s.Reason != full.Reason || s.Version != full.Version || s.Title != full.Title || !reflect.DeepEqual(s.Dates, full.Dates) {
				t.Errorf("%s: the list's answer for %s differs from State's: %+v vs %+v", c.name, s.Act, s, full)
			}
		}
	}
}

func TestDiff(t *testing.T) {
	l, beforeRepeal := listLedger(t)
	from, to := events.MustDate("2005-01-01"), events.MustDate("2010-01-01")
	got, err := l.p.Diff(from, to, projections.Filter{Country: "kz"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	title := func(id events.ActID) string { return "Act " + string(id) }
	want := []projections.Change{
		{Act: kzOld, Title: title(kzOld), Before: inForce, After: repealed, LeftForce: true},
		{Act: kzMoratory, Title: title(kzMoratory), Before: inForce, After: suspended},
		{Act: kzJury, Title: title(kzJury), Before: adoptedNIF, After: inForce, EnteredForce: true},
		{Act: kzDecree, Title: title(kzDecree), Before: notAdopted, After: adoptedNIF},
		{Act: kzPlan, Title: title(kzPlan), Before: inForce, After: expired, LeftForce: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Diff(2005-01-01, 2010-01-01, kz) =\n %+v\nwant\n %+v", got, want)
	}

	// Backwards, the flags swap.
	back, _ := l.p.Diff(to, from, projections.Filter{Country: "kz"}, nil)
	for i, c := range back {
		w := want[i]
		if c.Act != w.Act || c.Before != w.After || c.After != w.Before || c.EnteredForce != w.LeftForce || c.LeftForce != w.EnteredForce {
			t.Errorf("backwards change %+v, want the reverse of %+v", c, w)
		}
	}

	// As known before the repeal was recorded, kzOld did not change.
	got, _ = l.p.Diff(from, to, projections.Filter{Country: "kz"}, beforeRepeal)
	for _, c := range got {
		if c.Act == kzOld {
			t.Errorf("known before its repeal was recorded, %s changed: %+v", kzOld, c)
		}
	}
	if len(got) != 4 {
		t.Errorf("known before the repeal: %d changes, want 4", len(got))
	}

	// Another country; a kind; Filter.Status is ignored.
	got, _ = l.p.Diff(events.MustDate("2003-01-01"), to, projections.Filter{Country: "uz", Status: projections.Repealed}, nil)
	if want := []projections.Change{{Act: uzCode, Title: title(uzCode), Before: adoptedNIF, After: inForce, EnteredForce: true}}; !reflect.DeepEqual(got, want) {
		t.Errorf("Diff(uz) = %+v, want %+v", got, want)
	}
	got, _ = l.p.Diff(from, to, projections.Filter{Kind: events.Programme}, nil)
	if len(got) != 1 || got[0].Act != kzPlan {
		t.Errorf("Diff(programmes) = %+v", got)
	}
	// One day to itself: nothing changed, an empty list.
	got, err = l.p.Diff(to, to, projections.Filter{}, nil)
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("Diff(d, d) = %v, %v; want an empty list", got, err)
	}
	// Every jurisdiction: the kz changes then the uz one.
	got, _ = l.p.Diff(events.MustDate("2003-01-01"), to, projections.Filter{}, nil)
	var acts []events.ActID
	for _, c := range got {
		acts = append(acts, c.Act)
	}
	if !slices.Equal(acts, []events.ActID{kzOld, kzMoratory, kzJury, kzDecree, kzPlan, uzCode}) {
		t.Errorf("Diff(all) acts %v", acts)
	}
}

func TestListEmptyProjection(t *testing.T) {
	p := projections.New()
	list, err := p.List(projections.Filter{}, projections.Query{AsOf: events.MustDate("2010-01-01")})
	if err != nil || list == nil || len(list) != 0 {
		t.Errorf("List on an empty projection = %v, %v; want an empty list", list, err)
	}
	changes, err := p.Diff(events.MustDate("2000-01-01"), events.MustDate("2010-01-01"), projections.Filter{}, nil)
	if err != nil || changes == nil || len(changes) != 0 {
		t.Errorf("Diff on an empty projection = %v, %v; want an empty list", changes, err)
	}
	if p.LastSeq() != 0 || p.Events() != 0 {
		t.Errorf("an empty projection at %d with %d events", p.LastSeq(), p.Events())
	}
}
