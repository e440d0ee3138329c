package projections_test

import (
	"slices"
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

const (
	notAdopted = projections.NotAdopted
	adoptedNIF = projections.AdoptedNotInForce
	partially  = projections.PartiallyInForce
	inForce    = projections.InForce
	suspended  = projections.Suspended
	repealed   = projections.Repealed
	expired    = projections.Expired
	annulled   = projections.Annulled
)

// adoptLaw records the creation of a law: adopted on date (with the title
// and kind the first event carries).
func (l *ledger) adoptLaw(act events.ActID, kind events.Kind, date string) events.Event {
	l.t.Helper()
	return l.add(act, `{"type":"adopted","date":"`+date+`","body":{"title":"Act `+string(act)+`","kind":"`+string(kind)+`"}}`)
}

// recordTime returns a pointer to e's record time, for Query.KnownAt.
func recordTime(e events.Event) *time.Time { t := e.RecordedAt; return &t }

// justBefore returns a pointer to the instant before e was recorded.
func justBefore(e events.Event) *time.Time { t := e.RecordedAt.Add(-time.Nanosecond); return &t }

// edgeCase is one life of an act and what the projection must answer about
// it. build returns named record times that the wants refer to.
type edgeCase struct {
	name  string
	act   events.ActID
	build func(l *ledger) map[string]*time.Time
	wants []want
	// more checks the full answers (provisions, amendments, dates).
	more func(t *testing.T, l *ledger, known map[string]*time.Time)
}

func TestEdgeCases(t *testing.T) {
	for _, c := range edgeCases() {
		t.Run(c.name, func(t *testing.T) {
			l := newLedger(t)
			known := c.build(l)
			l.check(c.act, known, c.wants...)
			if c.more != nil {
				c.more(t, l, known)
			}
		})
	}
}

func edgeCases() []edgeCase {
	return []edgeCase{
		{
			// docs/EVENTS.md allows a repeal before commencement. The ledger
			// refuses a commencement recorded after the repeal and dated
			// after it (after_repeal), so the commencement comes first in
			// the record and the repeal, dated before it, after.
			name: "repeal before commencement",
			act:  juryLaw,
			build: func(l *ledger) map[string]*time.Time {
				l.adoptLaw(juryLaw, events.Law, "2005-03-01")
				l.add(juryLaw, `{"type":"commenced","date":"2005-03-01","effective_from":"2010-01-01"}`)
				l.add(juryLaw, `{"type":"repealed","date":"2008-12-01","effective_from":"2009-01-01","instrument":"/akn/kz/act/2008-12-01/99"}`)
				l.refused(juryLaw, `{"type":"commenced","date":"2009-06-01","effective_from":"2011-01-01"}`, events.RuleAfterRepeal)
				return nil
			},
			wants: []want{
				{asOf: "2005-02-28", status: notAdopted, reason: "adopted later, on 2005-03-01"},
				{asOf: "2005-03-01", status: adoptedNIF, reason: "adopted on 2005-03-01, not commenced"},
				{asOf: "2008-12-31", status: adoptedNIF, reason: "adopted on 2005-03-01, not commenced"},
				{asOf: "2009-01-01", status: repealed, reason: "repealed with effect from 2009-01-01"},
				{asOf: "2010-01-01", status: repealed, reason: "repealed with effect from 2009-01-01"},
				{asOf: "2020-01-01", status: repealed, reason: "repealed with effect from 2009-01-01"},
			},
			more: func(t *testing.T, l *ledger, _ map[string]*time.Time) {
				s := l.state(juryLaw, "2010-01-01", nil)
				if got := s.Dates["no_longer_in_force"]; got.String() != "2009-01-01" {
					t.Errorf("no_longer_in_force = %q, want 2009-01-01", got)
				}
			},
		},
		{
			name: "amendment of an act not yet in force",
			act:  procedureCode,
			build: func(l *ledger) map[string]*time.Time {
				l.add(procedureCode, `{"type":"adopted","date":"1997-12-13","body":{"title":"Criminal Procedure Code","kind":"code","texts":{"art_347-1":"original text"}}}`)
				l.add(procedureCode, `{"type":"commenced","date":"1997-12-13","effective_from":"1998-07-01"}`)
				l.add(procedureCode, `{"type":"amended","date":"1998-02-20","effective_from":"1998-03-01","instrument":"/akn/kz/act/1998-02-20/5","provisions":["art_347-1"],"body":{"effect":"substitution","texts":{"art_347-1":"amended text"}}}`)
				return nil
			},
			wants: []want{
				{asOf: "1998-02-28", status: adoptedNIF},
				{asOf: "1998-03-01", status: adoptedNIF, reason: "adopted on 1997-12-13, not commenced"},
				{asOf: "1998-07-01", status: inForce, reason: "in force from 1998-07-01"},
			},
			more: func(t *testing.T, l *ledger, _ map[string]*time.Time) {
				before := l.state(procedureCode, "1998-02-28", nil)
				if len(before.AmendmentsReceived) != 0 {
					t.Errorf("on 1998-02-28 amendments_received = %+v, want none (it takes effect on 1998-03-01)", before.AmendmentsReceived)
				}
				p := provision(t, before, "art_347-1")
				if p.Status != projections.ProvisionNotInForce || p.Text != "original text" || p.TextFrom.String() != "1997-12-13" {
					t.Errorf("on 1998-02-28 art_347-1 = %+v, want not in force with the text adopted on 1997-12-13", p)
				}
				s := l.state(procedureCode, "1998-04-01", nil)
				if len(s.AmendmentsReceived) != 1 {
					t.Fatalf("on 1998-04-01, before commencement, amendments_received = %+v, want the amendment of 1998-03-01", s.AmendmentsReceived)
				}
				a := s.AmendmentsReceived[0]
				if a.Instrument != "/akn/kz/act/1998-02-20/5" || a.Effect != events.Substitution || !slices.Equal(a.Provisions, []string{"art_347-1"}) || a.EffectiveFrom.String() != "1998-03-01" {
					t.Errorf("amendment = %+v", a)
				}
				p = provision(t, s, "art_347-1")
				if p.Status != projections.ProvisionNotInForce || p.InForce || p.Text != "amended text" || p.TextFrom.String() != "1998-03-01" {
					t.Errorf("on 1998-04-01 art_347-1 = %+v, want not in force, with the amended text from 1998-03-01", p)
				}
				p = provision(t, l.state(procedureCode, "1998-07-01", nil), "art_347-1")
				if p.Status != projections.ProvisionInForce || !p.InForce || p.Text != "amended text" {
					t.Errorf("on 1998-07-01 art_347-1 = %+v, want in force with the amended text", p)
				}
			},
		},
		{
			// A retroactive commencement puts the act in force from its
			// date, before its adoption (docs/PROJECTIONS.md: a retroactive law makes
			// "in force on D" differ from "as known at T").
			name: "retroactive commencement",
			act:  refugees,
			build: func(l *ledger) map[string]*time.Time {
				l.adoptLaw(refugees, events.Law, "2009-12-04")
				l.refused(refugees, `{"type":"commenced","date":"2009-12-04","effective_from":"2009-07-01"}`, events.RuleRetroactiveUnflagged)
				l.add(refugees, `{"type":"commenced","date":"2009-12-04","effective_from":"2009-07-01","retroactive":true}`)
				return nil
			},
			wants: []want{
				{asOf: "2009-06-30", status: notAdopted, reason: "adopted later, on 2009-12-04"},
				{asOf: "2009-07-01", status: inForce, reason: "in force from 2009-07-01"},
				{asOf: "2009-12-03", status: inForce, reason: "in force from 2009-07-01"},
				{asOf: "2009-12-04", status: inForce, reason: "in force from 2009-07-01"},
			},
			more: func(t *testing.T, l *ledger, _ map[string]*time.Time) {
				if got := l.state(refugees, "2010-01-01", nil).Dates["first_in_force"]; got.String() != "2009-07-01" {
					t.Errorf("first_in_force = %q, want the retroactive 2009-07-01", got)
				}
			},
		},
		{
			name: "suspension with an end date",
			act:  criminalCode,
			build: func(l *ledger) map[string]*time.Time {
				l.adoptLaw(criminalCode, events.CodeKind, "1997-07-16")
				l.add(criminalCode, `{"type":"commenced","date":"1997-07-16","effective_from":"1998-01-01"}`)
				l.add(criminalCode, `{"type":"suspended","date":"2003-12-01","effective_from":"2003-12-01","effective_to":"2009-07-01"}`)
				return nil
			},
			wants: []want{
				{asOf: "2003-11-30", status: inForce, reason: "in force from 1998-01-01"},
				{asOf: "2003-12-01", status: suspended, reason: "suspended from 2003-12-01"},
				{asOf: "2009-06-30", status: suspended, reason: "suspended from 2003-12-01"},
				{asOf: "2009-07-01", status: inForce, reason: "in force from 1998-01-01"},
			},
		},
		{
			name: "suspension without end date, then lifted",
			act:  criminalCode,
			build: func(l *ledger) map[string]*time.Time {
				l.adoptLaw(criminalCode, events.CodeKind, "1997-07-16")
				l.add(criminalCode, `{"type":"commenced","date":"1997-07-16","effective_from":"1998-01-01"}`)
				l.refused(criminalCode, `{"type":"suspension_lifted","date":"2009-07-01","effective_from":"2009-07-01"}`, events.RuleNoActiveSuspension)
				sus := l.add(criminalCode, `{"type":"suspended","date":"2003-12-01","effective_from":"2003-12-01"}`)
				lift := l.add(criminalCode, `{"type":"suspension_lifted","date":"2009-07-01","effective_from":"2009-07-01"}`)
				return map[string]*time.Time{"open": recordTime(sus), "lifted": recordTime(lift)}
			},
			wants: []want{
				{known: "open", asOf: "2003-12-01", status: suspended, reason: "suspended from 2003-12-01"},
				{known: "open", asOf: "2020-01-01", status: suspended, reason: "suspended from 2003-12-01"},
				{known: "lifted", asOf: "2009-06-30", status: suspended},
				{known: "lifted", asOf: "2009-07-01", status: inForce, reason: "in force from 1998-01-01"},
				{asOf: "2020-01-01", status: inForce},
			},
		},
		{
			name: "partial commencement, then whole, then partial repeal",
			act:  refugees,
			build: func(l *ledger) map[string]*time.Time {
				l.adoptLaw(refugees, events.Law, "2009-12-04")
				l.add(refugees, `{"type":"commenced","date":"2009-12-04","effective_from":"2009-12-04","provisions":["art_18"]}`)
				l.add(refugees, `{"type":"commenced","date":"2009-12-04","effective_from":"2010-01-01"}`)
				l.add(refugees, `{"type":"repealed","date":"2010-12-20","effective_from":"2011-01-01","provisions":["art_5"],"instrument":"/akn/kz/act/2010-12-20/380"}`)
				return nil
			},
			wants: []want{
				{asOf: "2009-12-03", status: notAdopted},
				{asOf: "2009-12-04", status: partially, reason: "provisions in force from 2009-12-04"},
				{asOf: "2009-12-31", status: partially, reason: "provisions in force from 2009-12-04"},
				{asOf: "2010-01-01", status: inForce, reason: "in force from 2010-01-01"},
				{asOf: "2011-01-01", status: inForce, reason: "in force from 2010-01-01"},
			},
			more: func(t *testing.T, l *ledger, _ map[string]*time.Time) {
				for _, c := range []struct{ day, eid, status string }{
					{"2009-12-04", "art_18", projections.ProvisionInForce},
					{"2009-12-04", "art_5", projections.ProvisionNotInForce},
					{"2010-01-01", "art_5", projections.ProvisionInForce},
					{"2011-01-01", "art_5", projections.ProvisionNotInForce},
					{"2011-01-01", "art_18", projections.ProvisionInForce},
				} {
					if p := provision(t, l.state(refugees, c.day, nil), c.eid); p.Status != c.status || p.InForce != (c.status == projections.ProvisionInForce) {
						t.Errorf("%s on %s = %+v, want %s", c.eid, c.day, p, c.status)
					}
				}
			},
		},
		{
			name: "amended with effect repeal on a provision",
			act:  criminalCode,
			build: func(l *ledger) map[string]*time.Time {
				l.adoptLaw(criminalCode, events.CodeKind, "1997-07-16")
				l.add(criminalCode, `{"type":"commenced","date":"1997-07-16","effective_from":"1998-01-01"}`)
				l.add(criminalCode, `{"type":"amended","date":"2009-12-10","effective_from":"2010-01-01","instrument":"`+string(law2009)+`","provisions":["art_49"],"body":{"effect":"repeal"}}`)
				return nil
			},
			wants: []want{
				{asOf: "2009-12-31", status: inForce},
				{asOf: "2010-01-01", status: inForce, reason: "in force from 1998-01-01"},
			},
			more: func(t *testing.T, l *ledger, _ map[string]*time.Time) {
				if p := provision(t, l.state(criminalCode, "2009-12-31", nil), "art_49"); p.Status != projections.ProvisionInForce {
					t.Errorf("art_49 on 2009-12-31 = %+v, want in force", p)
				}
				s := l.state(criminalCode, "2010-01-01", nil)
				if p := provision(t, s, "art_49"); p.Status != projections.ProvisionNotInForce || p.InForce {
					t.Errorf("art_49 on 2010-01-01 = %+v, want not in force", p)
				}
				if len(s.AmendmentsReceived) != 1 || s.AmendmentsReceived[0].Effect != events.Repeal {
					t.Errorf("amendments_received = %+v, want the repeal", s.AmendmentsReceived)
				}
			},
		},
		{
			name: "commencement date corrected after the fact",
			act:  arrestLaw,
			build: func(l *ledger) map[string]*time.Time {
				l.adoptLaw(arrestLaw, events.Law, "2007-07-10")
				c := l.add(arrestLaw, `{"type":"commenced","date":"2007-07-10","effective_from":"2008-01-01"}`)
				fix := l.add(arrestLaw, `{"type":"record_corrected","date":"2008-10-01","body":{"corrects":"`+c.ID.String()+`","correction":{"effective_from":"2008-09-01"},"reason":"the law says 1 September 2008"}}`)
				return map[string]*time.Time{"before": justBefore(fix), "after": recordTime(fix)}
			},
			wants: []want{
				{known: "before", asOf: "2008-05-01", status: inForce, reason: "in force from 2008-01-01"},
				{known: "after", asOf: "2008-05-01", status: adoptedNIF, reason: "adopted on 2007-07-10, not commenced"},
				{known: "after", asOf: "2008-08-31", status: adoptedNIF},
				{known: "after", asOf: "2008-09-01", status: inForce, reason: "in force from 2008-09-01"},
				{asOf: "2008-05-01", status: adoptedNIF},
			},
			more: func(t *testing.T, l *ledger, known map[string]*time.Time) {
				b := l.state(arrestLaw, "2008-05-01", known["before"])
				a := l.state(arrestLaw, "2008-05-01", known["after"])
				if b.Version != 2 || a.Version != 3 {
					t.Errorf("versions %d and %d, want 2 before the correction and 3 after", b.Version, a.Version)
				}
				if b.Dates["first_in_force"].String() != "2008-01-01" || a.Dates["first_in_force"].String() != "2008-09-01" {
					t.Errorf("first_in_force %s before, %s after, want 2008-01-01 then 2008-09-01", b.Dates["first_in_force"], a.Dates["first_in_force"])
				}
				if b.KnownAt == nil || !b.KnownAt.Equal(*known["before"]) {
					t.Errorf("known_at = %v, want it echoed", b.KnownAt)
				}
			},
		},
		{
			name: "retraction",
			act:  law2009,
			build: func(l *ledger) map[string]*time.Time {
				l.adoptLaw(law2009, events.Law, "2009-12-10")
				l.add(law2009, `{"type":"commenced","date":"2009-12-10","effective_from":"2010-01-01"}`)
				r := l.add(law2009, `{"type":"repealed","date":"2011-01-01","effective_from":"2011-01-01"}`)
				x := l.add(law2009, `{"type":"record_retracted","date":"2011-02-01","body":{"retracts":"`+r.ID.String()+`","reason":"recorded on the wrong act"}}`)
				return map[string]*time.Time{"repealed": recordTime(r), "before": justBefore(x), "after": recordTime(x)}
			},
			wants: []want{
				{known: "before", asOf: "2012-01-01", status: repealed, reason: "repealed with effect from 2011-01-01"},
				{known: "before", asOf: "2010-12-31", status: inForce},
				{known: "after", asOf: "2012-01-01", status: inForce, reason: "in force from 2010-01-01"},
				{asOf: "2012-01-01", status: inForce},
			},
			more: func(t *testing.T, l *ledger, known map[string]*time.Time) {
				if _, ok := l.state(law2009, "2012-01-01", known["before"]).Dates["no_longer_in_force"]; !ok {
					t.Error("before the retraction no_longer_in_force is missing")
				}
				if d, ok := l.state(law2009, "2012-01-01", nil).Dates["no_longer_in_force"]; ok {
					t.Errorf("after the retraction no_longer_in_force = %s, want none", d)
				}
			},
		},
		{
			// Events of one day: a repeal and a commencement from the same
			// day, a suspension from the day of commencement, and two texts
			// of one provision from the same day (the later in the ledger
			// wins).
			name: "same-day events",
			act:  civilCode,
			build: func(l *ledger) map[string]*time.Time {
				l.adoptLaw(civilCode, events.CodeKind, "1999-07-13")
				l.add(civilCode, `{"type":"commenced","date":"1999-07-13","effective_from":"2000-01-01"}`)
				l.add(civilCode, `{"type":"suspended","date":"1999-12-01","effective_from":"2000-01-01","effective_to":"2000-02-01"}`)
				l.add(civilCode, `{"type":"amended","date":"2004-12-01","effective_from":"2005-01-01","instrument":"/akn/kz/act/2004-12-01/1","provisions":["art_1"],"body":{"effect":"substitution","texts":{"art_1":"first"}}}`)
				l.add(civilCode, `{"type":"amended","date":"2004-12-02","effective_from":"2005-01-01","instrument":"/akn/kz/act/2004-12-02/2","provisions":["art_1"],"body":{"effect":"substitution","texts":{"art_1":"second"}}}`)
				l.add(civilCode, `{"type":"repealed","date":"2009-12-01","effective_from":"2010-01-01","provisions":["art_2"]}`)
				l.add(civilCode, `{"type":"commenced","date":"2009-12-01","effective_from":"2010-01-01","provisions":["art_2"]}`)
				return nil
			},
			wants: []want{
				{asOf: "1999-12-31", status: adoptedNIF},
				{asOf: "2000-01-01", status: suspended, reason: "suspended from 2000-01-01"},
				{asOf: "2000-02-01", status: inForce, reason: "in force from 2000-01-01"},
			},
			more: func(t *testing.T, l *ledger, _ map[string]*time.Time) {
				s := l.state(civilCode, "2005-01-01", nil)
				if p := provision(t, s, "art_1"); p.Text != "second" {
					t.Errorf("art_1 on 2005-01-01 = %+v, want the text recorded later in the ledger", p)
				}
				// A repeal covering a provision wins over a commencement of
				// it, whatever their order (docs/PROJECTIONS.md's provision rule).
				if p := provision(t, l.state(civilCode, "2010-01-01", nil), "art_2"); p.Status != projections.ProvisionNotInForce {
					t.Errorf("art_2 on 2010-01-01 = %+v, want not in force", p)
				}
			},
		},
		{
			name: "month precision",
			act:  criminalCode,
			build: func(l *ledger) map[string]*time.Time {
				l.adoptLaw(criminalCode, events.CodeKind, "1997-07-16")
				l.add(criminalCode, `{"type":"commenced","date":"1997-07-16","effective_from":"1998-01-01"}`)
				l.add(criminalCode, `{"type":"suspended","date":"2003-12","effective_from":"2003-12","effective_to":"2009-07"}`)
				return nil
			},
			wants: []want{
				{asOf: "2003-11-30", status: inForce},
				{asOf: "2003-12-01", status: suspended, reason: "suspended from 2003-12", uncertain: []string{"2003-12"}},
				{asOf: "2003-12-15", status: suspended, uncertain: []string{"2003-12"}},
				{asOf: "2003-12-31", status: suspended, uncertain: []string{"2003-12"}},
				{asOf: "2004-01-01", status: suspended},
				{asOf: "2009-06-30", status: suspended},
				{asOf: "2009-07-01", status: inForce, uncertain: []string{"2009-07"}},
				{asOf: "2009-07-31", status: inForce, uncertain: []string{"2009-07"}},
				{asOf: "2009-08-01", status: inForce},
			},
		},
		{
			name: "year precision",
			act:  ombudsman,
			build: func(l *ledger) map[string]*time.Time {
				l.adoptLaw(ombudsman, events.Institution, "2002")
				l.add(ombudsman, `{"type":"commenced","date":"2002","effective_from":"2002"}`)
				return nil
			},
			wants: []want{
				{asOf: "2001-12-31", status: notAdopted, reason: "adopted later, on 2002"},
				{asOf: "2002-01-01", status: inForce, reason: "in force from 2002", uncertain: []string{"2002"}},
				{asOf: "2002-12-31", status: inForce, uncertain: []string{"2002"}},
				{asOf: "2003-01-01", status: inForce},
			},
		},
		{
			name: "expiry of a programme",
			act:  actionPlan,
			build: func(l *ledger) map[string]*time.Time {
				l.adoptLaw(actionPlan, events.Programme, "2009-05-05")
				l.add(actionPlan, `{"type":"commenced","date":"2009-05-05","effective_from":"2009-05-05"}`)
				l.add(actionPlan, `{"type":"expired","date":"2013-01-01","effective_from":"2013-01-01","body":{"note":"the plan covered 2009-2012"}}`)
				return nil
			},
			wants: []want{
				{asOf: "2012-12-31", status: inForce},
				{asOf: "2013-01-01", status: expired, reason: "expired with effect from 2013-01-01"},
			},
			more: func(t *testing.T, l *ledger, _ map[string]*time.Time) {
				if d := l.state(actionPlan, "2013-01-01", nil).Dates["no_longer_in_force"]; d.String() != "2013-01-01" {
					t.Errorf("no_longer_in_force = %q", d)
				}
			},
		},
		{
			name: "annulment, void from the start",
			act:  "/akn/kz/act/regulation/2005-01-10/7",
			build: func(l *ledger) map[string]*time.Time {
				const reg = "/akn/kz/act/regulation/2005-01-10/7"
				l.adoptLaw(reg, events.Regulation, "2005-01-10")
				l.add(reg, `{"type":"commenced","date":"2005-01-10","effective_from":"2005-02-01"}`)
				l.add(reg, `{"type":"annulled","date":"2006-03-01","effective_from":"2005-02-01","retroactive":true,"instrument":"/akn/kz/judgment/2006-03-01/12","body":{"reason":"ultra vires"}}`)
				return nil
			},
			wants: []want{
				{asOf: "2005-01-31", status: adoptedNIF},
				{asOf: "2005-02-01", status: annulled, reason: "annulled with effect from 2005-02-01"},
				{asOf: "2007-01-01", status: annulled},
			},
		},
		{
			name: "re-enactment after repeal",
			act:  law2009,
			build: func(l *ledger) map[string]*time.Time {
				l.adoptLaw(law2009, events.Law, "2009-12-10")
				l.add(law2009, `{"type":"commenced","date":"2009-12-10","effective_from":"2010-01-01"}`)
				l.add(law2009, `{"type":"repealed","date":"2011-01-01","effective_from":"2011-01-01"}`)
				l.refused(law2009, `{"type":"suspended","date":"2011-06-01","effective_from":"2011-06-01"}`, events.RuleAfterRepeal)
				l.refused(law2009, `{"type":"reenacted","date":"2010-06-01","effective_from":"2010-06-01"}`, events.RuleStepOrder)
				l.add(law2009, `{"type":"reenacted","date":"2012-01-01","effective_from":"2012-01-01"}`)
				return nil
			},
			wants: []want{
				{asOf: "2010-12-31", status: inForce},
				{asOf: "2011-01-01", status: repealed, reason: "repealed with effect from 2011-01-01"},
				{asOf: "2011-12-31", status: repealed},
				{asOf: "2012-01-01", status: inForce, reason: "in force from 2010-01-01"},
			},
			more: func(t *testing.T, l *ledger, _ map[string]*time.Time) {
				if d, ok := l.state(law2009, "2012-01-01", nil).Dates["no_longer_in_force"]; ok {
					t.Errorf("no_longer_in_force = %s after re-enactment, want none", d)
				}
			},
		},
		{
			name: "withdrawn bill",
			act:  draft3471,
			build: func(l *ledger) map[string]*time.Time {
				l.add(draft3471, `{"type":"drafted","date":"2009-10-15","body":{"title":"Draft amendment of Article 347-1","kind":"law"}}`)
				l.add(draft3471, `{"type":"introduced","date":"2009-11-02","body":{"chamber":"Mazhilis"}}`)
				l.add(draft3471, `{"type":"withdrawn","date":"2010-02-01","body":{"reason":"superseded"}}`)
				l.refused(draft3471, `{"type":"adopted","date":"2010-03-01"}`, events.RuleAfterTermination)
				l.refused(draft3471, `{"type":"commenced","date":"2010-03-01","effective_from":"2010-03-01"}`, events.RuleNotAdopted)
				return nil
			},
			wants: []want{
				{asOf: "2010-06-01", status: notAdopted, reason: "withdrawn on 2010-02-01"},
				{asOf: "2030-01-01", status: notAdopted, reason: "withdrawn on 2010-02-01"},
			},
			more: func(t *testing.T, l *ledger, _ map[string]*time.Time) {
				s := l.state(draft3471, "2010-06-01", nil)
				if s.Stage != events.Withdrawn || s.StageDate.String() != "2010-02-01" || len(s.Because) != 1 {
					t.Errorf("stage %s %s because %v, want withdrawn 2010-02-01 because of the withdrawal", s.Stage, s.StageDate, s.Because)
				}
				// A draft still in procedure says its last step.
				l.add("/akn/kz/bill/2010-01-05/draft-9", `{"type":"drafted","date":"2010-01-05","body":{"title":"Draft","kind":"law"}}`)
				l.add("/akn/kz/bill/2010-01-05/draft-9", `{"type":"passed","date":"2010-03-01","body":{"chamber":"Mazhilis","reading":"first"}}`)
				l.check("/akn/kz/bill/2010-01-05/draft-9", nil, want{asOf: "2010-06-01", status: notAdopted, reason: "not adopted; last step: passed 2010-03-01"})
			},
		},
		{
			name: "treaty ratified then commenced",
			act:  catTreaty,
			build: func(l *ledger) map[string]*time.Time {
				l.add(catTreaty, `{"type":"ratified","date":"1998-06-26","body":{"title":"Convention against Torture","kind":"treaty"}}`)
				l.add(catTreaty, `{"type":"commenced","date":"1998-06-26","effective_from":"1998-09-25"}`)
				return nil
			},
			wants: []want{
				{asOf: "1998-06-25", status: notAdopted, reason: "adopted later, on 1998-06-26"},
				{asOf: "1998-06-26", status: adoptedNIF, reason: "ratified on 1998-06-26, not commenced"},
				{asOf: "1998-09-25", status: inForce, reason: "in force from 1998-09-25"},
			},
			more: func(t *testing.T, l *ledger, _ map[string]*time.Time) {
				d := l.state(catTreaty, "1999-01-01", nil).Dates
				if d["ratified"].String() != "1998-06-26" || d["first_in_force"].String() != "1998-09-25" {
					t.Errorf("dates = %v", d)
				}
			},
		},
		{
			name: "decree issued then commenced",
			act:  decree2010,
			build: func(l *ledger) map[string]*time.Time {
				l.adoptLaw(decree2010, events.Decree, "2010-08-17")
				l.add(decree2010, `{"type":"signed","date":"2010-08-17","body":{"signatory":"President"}}`)
				l.add(decree2010, `{"type":"commenced","date":"2010-08-17","effective_from":"2010-08-27"}`)
				return nil
			},
			wants: []want{
				{asOf: "2010-08-16", status: notAdopted},
				{asOf: "2010-08-17", status: adoptedNIF, reason: "adopted on 2010-08-17, not commenced"},
				{asOf: "2010-08-27", status: inForce, reason: "in force from 2010-08-27"},
			},
		},
		{
			name: "key dates",
			act:  law2009,
			build: func(l *ledger) map[string]*time.Time {
				l.add(law2009, `{"type":"drafted","date":"2009-06-01","body":{"title":"Law amending three codes","kind":"law"}}`)
				l.add(law2009, `{"type":"adopted","date":"2009-12-01"}`)
				l.add(law2009, `{"type":"signed","date":"2009-12-10"}`)
				l.add(law2009, `{"type":"published","date":"2009-12-15","body":{"gazette":"Kazakhstanskaya Pravda 2009-12-15"}}`)
				l.add(law2009, `{"type":"commenced","date":"2009-12-10","effective_from":"2010-01-01","provisions":["art_1"]}`)
				l.add(law2009, `{"type":"commenced","date":"2009-12-10","effective_from":"2010-07-01"}`)
				l.add(law2009, `{"type":"repealed","date":"2014-12-01","effective_from":"2015-01-01"}`)
				return nil
			},
			wants: []want{
				{asOf: "2009-11-30", status: notAdopted, reason: "adopted later, on 2009-12-01"},
				{asOf: "2010-01-01", status: partially},
				{asOf: "2010-07-01", status: inForce},
				{asOf: "2015-01-01", status: repealed},
			},
			more: func(t *testing.T, l *ledger, _ map[string]*time.Time) {
				for _, day := range []string{"2009-01-01", "2012-01-01", "2016-01-01"} {
					got := map[string]string{}
					for k, v := range l.state(law2009, day, nil).Dates {
						got[k] = v.String()
					}
					wantDates := map[string]string{"adopted": "2009-12-01", "signed": "2009-12-10", "published": "2009-12-15",
						"first_in_force": "2010-01-01", "no_longer_in_force": "2015-01-01"}
					if !mapsEqual(got, wantDates) {
						t.Errorf("dates on %s = %v, want %v (the record's dates do not depend on the day)", day, got, wantDates)
					}
				}
			},
		},
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestStateErrors(t *testing.T) {
	l := newLedger(t)
	first := l.adoptLaw(law2009, events.Law, "2009-12-10")
	l.adoptLaw(refugees, events.Law, "2009-12-04")

	_, err := l.p.State(law2009, projections.Query{AsOf: events.MustDate("2010-01-01"), KnownAt: justBefore(first)})
	mustErrCode(t, "State known before the act's first event", err, events.CodeNotFound, string(law2009), "not yet recorded", first.RecordedAt.Format(time.RFC3339))

	_, err = l.p.State(neverRecorded, projections.Query{AsOf: events.MustDate("2010-01-01")})
	mustErrCode(t, "State of an unknown act", err, events.CodeNotFound, string(neverRecorded), "not in the ledger")
	_, err = l.p.State(neverRecorded, projections.Query{AsOf: events.MustDate("2010-01-01"), KnownAt: at(100)})
	mustErrCode(t, "State of an unknown act known at a time", err, events.CodeNotFound, "not in the ledger")

	for _, d := range []events.Date{events.MustDate("2010-01"), events.MustDate("2010"), {}} {
		_, err = l.p.State(law2009, projections.Query{AsOf: d})
		mustErrCode(t, "State as of "+d.String(), err, events.CodeInvalid, "as_of must be a day")
		_, err = l.p.List(projections.Filter{}, projections.Query{AsOf: d})
		mustErrCode(t, "List as of "+d.String(), err, events.CodeInvalid, "as_of must be a day")
		_, err = l.p.Diff(d, events.MustDate("2010-01-01"), projections.Filter{}, nil)
		mustErrCode(t, "Diff from "+d.String(), err, events.CodeInvalid, "as_of must be a day")
		_, err = l.p.Diff(events.MustDate("2010-01-01"), d, projections.Filter{}, nil)
		mustErrCode(t, "Diff to "+d.String(), err, events.CodeInvalid, "as_of must be a day")
	}

	_, err = l.p.Timeline(law2009, justBefore(first))
	mustErrCode(t, "Timeline known before the act's first event", err, events.CodeNotFound, "not yet recorded")
	_, err = l.p.Timeline(neverRecorded, nil)
	mustErrCode(t, "Timeline of an unknown act", err, events.CodeNotFound, "not in the ledger")

	// The State's other fields.
	s := l.state(law2009, "2010-01-01", recordTime(first))
	if s.Act != law2009 || s.Title != "Act "+string(law2009) || s.Kind != events.Law || s.Country != "kz" || s.AsOf.String() != "2010-01-01" || s.Version != 1 {
		t.Errorf("state = %+v", s)
	}
}

// TestAmendmentsMade: the law of 2009-12-10 amends three codes; when the law
// is itself an act of the projection, each code's amendment in effect shows
// in its AmendmentsMade, targets in identifier order.
func TestAmendmentsMade(t *testing.T) {
	l := newLedger(t)
	l.adoptLaw(law2009, events.Law, "2009-12-10")
	l.add(law2009, `{"type":"commenced","date":"2009-12-10","effective_from":"2010-01-01"}`)
	codes := []events.ActID{criminalCode, procedureCode, civilCode}
	for _, c := range codes {
		l.adoptLaw(c, events.CodeKind, "1997-07-16")
		l.add(c, `{"type":"commenced","date":"1997-07-16","effective_from":"1998-01-01"}`)
	}
	var amended []events.Event
	for i, c := range codes {
		from := "2010-01-01"
		if i == 2 {
			from = "2010-07-01" // the civil procedure change comes later
		}
		before := l.p.Digest()
		e := l.add(c, `{"type":"amended","date":"2009-12-10","effective_from":"`+from+`","instrument":"`+string(law2009)+`","provisions":["art_1"],"body":{"effect":"substitution","texts":{"art_1":"new"}}}`)
		amended = append(amended, e)
		if before == l.p.Digest() {
			t.Error("the digest did not change with an event")
		}
	}
	// Apply returns the instrument among the acts changed.
	l.adoptLaw(arrestLaw, events.Law, "2007-07-10")
	l.add(arrestLaw, `{"type":"commenced","date":"2007-07-10","effective_from":"2008-01-01"}`)
	l.seq++
	e := events.Event{Schema: 1, ID: events.NewID(), Act: arrestLaw, Type: events.Amended, Date: events.MustDate("2009-12-10"),
		EffectiveFrom: events.MustDate("2010-01-01"), Instrument: law2009, Provisions: []string{"art_2"},
		Body: events.Body{Effect: events.Insertion}, RecordedAt: hour(100), RecordedBy: "clerk@test"}
	if err := events.Validate(l.byAct[arrestLaw], e); err != nil {
		t.Fatal(err)
	}
	changed, err := l.p.Apply(eventlog.Entry{Seq: l.seq, Event: e})
	if err != nil || !slices.Equal(changed, []events.ActID{arrestLaw, law2009}) {
		t.Errorf("Apply(amended) = %v, %v; want the act and its instrument", changed, err)
	}
	changed, err = l.p.Apply(eventlog.Entry{Seq: l.seq + 1, Event: events.Event{Schema: 1, ID: events.NewID(), Act: arrestLaw,
		Type: events.Amended, Date: events.MustDate("2009-12-10"), EffectiveFrom: events.MustDate("2010-01-01"),
		Instrument: "/akn/kz/act/2009-12-11/1", Body: events.Body{Effect: events.Insertion}, Provisions: []string{"art_3"}, RecordedAt: hour(101)}})
	if err != nil || !slices.Equal(changed, []events.ActID{arrestLaw}) {
		t.Errorf("Apply(amended by an act not in the projection) = %v, %v; want the act alone", changed, err)
	}

	check := func(day string, wantTargets ...events.ActID) {
		t.Helper()
		s := l.state(law2009, day, nil)
		var got []events.ActID
		for _, m := range s.AmendmentsMade {
			got = append(got, m.Target)
			if m.Instrument != law2009 || m.Effect == "" {
				t.Errorf("amendment made %+v", m)
			}
		}
		if !slices.Equal(got, wantTargets) {
			t.Errorf("on %s amendments_made targets = %v, want %v", day, got, wantTargets)
		}
	}
	check("2009-12-31")
	// Identifier order: act/2007-07-10/58 < act/code/1997-07-16/167 <
	// act/code/1997-12-13/206 < act/code/1999-07-13/411.
	check("2010-01-01", arrestLaw, criminalCode, procedureCode)
	check("2010-07-01", arrestLaw, criminalCode, procedureCode, civilCode)
	s := l.state(law2009, "2010-07-01", nil)
	if s.AmendmentsMade[3].Event != amended[2].ID || s.AmendmentsMade[3].EffectiveFrom.String() != "2010-07-01" {
		t.Errorf("the civil code's amendment = %+v", s.AmendmentsMade[3])
	}
	// Known before the third amendment was recorded, it is not there.
	s = l.state(law2009, "2010-07-01", justBefore(amended[2]))
	if len(s.AmendmentsMade) != 2 || s.AmendmentsMade[0].Target != criminalCode {
		t.Errorf("known before the third amendment: amendments_made = %+v, want the two codes'", s.AmendmentsMade)
	}
	// Each code receives it.
	for i, c := range codes[:2] {
		s := l.state(c, "2010-01-01", nil)
		if len(s.AmendmentsReceived) != 1 || s.AmendmentsReceived[0].Event != amended[i].ID || s.AmendmentsReceived[0].Instrument != law2009 {
			t.Errorf("%s amendments_received = %+v", c, s.AmendmentsReceived)
		}
		if len(s.AmendmentsMade) != 0 {
			t.Errorf("%s amendments_made = %+v, want none", c, s.AmendmentsMade)
		}
	}
}

// TestRecordTimeRunningMax: an act's events are known from the running
// maximum of their record times, so "known at T" is a prefix even when a
// record time goes back (two ledger processes' clocks).
func TestRecordTimeRunningMax(t *testing.T) {
	l := newLedger(t)
	l.addAt(mustDecode(t, `{"act":"`+string(law2009)+`","type":"adopted","date":"2009-12-10","body":{"title":"Law","kind":"law"}}`), hour(10))
	l.addAt(mustDecode(t, `{"act":"`+string(law2009)+`","type":"commenced","date":"2009-12-10","effective_from":"2010-01-01"}`), hour(9))
	l.addAt(mustDecode(t, `{"act":"`+string(law2009)+`","type":"repealed","date":"2011-01-01","effective_from":"2011-01-01"}`), hour(12))

	_, err := l.p.State(law2009, projections.Query{AsOf: events.MustDate("2010-06-01"), KnownAt: at(9)})
	mustErrCode(t, "State known at 9h", err, events.CodeNotFound, "not yet recorded")
	s := l.state(law2009, "2010-06-01", at(10))
	if s.Status != inForce || s.Version != 2 {
		t.Errorf("known at 10h: %s version %d, want in force with both first events (the second is known from 10h)", s.Status, s.Version)
	}
	s = l.state(law2009, "2012-01-01", at(11))
	if s.Status != inForce || s.Version != 2 {
		t.Errorf("known at 11h: %s version %d, want in force, version 2", s.Status, s.Version)
	}
	s = l.state(law2009, "2012-01-01", at(12))
	if s.Status != repealed || s.Version != 3 {
		t.Errorf("known at 12h: %s version %d, want repealed, version 3", s.Status, s.Version)
	}
	if first, ok := l.p.FirstRecord(); !ok || !first.Equal(hour(10)) {
		t.Errorf("FirstRecord = %v %v, want 10h (the running maximum of the first act's first event)", first, ok)
	}
	if _, ok := projections.New().FirstRecord(); ok {
		t.Error("FirstRecord of an empty projection reports one")
	}
}

func mustDecode(t testing.TB, js string) events.Event {
	t.Helper()
	e, err := events.Decode([]byte(js))
	if err != nil {
		t.Fatalf("Decode(%s): %v", js, err)
	}
	return e
}

// TestToleratesABrokenCorrection: a correction that cannot be applied would
// have been refused by the ledger; if one is in the stream anyway, the act
// is folded without its record events rather than failing.
func TestToleratesABrokenCorrection(t *testing.T) {
	l := newLedger(t)
	l.adoptLaw(law2009, events.Law, "2009-12-10")
	c := l.add(law2009, `{"type":"commenced","date":"2009-12-10","effective_from":"2010-01-01"}`)
	l.unchecked = true
	// effective_from is required on a commencement: the corrected event is
	// invalid.
	l.add(law2009, `{"type":"record_corrected","date":"2010-02-01","body":{"corrects":"`+c.ID.String()+`","correction":{"effective_from":null},"reason":"broken"}}`)
	s := l.state(law2009, "2010-06-01", nil)
	if s.Status != inForce || s.Version != 3 {
		t.Errorf("with a broken correction: %s version %d, want in force (the correction ignored), version 3", s.Status, s.Version)
	}
	tl, err := l.p.Timeline(law2009, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(tl.Events); n != 3 || tl.Events[2].Effective {
		t.Errorf("timeline events = %+v, want three, the correction not effective", tl.Events)
	}
}
