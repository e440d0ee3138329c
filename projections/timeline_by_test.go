package projections_test

import (
	"reflect"
	"testing"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// ids returns the ids of es, in order.
func ids(es ...events.Event) []events.ID {
	out := make([]events.ID, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

// TestTimelineOpenedClosedBy: each kind of interval is opened and closed by
// the events whose dates open and close it, not by the events that decide
// the status inside it.
func TestTimelineOpenedClosedBy(t *testing.T) {
	type span struct {
		status         projections.Status
		opened, closed []events.ID
	}
	cases := []struct {
		name string
		act  events.ActID
		life func(l *ledger) []span
	}{
		{"adopted, then commenced later", law2009, func(l *ledger) []span {
			a := l.adoptLaw(law2009, events.Law, "2009-12-10")
			c := l.add(law2009, `{"type":"commenced","date":"2009-12-12","effective_from":"2010-01-01"}`)
			return []span{{notAdopted, nil, ids(a)}, {adoptedNIF, ids(a), ids(c)}, {inForce, ids(c), nil}}
		}},
		{"adopted and commenced the same day", refugees, func(l *ledger) []span {
			a := l.adoptLaw(refugees, events.Law, "2009-12-04")
			c := l.add(refugees, `{"type":"commenced","date":"2009-12-04","effective_from":"2009-12-04"}`)
			return []span{{notAdopted, nil, ids(a, c)}, {inForce, ids(a, c), nil}}
		}},
		{"a decree, law when signed", decree2010, func(l *ledger) []span {
			l.add(decree2010, `{"type":"drafted","date":"2010-08-01","body":{"title":"Decree","kind":"decree"}}`)
			s := l.add(decree2010, `{"type":"signed","date":"2010-08-17"}`)
			c := l.add(decree2010, `{"type":"commenced","date":"2010-08-17","effective_from":"2010-09-01"}`)
			return []span{{notAdopted, nil, ids(s)}, {adoptedNIF, ids(s), ids(c)}, {inForce, ids(c), nil}}
		}},
		{"suspended, then lifted", criminalCode, func(l *ledger) []span {
			a := l.adoptLaw(criminalCode, events.CodeKind, "1997-07-16")
			c := l.add(criminalCode, `{"type":"commenced","date":"1997-07-16","effective_from":"1998-01-01"}`)
			s := l.add(criminalCode, `{"type":"suspended","date":"2003-12-10","effective_from":"2004-01-01"}`)
			x := l.add(criminalCode, `{"type":"suspension_lifted","date":"2009-06-20","effective_from":"2009-07-01"}`)
			return []span{{notAdopted, nil, ids(a)}, {adoptedNIF, ids(a), ids(c)}, {inForce, ids(c), ids(s)},
				{suspended, ids(s), ids(x)}, {inForce, ids(x), nil}}
		}},
		{"suspended until an end date", criminalCode, func(l *ledger) []span {
			a := l.adoptLaw(criminalCode, events.CodeKind, "1997-07-16")
			c := l.add(criminalCode, `{"type":"commenced","date":"1997-07-16","effective_from":"1997-07-16"}`)
			s := l.add(criminalCode, `{"type":"suspended","date":"2003-12-10","effective_from":"2004-01-01","effective_to":"2009-07-01"}`)
			return []span{{notAdopted, nil, ids(a, c)}, {inForce, ids(a, c), ids(s)}, {suspended, ids(s), ids(s)}, {inForce, ids(s), nil}}
		}},
		{"partly, then wholly in force, then expired", actionPlan, func(l *ledger) []span {
			a := l.adoptLaw(actionPlan, events.Programme, "2009-05-05")
			p := l.add(actionPlan, `{"type":"commenced","date":"2009-05-05","effective_from":"2009-06-01","provisions":["sec_1"]}`)
			w := l.add(actionPlan, `{"type":"commenced","date":"2009-05-05","effective_from":"2010-01-01"}`)
			// A provision's repeal on the day the programme expires changes
			// nothing of the whole act: it names neither interval.
			l.add(actionPlan, `{"type":"repealed","date":"2012-12-01","effective_from":"2013-01-01","provisions":["sec_1"]}`)
			e := l.add(actionPlan, `{"type":"expired","date":"2013-01-01","effective_from":"2013-01-01"}`)
			return []span{{notAdopted, nil, ids(a)}, {adoptedNIF, ids(a), ids(p)}, {partially, ids(p), ids(w)},
				{inForce, ids(w), ids(e)}, {expired, ids(e), nil}}
		}},
		{"repealed, then re-enacted", law2009, func(l *ledger) []span {
			a := l.adoptLaw(law2009, events.Law, "2009-12-10")
			c := l.add(law2009, `{"type":"commenced","date":"2009-12-10","effective_from":"2010-01-01"}`)
			r := l.add(law2009, `{"type":"repealed","date":"2011-12-01","effective_from":"2012-01-01"}`)
			re := l.add(law2009, `{"type":"reenacted","date":"2012-12-01","effective_from":"2013-01-01"}`)
			return []span{{notAdopted, nil, ids(a)}, {adoptedNIF, ids(a), ids(c)}, {inForce, ids(c), ids(r)},
				{repealed, ids(r), ids(re)}, {inForce, ids(re), nil}}
		}},
		{"retroactive: in force before its adoption", law2009, func(l *ledger) []span {
			l.adoptLaw(law2009, events.Law, "2009-12-10")
			c := l.add(law2009, `{"type":"commenced","date":"2009-12-10","effective_from":"2009-01-01","retroactive":true}`)
			return []span{{notAdopted, nil, ids(c)}, {inForce, ids(c), nil}}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := newLedger(t)
			want := tc.life(l)
			tl, err := l.p.Timeline(tc.act, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []span
			for _, iv := range tl.Intervals {
				got = append(got, span{iv.Status, iv.Opened, iv.Closed})
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("intervals (status, opened_by, closed_by):\n got %v\nwant %v", got, want)
			}
		})
	}
}
