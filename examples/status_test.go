package examples_test

import (
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// TestSeedStatuses folds the file into a projection and asks what the seed
// says of the acts on a few days: the jury law is wholly in force once
// trials serve all serious crimes, the action plan ends with its period,
// the three codes are amended by changes not detailed.
func TestSeedStatuses(t *testing.T) {
	p := seedProjection(t)
	for _, c := range []struct {
		act  events.ActID
		day  string
		want projections.Status
	}{
		{juryLaw, "2007-06-01", projections.AdoptedNotInForce},
		{juryLaw, "2008-01-01", projections.InForce},
		{juryLaw, "2010-01-01", projections.InForce},
		{actionPlan, "2012-12-31", projections.InForce},
		{actionPlan, "2013-06-01", projections.Expired},
		{criminalCode, "2005-01-01", projections.InForce},
	} {
		s, err := p.State(c.act, projections.Query{AsOf: events.MustDate(c.day)})
		if err != nil {
			t.Fatalf("State(%s, %s): %v", c.act, c.day, err)
		}
		if s.Status != c.want {
			t.Errorf("%s on %s: %s (%s), want %s", c.act, c.day, s.Status, s.Reason, c.want)
		}
	}
	s, err := p.State(judicialLaw, projections.Query{AsOf: events.MustDate("2010-06-01")})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.AmendmentsMade) != 3 {
		t.Fatalf("%s amends %d acts, want the three codes", judicialLaw, len(s.AmendmentsMade))
	}
	for _, a := range s.AmendmentsMade {
		if a.Effect != events.Unspecified || len(a.Provisions) != 0 {
			t.Errorf("%s amends %s: %s of %v, want a change not detailed", judicialLaw, a.Target, a.Effect, a.Provisions)
		}
	}
}

// seedProjection folds the file into a projection, one event a minute.
func seedProjection(t *testing.T) *projections.Projection {
	t.Helper()
	p := projections.New()
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, l := range readSeed(t) {
		e := l.event
		clock = clock.Add(time.Minute)
		e.RecordedAt, e.RecordedBy = clock, "import@test"
		if _, err := p.Apply(eventlog.Entry{Seq: uint64(i + 1), Event: e}); err != nil {
			t.Fatalf("line %d: Apply: %v", l.n, err)
		}
	}
	return p
}
