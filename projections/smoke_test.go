package projections_test

import (
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

func TestSmokeDeathPenalty(t *testing.T) {
	p := projections.New()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	seq := uint64(0)
	add := func(js string) {
		e, err := events.Decode([]byte(js))
		if err != nil {
			t.Fatal(err)
		}
		seq++
		e.Schema, e.ID, e.RecordedAt, e.RecordedBy = 1, events.NewID(), base.Add(time.Duration(seq)*time.Hour), "t"
		if _, err := p.Apply(projections.Entry{Seq: seq, Event: e}); err != nil {
			t.Fatal(err)
		}
	}
	cc := "/akn/kz/act/code/1997-07-16/167"
	add(`{"act":"` + cc + `","type":"adopted","date":"1997-07-16","body":{"title":"Criminal Code","kind":"code"}}`)
	add(`{"act":"` + cc + `","type":"signed","date":"1997-07-16"}`)
	add(`{"act":"` + cc + `","type":"commenced","date":"1997-07-16","effective_from":"1998-01-01"}`)
	add(`{"act":"` + cc + `","type":"suspended","date":"2003-12","effective_from":"2003-12","provisions":["art_49"]}`)
	add(`{"act":"` + cc + `","type":"suspension_lifted","date":"2009-07","effective_from":"2009-07","provisions":["art_49"]}`)
	add(`{"act":"` + cc + `","type":"amended","date":"2009-07","effective_from":"2009-07","instrument":"/akn/kz/act/2009-07-01/1","provisions":["art_49"],"body":{"effect":"substitution","texts":{"art_49":"Death penalty only for terrorism and wartime crimes."}}}`)
	for _, d := range []string{"2005-01-01", "2009-07-15", "2010-01-01"} {
		s, err := p.State(events.ActID(cc), projections.Query{AsOf: events.MustDate(d)})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %s (%s) uncertain=%v provisions=%+v", d, s.Status, s.Reason, s.Uncertain, s.Provisions)
	}
	tl, _ := p.Timeline(events.ActID(cc), nil)
	for _, iv := range tl.Intervals {
		t.Logf("[%s, %s) %s %s", iv.From, iv.To, iv.Status, iv.Reason)
	}
	known := base.Add(4 * time.Hour)
	s, err := p.State(events.ActID(cc), projections.Query{AsOf: events.MustDate("2010-01-01"), KnownAt: &known})
	t.Logf("known at 4h: %+v %v", s.Provisions, err)
	t.Log(p.Digest())
}
