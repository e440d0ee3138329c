package projections_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// BenchmarkText asks the consolidated text of a code of 500 provisions (100
// articles of four paragraphs) amended 200 times (words substituted,
// paragraphs inserted, repealed, articles renumbered), on days drawn at
// random over its life, as now known and as known at a past time; issue 16
// asks for p99 under 5 ms. The engine has no such query: there is no raw
// baseline, only the goal.
func BenchmarkText(b *testing.B) {
	for _, st := range benchStores {
		b.Run(st.name, func(b *testing.B) {
			s, done := st.open(b)
			defer done()
			benchText(b, s)
		})
	}
}

// textedCode returns the events of a code with a structured text and 200
// amendments whose textual changes all apply, in effective order.
func textedCode(id events.ActID) []events.Event {
	const articles, paras, amendments = 100, 4, 200
	days := map[string]int{} // each paragraph's "N days", as it reads now
	var structure []events.Node
	for a := 1; a <= articles; a++ {
		art := events.Node{EID: fmt.Sprintf("art_%d", a), Num: fmt.Sprint(a), Heading: fmt.Sprintf("Article %d", a)}
		for p := 1; p <= paras; p++ {
			eid := fmt.Sprintf("%s__para_%d", art.EID, p)
			days[eid] = 10 + p
			art.Children = append(art.Children, events.Node{EID: eid, Num: fmt.Sprint(p),
				Text: fmt.Sprintf("A court shall decide within a period of %d days of the application, save where this Code provides otherwise for a case of this kind.", days[eid])})
		}
		structure = append(structure, art)
	}
	evs := []events.Event{
		{Schema: events.SchemaVersion, ID: events.NewID(), Act: id, Type: events.Adopted, Date: events.MustDate("1997-07-16"),
			Body: events.Body{Title: "Civil Procedure Code", Kind: events.CodeKind, Structure: structure}},
		{Schema: events.SchemaVersion, ID: events.NewID(), Act: id, Type: events.Commenced, Date: events.MustDate("1998-01-01"), EffectiveFrom: events.MustDate("1998-01-01")},
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	renumbered := map[int]bool{}
	for k := 0; k < amendments; k++ {
		from := (events.MustDate("1999-01-01").Earliest() + events.DayNum(k*45)).Date()
		e := events.Event{Schema: events.SchemaVersion, ID: events.NewID(), Act: id, Type: events.Amended, Date: from, EffectiveFrom: from,
			Instrument: events.ActID(fmt.Sprintf("/akn/kz/act/%d-01-01/%d", from.Year, k+1)), Body: events.Body{Effect: events.Substitution}}
		a := rnd.IntN(articles) + 1
		art := fmt.Sprintf("art_%d", a)
		if renumbered[a] {
			art = fmt.Sprintf("art_%d-r", a)
		}
		switch {
		case k%40 == 39 && !renumbered[a]:
			e.Body.Changes = []events.Change{{Op: events.OpRenumber, Target: art, EID: art + "-r", Num: fmt.Sprintf("%d-r", a)}}
			for p := 1; p <= paras; p++ {
				old := fmt.Sprintf("%s__para_%d", art, p)
				if v, ok := days[old]; ok {
					delete(days, old)
					days[fmt.Sprintf("%s-r__para_%d", art, p)] = v
				}
			}
			renumbered[a] = true
		case k%10 == 9:
			eid := fmt.Sprintf("%s__para_%d-%d", art, paras, k)
			e.Body.Changes = []events.Change{{Op: events.OpInsert, Target: fmt.Sprintf("%s__para_%d", art, paras), Position: "after",
				Node: &events.Node{EID: eid, Num: fmt.Sprintf("%d-%d", paras, k), Text: "A party may appeal within a period of 30 days."}}}
			if _, ok := days[fmt.Sprintf("%s__para_%d", art, paras)]; !ok {
				e.Body.Changes[0] = events.Change{Op: events.OpInsert, Target: art, Position: "in", Node: e.Body.Changes[0].Node}
			}
			days[eid] = 30
		default:
			var targets []string
			for eid := range days {
				if len(eid) > len(art) && eid[:len(art)+2] == art+"__" {
					targets = append(targets, eid)
				}
			}
			slices.Sort(targets)
			for i, eid := range targets {
				if i == 3 {
					break
				}
				e.Body.Changes = append(e.Body.Changes, events.Change{Op: events.OpSubstitute, Target: eid,
					Words: fmt.Sprintf("%d days", days[eid]), With: fmt.Sprintf("%d days", days[eid]+1), Source: fmt.Sprintf("art_1__para_%d", i+1)})
				days[eid]++
			}
			if len(e.Body.Changes) == 0 {
				e.Body.Changes = []events.Change{{Op: events.OpSubstitute, Target: art, With: "Heading text."}}
			}
		}
		evs = append(evs, e)
	}
	return evs
}

func benchText(b *testing.B, s projections.Store) {
	id := events.ActID("/akn/kz/act/code/1999-07-13/411")
	p := projections.NewWith(s)
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	evs := textedCode(id)
	for i := range evs {
		clock = clock.Add(time.Second)
		evs[i].RecordedAt, evs[i].RecordedBy = clock, "bench"
		if _, err := p.Apply(eventlog.Entry{Seq: uint64(i + 1), Event: evs[i]}); err != nil {
			b.Fatal(err)
		}
	}
	last, err := p.Text(id, projections.Query{AsOf: events.MustDate("2026-01-01")})
	if err != nil {
		b.Fatal(err)
	}
	if len(last.Outstanding) != 0 {
		b.Fatalf("the generated amendments do not all apply: %+v", last.Outstanding[0])
	}
	rnd := rand.New(rand.NewPCG(3, 4))
	day := func() events.Date {
		return (events.MustDate("1998-01-01").Earliest() + events.DayNum(rnd.IntN(28*365))).Date()
	}
	halfway := clock.Add(-100 * time.Second)
	for _, c := range []struct {
		name    string
		knownAt *time.Time
	}{{"now", nil}, {"known_at_past", &halfway}} {
		b.Run(c.name, func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				start := time.Now()
				if _, err := p.Text(id, projections.Query{AsOf: day(), KnownAt: c.knownAt}); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(start))
			}
			reportP99(b, took)
		})
	}
}
