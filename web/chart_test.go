package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

func d(s string) events.Date { return events.MustDate(s) }

// The Criminal Code's life, as the seed tells it.
func codeTimeline() (projections.Timeline, []events.Event) {
	tl := projections.Timeline{
		Act: "/akn/kz/act/code/1997-07-16/167",
		Intervals: []projections.Interval{
			{To: d("1997-07-16"), Status: projections.NotAdopted},
			{From: d("1997-07-16"), To: d("1998-01-01"), Status: projections.AdoptedNotInForce},
			{From: d("1998-01-01"), Status: projections.InForce, Reason: "in force from 1998-01-01"},
		},
		Provisions: map[string][]projections.ProvisionInterval{
			"art_49": {
				{To: d("1998-01-01"), Status: projections.ProvisionNotInForce},
				{From: d("1998-01-01"), To: d("2003-12"), Status: projections.ProvisionInForce},
				{From: d("2003-12"), To: d("2009-07"), Status: projections.ProvisionSuspended},
				{From: d("2009-07"), Status: projections.ProvisionInForce},
			},
		},
	}
	evs := []events.Event{
		{Type: events.Adopted, Date: d("1997-07-16")},
		{Type: events.Suspended, Date: d("2003-12"), EffectiveFrom: d("2003-12"), Provisions: []string{"art_49"}},
		{Type: events.SuspensionLifted, Date: d("2009-07"), EffectiveFrom: d("2009-07"), Provisions: []string{"art_49"}},
		{Type: events.Amended, Date: d("2009-07"), EffectiveFrom: d("2009-07"), Instrument: "/akn/kz/act/2009-07/death-penalty-abolition", Body: events.Body{Effect: events.Substitution}},
		{Type: events.Commenced, Date: d("1998-01-01"), EffectiveFrom: d("1998-01-01")},
	}
	return tl, evs
}

func TestChartDrawsTheLifeOfAnAct(t *testing.T) {
	tl, evs := codeTimeline()
	c := buildChart(tl, evs, nil, d("2009-06-15"))
	if len(c.Rows) != 2 || c.Rows[0].Label != "Act" || c.Rows[1].Label != "art_49" {
		t.Fatalf("rows %+v, want the act and art_49", c.Rows)
	}
	act := c.Rows[0].Bands
	if len(act) != 3 || act[2].X+act[2].W != plotRight {
		t.Errorf("the act's open interval in force ends at %.1f, want the right edge %.1f", act[2].X+act[2].W, plotRight)
	}
	if act[0].X != plotLeft {
		t.Errorf("the interval since ever starts at %.1f, want the left edge %.1f", act[0].X, plotLeft)
	}
	if act[2].Label != "in force" || !strings.Contains(act[2].Title, "from 1998-01-01") {
		t.Errorf("the band in force is labelled %q, titled %q: want its status in words", act[2].Label, act[2].Title)
	}
	art := c.Rows[1].Bands
	if art[2].Class != "ps-suspended" || art[2].Pattern != "hatch" {
		t.Errorf("the moratorium band is %q with texture %q, want ps-suspended, hatched: told by more than colour", art[2].Class, art[2].Pattern)
	}
	if !(art[2].X < c.Cursor.X && c.Cursor.X < art[3].X) {
		t.Errorf("the cursor at %.1f is not inside the moratorium [%.1f, %.1f)", c.Cursor.X, art[2].X, art[3].X)
	}
	if c.Cursor.Label != "as of 2009-06-15" {
		t.Errorf("cursor label %q", c.Cursor.Label)
	}
	if len(c.Uncertain) != 2 {
		t.Errorf("%d uncertain spans, want 2: 2003-12 and 2009-07 are known only to the month", len(c.Uncertain))
	}
	if n := len(c.Lanes[0].Markers); n != 1 {
		t.Errorf("%d procedure markers, want 1 (adopted)", n)
	}
	changes := c.Lanes[1].Markers
	if len(changes) != 4 {
		t.Fatalf("%d change markers, want 4", len(changes))
	}
	for i := 1; i < len(changes); i++ {
		if changes[i].X-changes[i-1].X < markerGap-0.01 {
			t.Errorf("markers %q and %q overlap (%.1f, %.1f): the second should move aside", changes[i-1].Title, changes[i].Title, changes[i-1].X, changes[i].X)
		}
	}
	if !strings.Contains(c.Desc, "in force from 1998-01-01") {
		t.Errorf("the chart's description %q does not tell the intervals", c.Desc)
	}
	var legend []string
	for _, l := range c.Legend {
		legend = append(legend, l.Label)
	}
	for _, want := range []string{"act in force", "provision suspended", "procedure step", "amended by another act (in)", "date known only to the month or year"} {
		if !strings.Contains(strings.Join(legend, "|"), want) {
			t.Errorf("the legend %q lacks %q", legend, want)
		}
	}
}

func TestChartMarksAmendmentsMadeAndRepeal(t *testing.T) {
	tl := projections.Timeline{Intervals: []projections.Interval{
		{To: d("2009-12-10"), Status: projections.NotAdopted},
		{From: d("2009-12-10"), To: d("2012-01-01"), Status: projections.InForce},
		{From: d("2012-01-01"), Status: projections.Repealed},
	}}
	evs := []events.Event{{Type: events.Repealed, Date: d("2011-12-01"), EffectiveFrom: d("2012-01-01")}}
	made := []projections.MadeAmendment{{Target: "/akn/kz/act/code/1997-07-16/167", Amendment: projections.Amendment{Effect: events.Substitution, EffectiveFrom: d("2009-12-10")}}}
	c := buildChart(tl, evs, made, d("2010-01-01"))
	shapes := map[string]int{}
	for _, m := range c.Lanes[1].Markers {
		shapes[m.Shape]++
	}
	if shapes["square"] != 1 || shapes["cross"] != 1 {
		t.Errorf("change markers %v, want a square (amends another act) and a cross (repealed)", shapes)
	}
	if b := c.Rows[0].Bands[2]; b.Pattern != "cross" || b.Class != "st-repealed" {
		t.Errorf("the repealed band is %q with texture %q", b.Class, b.Pattern)
	}
}

// An act with very many provisions draws the first ones and says how many
// more the table holds.
func TestChartBoundsItsRows(t *testing.T) {
	tl := projections.Timeline{Intervals: []projections.Interval{{Status: projections.InForce}}, Provisions: map[string][]projections.ProvisionInterval{}}
	for i := range 100 {
		tl.Provisions[fmt.Sprintf("art_%03d", i)] = []projections.ProvisionInterval{{Status: projections.ProvisionInForce}}
	}
	c := buildChart(tl, nil, nil, d("2010-01-01"))
	if len(c.Rows) != 1+maxChartRows || c.Hidden != 100-maxChartRows {
		t.Errorf("%d rows, %d hidden; want %d rows and %d hidden", len(c.Rows), c.Hidden, 1+maxChartRows, 100-maxChartRows)
	}
}
