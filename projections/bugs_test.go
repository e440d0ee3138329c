package projections_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// Same-day events order by their position in the ledger (docs/PROJECTIONS.md): a
// re-enactment recorded after a repeal and taking effect the same day
// restores the act from that day.
func TestBugSameDayReenactment(t *testing.T) {
	l := newLedger(t)
	l.adoptLaw(law2009, events.Law, "2009-12-10")
	l.add(law2009, `{"type":"commenced","date":"2009-12-10","effective_from":"2010-01-01"}`)
	l.add(law2009, `{"type":"repealed","date":"2011-12-01","effective_from":"2012-01-01"}`)
	l.add(law2009, `{"type":"reenacted","date":"2011-12-20","effective_from":"2012-01-01"}`)
	l.check(law2009, nil,
		want{asOf: "2011-12-31", status: inForce},
		want{asOf: "2012-01-01", status: inForce, reason: "in force from 2010-01-01"},
		want{asOf: "2020-01-01", status: inForce})
	if d, ok := l.state(law2009, "2020-01-01", nil).Dates["no_longer_in_force"]; ok {
		t.Errorf("no_longer_in_force = %s, want none: the act was re-enacted", d)
	}
}

// A commencement_postponed "replaces the commencements of the provisions it
// names" (docs/PROJECTIONS.md): postponing art_1 must not un-commence the
// rest of the act.
func TestBugPostponementOfSomeProvisions(t *testing.T) {
	l := newLedger(t)
	l.adoptLaw(law2009, events.Law, "2007-12-10")
	l.add(law2009, `{"type":"commenced","date":"2007-12-10","effective_from":"2008-01-01"}`)
	l.add(law2009, `{"type":"commencement_postponed","date":"2007-12-20","effective_from":"2009-01-01","provisions":["art_1"]}`)
	l.add(refugees, `{"type":"adopted","date":"2007-12-10","body":{"title":"Refugees","kind":"law","texts":{"art_1":"a","art_2":"b","art_3":"c"}}}`)
	l.add(refugees, `{"type":"commenced","date":"2007-12-10","effective_from":"2008-01-01","provisions":["art_1","art_2"]}`)
	l.add(refugees, `{"type":"commencement_postponed","date":"2007-12-20","provisions":["art_1"],"body":{"reason":"prospective"}}`)

	s := l.state(law2009, "2008-06-01", nil)
	if s.Status != partially {
		t.Errorf("%s on 2008-06-01 = %s (%s), want partially_in_force: all but art_1 commenced on 2008-01-01", law2009, s.Status, s.Reason)
	}
	l.check(law2009, nil, want{asOf: "2009-01-01", status: inForce})
	if p := provision(t, l.state(law2009, "2008-06-01", nil), "art_1"); p.Status != projections.ProvisionNotInForce {
		t.Errorf("art_1 on 2008-06-01 = %+v, want not in force (postponed to 2009-01-01)", p)
	}
	s = l.state(refugees, "2008-06-01", nil)
	if s.Status != partially {
		t.Errorf("%s on 2008-06-01 = %s (%s), want partially_in_force: art_2 commenced on 2008-01-01", refugees, s.Status, s.Reason)
	}
	if p := provision(t, s, "art_2"); p.Status != projections.ProvisionInForce {
		t.Errorf("art_2 on 2008-06-01 = %+v, want in force: only art_1 was postponed", p)
	}
	if p := provision(t, s, "art_1"); p.Status != projections.ProvisionNotInForce {
		t.Errorf("art_1 on 2008-06-01 = %+v, want not in force (prospective)", p)
	}
}

// A suspension_lifted ends the suspension that the ledger's validator found
// active on that day (events.State.activeSuspension), not a later one that
// had already run out.
func TestBugLiftOfAnEndedSuspension(t *testing.T) {
	l := newLedger(t)
	l.adoptLaw(criminalCode, events.CodeKind, "1997-07-16")
	l.add(criminalCode, `{"type":"commenced","date":"1997-07-16","effective_from":"1998-01-01"}`)
	l.add(criminalCode, `{"type":"suspended","date":"2000-01-01","effective_from":"2000-01-01"}`)
	l.add(criminalCode, `{"type":"suspended","date":"2003-01-01","effective_from":"2003-01-01","effective_to":"2004-01-01"}`)
	l.add(criminalCode, `{"type":"suspension_lifted","date":"2005-01-01","effective_from":"2005-01-01"}`)
	l.check(criminalCode, nil,
		want{asOf: "2004-06-01", status: suspended, reason: "suspended from 2000-01-01"},
		want{asOf: "2005-01-01", status: inForce, reason: "in force from 1998-01-01"})
}

// The text of a provision on a day is "the latest version dated <= D"
// (docs/PROJECTIONS.md), not the one recorded last.
func TestBugTextVersionsByDate(t *testing.T) {
	l := newLedger(t)
	l.add(criminalCode, `{"type":"adopted","date":"1997-07-16","body":{"title":"Criminal Code","kind":"code","texts":{"art_1":"1997"}}}`)
	l.add(criminalCode, `{"type":"commenced","date":"1997-07-16","effective_from":"1998-01-01"}`)
	l.add(criminalCode, `{"type":"amended","date":"2009-12-10","effective_from":"2010-01-01","instrument":"`+string(law2009)+`","provisions":["art_1"],"body":{"effect":"substitution","texts":{"art_1":"2010"}}}`)
	l.add(criminalCode, `{"type":"amended","date":"2004-12-10","effective_from":"2005-01-01","instrument":"/akn/kz/act/2004-12-10/1","provisions":["art_1"],"body":{"effect":"substitution","texts":{"art_1":"2005"}}}`)
	for day, text := range map[string]string{"2000-01-01": "1997", "2006-01-01": "2005", "2012-01-01": "2010"} {
		if p := provision(t, l.state(criminalCode, day, nil), "art_1"); p.Text != text {
			t.Errorf("art_1 on %s = %q (from %s), want %q", day, p.Text, p.TextFrom, text)
		}
	}
}

// An act repealed before its commencement never entered into force: it has
// no first_in_force (ELI's first_date_entry_in_force).
func TestBugFirstInForceOfAnActNeverInForce(t *testing.T) {
	l := newLedger(t)
	l.adoptLaw(juryLaw, events.Law, "2005-03-01")
	l.add(juryLaw, `{"type":"commenced","date":"2005-03-01","effective_from":"2010-01-01"}`)
	l.add(juryLaw, `{"type":"repealed","date":"2008-12-01","effective_from":"2009-01-01"}`)
	if d, ok := l.state(juryLaw, "2010-01-01", nil).Dates["first_in_force"]; ok {
		t.Errorf("first_in_force = %s, want none: the act was repealed before it commenced", d)
	}
}

// List documents "in identifier order"; with every jurisdiction it orders by
// country first, and "/akn/za-cpt/..." sorts before "/akn/za/...".
func TestBugListOrderAcrossSubdivisions(t *testing.T) {
	l := newLedger(t)
	za, cpt := events.ActID("/akn/za/act/1996-12-10/108"), events.ActID("/akn/za-cpt/act/2009-01-01/1")
	l.adoptLaw(za, events.Constitution, "1996-12-10")
	l.adoptLaw(cpt, events.Regulation, "2009-01-01")
	list, err := l.p.List(projections.Filter{}, projections.Query{AsOf: events.MustDate("2010-01-01")})
	if err != nil {
		t.Fatal(err)
	}
	var got []events.ActID
	for _, s := range list {
		got = append(got, s.Act)
	}
	if want := []events.ActID{cpt, za}; !slices.Equal(got, want) {
		t.Errorf("List = %v, want identifier order %v", got, want)
	}
}

// An amendment whose instrument is corrected by record_corrected belongs to
// the corrected instrument's AmendmentsMade.
func TestBugAmendmentsMadeAfterInstrumentCorrection(t *testing.T) {
	l := newLedger(t)
	l.adoptLaw(law2009, events.Law, "2009-12-10")
	l.adoptLaw(refugees, events.Law, "2009-12-04")
	l.adoptLaw(criminalCode, events.CodeKind, "1997-07-16")
	l.add(criminalCode, `{"type":"commenced","date":"1997-07-16","effective_from":"1998-01-01"}`)
	a := l.add(criminalCode, `{"type":"amended","date":"2009-12-10","effective_from":"2010-01-01","instrument":"`+string(refugees)+`","provisions":["art_1"],"body":{"effect":"substitution"}}`)
	l.add(criminalCode, `{"type":"record_corrected","date":"2010-02-01","body":{"corrects":"`+a.ID.String()+`","correction":{"instrument":"`+string(law2009)+`"},"reason":"wrong instrument"}}`)
	if s := l.state(refugees, "2011-01-01", nil); len(s.AmendmentsMade) != 0 {
		t.Errorf("%s amendments_made = %+v, want none after the correction", refugees, s.AmendmentsMade)
	}
	if s := l.state(law2009, "2011-01-01", nil); len(s.AmendmentsMade) != 1 || s.AmendmentsMade[0].Target != criminalCode {
		t.Errorf("%s amendments_made = %+v, want the criminal code's amendment", law2009, s.AmendmentsMade)
	}
}

// The law date is the adoption, else the ratification or accession, else
// (acts adopted when issued) the signature: the date from which the
// validator's rule 4 (retroactive_unflagged) counts. The projection takes
// whichever of them was recorded first.
func TestBugLawDateByRecordOrder(t *testing.T) {
	l := newLedger(t)
	l.add(catTreaty, `{"type":"drafted","date":"1984-12-10","body":{"title":"Convention against Torture","kind":"treaty"}}`)
	l.add(catTreaty, `{"type":"signed","date":"2003-12-02"}`)
	l.add(catTreaty, `{"type":"ratified","date":"2005-01-24"}`)
	l.refused(catTreaty, `{"type":"commenced","date":"2005-01-24","effective_from":"2004-06-01"}`, events.RuleRetroactiveUnflagged)
	l.check(catTreaty, nil,
		want{asOf: "2004-06-01", status: notAdopted, reason: "adopted later, on 2005-01-24"},
		want{asOf: "2005-01-24", status: adoptedNIF, reason: "ratified on 2005-01-24, not commenced"})

	l.add(decree2010, `{"type":"drafted","date":"2010-08-01","body":{"title":"Decree","kind":"decree"}}`)
	l.add(decree2010, `{"type":"signed","date":"2010-08-20"}`)
	l.add(decree2010, `{"type":"adopted","date":"2010-08-17"}`)
	l.add(decree2010, `{"type":"commenced","date":"2010-08-17","effective_from":"2010-08-18"}`) // not retroactive for the validator
	l.check(decree2010, nil,
		want{asOf: "2010-08-17", status: adoptedNIF, reason: "adopted on 2010-08-17, not commenced"},
		want{asOf: "2010-08-18", status: inForce, reason: "in force from 2010-08-18"})
}

// "Uncertain lists the boundaries known only to the month or year whose
// span includes as_of": two such boundaries that start on the same day are
// both uncertain.
func TestBugUncertainBoundariesOfOneFirstDay(t *testing.T) {
	l := newLedger(t)
	l.adoptLaw(law2009, events.Law, "2009-06-01")
	l.add(law2009, `{"type":"commenced","date":"2009-06-01","effective_from":"2010"}`)
	l.add(law2009, `{"type":"suspended","date":"2009-12-01","effective_from":"2010-01","effective_to":"2010-03"}`)
	s := l.state(law2009, "2010-01-15", nil)
	got := dateStrings(s.Uncertain)
	slices.Sort(got)
	if want := []string{"2010", "2010-01"}; !slices.Equal(got, want) {
		t.Errorf("uncertain on 2010-01-15 = %v, want %v", got, want)
	}
}

// A damaged snapshot is refused with an error (the projector then rebuilds
// from the stream), never a panic.
func TestBugReadSnapshotOfADamagedLine(t *testing.T) {
	l, _ := listLedger(t)
	data := writeSnapshot(t, l.p)
	header, rest, _ := strings.Cut(string(data), "\n")
	lines := strings.Split(strings.TrimSuffix(rest, "\n"), "\n")
	// The acts' blocks interleaved: the last line moved to the front.
	interleaved := header + "\n" + lines[len(lines)-1] + "\n" + strings.Join(lines[:len(lines)-1], "\n") + "\n"
	for name, s := range map[string]string{
		"an event without act": header + "\n" + `{"seq":1,"event":{}}` + "\n",
		"interleaved acts":     interleaved,
	} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s: ReadSnapshot panicked: %v", name, r)
				}
			}()
			if p, err := projections.ReadSnapshot(strings.NewReader(s)); err == nil {
				t.Errorf("%s: ReadSnapshot accepted it (digest %s, want %s)", name, p.Digest(), l.p.Digest())
			}
		}()
	}
}
