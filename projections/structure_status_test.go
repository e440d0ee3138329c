package projections_test

import (
	"strings"
	"testing"

	"github.com/lexledger/lexledger/projections"
)

// With its structure recorded, an act whose every provision has commenced
// is in force, not partially: a commencement of a provision covers the
// provisions under it in the tree (the chapter its articles), and a
// provision the commencements leave out keeps the act partially in force.
func TestInForceWhenEveryProvisionIs(t *testing.T) {
	const act = "/akn/kz/act/2011-01-10/300"
	l := newLedger(t)
	l.add(act, `{"type":"adopted","date":"2011-01-10","body":{"title":"Law on Notaries","kind":"law","structure":[
		{"eid":"chp_1","children":[{"eid":"art_1","text":"One."},{"eid":"art_2","children":[{"eid":"art_2__para_1","text":"Two, one."}]}]},
		{"eid":"art_3","text":"Three."}]}}`)
	l.add(act, `{"type":"commenced","date":"2011-02-01","effective_from":"2011-02-01","provisions":["art_3"]}`)
	l.add(act, `{"type":"commenced","date":"2011-06-01","effective_from":"2011-06-01","provisions":["chp_1"]}`)
	for _, c := range []struct {
		day    string
		status projections.Status
		reason string
	}{
		{"2011-01-20", projections.AdoptedNotInForce, "not commenced"},
		{"2011-03-01", projections.PartiallyInForce, "provisions in force from 2011-02-01"},
		{"2011-07-01", projections.InForce, "every provision in force, the last from 2011-06-01"},
	} {
		s := l.state(act, c.day, nil)
		if s.Status != c.status || !strings.Contains(s.Reason, c.reason) {
			t.Errorf("on %s: %s (%s), want %s (%s)", c.day, s.Status, s.Reason, c.status, c.reason)
		}
	}
	if s := l.state(act, "2011-07-01", nil); len(s.Because) != 2 {
		t.Errorf("the status on 2011-07-01 rests on %v, want the two commencements", s.Because)
	}

	// The same act with one article never commenced stays partially in force.
	const other = "/akn/kz/act/2011-01-10/301"
	l.add(other, `{"type":"adopted","date":"2011-01-10","body":{"title":"Law on Bailiffs","kind":"law","structure":[
		{"eid":"art_1","text":"One."},{"eid":"art_2","text":"Two."}]}}`)
	l.add(other, `{"type":"commenced","date":"2011-02-01","effective_from":"2011-02-01","provisions":["art_1"]}`)
	if s := l.state(other, "2012-01-01", nil); s.Status != projections.PartiallyInForce {
		t.Errorf("an act with art_2 never commenced is %s on 2012-01-01", s.Status)
	}
}
