package projections_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/pebblestore"
	"github.com/lexledger/lexledger/projections"
)

// The queries of issue 15's goal at a statute book of 1,000,000 acts
// (LEX_SCALE_ACTS sets another size): a page of 100 acts in force on a
// day in a jurisdiction, by cursor (p99 under 10 ms); the counts by
// status on a day (under 50 ms); the changes between two days, a page at
// a time (p99 under 10 ms a page), with the totals (DiffPage) and without
// (DiffPageUncounted). Only `-bench Scale` runs them; the projection is
// built once a process and store, outside the timer.
//
//	go test ./projections -run '^$' -bench Scale -benchtime 200x -timeout 60m

// scaleCountries are the jurisdictions of the scale book: kz holds a
// quarter of the acts, the seven others an eighth each.
var scaleCountries = []string{"kz", "kz", "uz", "za", "kg", "tj", "ru", "by"}

// scaleActs is the size of the book: LEX_SCALE_ACTS, or 1,000,000.
func scaleActs(b *testing.B) int {
	v := os.Getenv("LEX_SCALE_ACTS")
	if v == "" {
		return 1_000_000
	}
	n, err := strconv.Atoi(strings.ReplaceAll(v, "_", ""))
	if err != nil || n < 1000 {
		b.Fatalf("LEX_SCALE_ACTS=%q: give a number of acts, at least 1000", v)
	}
	return n
}

// scaleLife returns act i's events, one to three: adopted, then for most
// commenced the next year, then for some repealed or suspended years
// later. Its year is spread over two centuries (1826 to 2025), so that on
// a day in between the book holds acts in force, repealed, suspended, not
// yet in force and not in force at all.
func scaleLife(i int) []events.Event {
	y := 1826 + (i*7919)%200
	id := events.ActID(fmt.Sprintf("/akn/%s/act/%d/%d", scaleCountries[i%len(scaleCountries)], y, i))
	day := func(y int, md string) events.Date { return events.MustDate(fmt.Sprintf("%04d-%s", y, md)) }
	ev := func(t events.Type, d events.Date) events.Event {
		return events.Event{Schema: 1, ID: events.NewID(), Act: id, Type: t, Date: d}
	}
	adopted := ev(events.Adopted, day(y, "03-01"))
	adopted.Body.Title, adopted.Body.Kind = fmt.Sprintf("Law %d of %d", i, y), events.Law
	out := []events.Event{adopted}
	kind := i / len(scaleCountries) % 8 // independent of the country
	if kind == 5 {
		return out // adopted, never commenced
	}
	commenced := ev(events.Commenced, day(y, "06-01"))
	commenced.EffectiveFrom = day(y+1, "01-01")
	out = append(out, commenced)
	switch kind {
	case 3, 4:
		e := ev(events.Repealed, day(y+1+i%40, "05-01"))
		e.EffectiveFrom = day(y+2+i%40, "01-01")
		out = append(out, e)
	case 6:
		e := ev(events.Suspended, day(y+1+i%20, "05-01"))
		e.EffectiveFrom = day(y+2+i%20, "01-01")
		out = append(out, e)
	}
	return out
}

// scaleBuild applies the book of n acts to a new projection on s, act by
// act, checking each event against its act's prior ones.
func scaleBuild(b *testing.B, s projections.Store, n int) *projections.Projection {
	p := projections.NewWith(s)
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	seq := uint64(0)
	start := time.Now()
	for i := 0; i < n; i++ {
		life := scaleLife(i)
		for k := range life {
			if err := events.Validate(life[:k], life[k]); err != nil {
				b.Fatalf("scale book: %s %s: %v", life[k].Act, life[k].Type, err)
			}
			seq++
			clock = clock.Add(time.Millisecond)
			life[k].RecordedAt, life[k].RecordedBy = clock, "bench"
			if _, err := p.Apply(eventlog.Entry{Seq: seq, Event: life[k]}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Logf("built %d acts, %d events in %s", n, seq, time.Since(start).Round(time.Millisecond))
	return p
}

// scaleMem is the book on the memory store, built once a process.
var scaleMem = struct {
	sync.Mutex
	n int
	p *projections.Projection
}{}

// BenchmarkScale runs the goal's queries on the book in memory and on
// Pebble (b.TempDir, built at each run of the benchmark).
func BenchmarkScale(b *testing.B) {
	n := scaleActs(b)
	b.Run("memory", func(b *testing.B) {
		scaleMem.Lock()
		if scaleMem.n != n {
			scaleMem.p, scaleMem.n = nil, 0
			scaleMem.p, scaleMem.n = scaleBuild(b, projections.NewMemStore(), n), n
		}
		p := scaleMem.p
		scaleMem.Unlock()
		benchScale(b, p)
	})
	b.Run("pebble", func(b *testing.B) {
		s, err := pebblestore.Open(b.TempDir(), pebblestore.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		benchScale(b, scaleBuild(b, s, n))
	})
}

func benchScale(b *testing.B, p *projections.Projection) {
	const limit = 100
	q := projections.Query{AsOf: events.MustDate("1950-06-01")}
	d1, d2 := events.MustDate("1940-01-01"), events.MustDate("1960-01-01")
	kz := projections.Filter{Country: "kz"}
	inForce := projections.Filter{Country: "kz", Status: projections.InForce}

	// The cursors: halfway through the acts in force of kz, and through
	// the changes of kz and of the whole book between the two days.
	all, err := p.List(inForce, q)
	if err != nil || len(all) < 2*limit {
		b.Fatalf("List = %d acts in force, %v", len(all), err)
	}
	halfway := projections.Cursor{Key: string(all[len(all)/2].Act)}
	kzIDs := make([]string, 0, len(all))
	for _, id := range p.Acts() {
		if id.Country() == "kz" {
			kzIDs = append(kzIDs, string(id))
		}
	}
	middleOf := func(f projections.Filter) projections.Cursor {
		ch, err := p.Diff(d1, d2, f, nil)
		if err != nil || len(ch) < 2*limit {
			b.Fatalf("Diff = %d changes, %v", len(ch), err)
		}
		return projections.Cursor{Key: string(ch[len(ch)/2].Act)}
	}
	kzChange, anyChange := middleOf(kz), middleOf(projections.Filter{})
	tally, _ := p.Tally(kz, q)
	b.Logf("kz: %d acts, %d in force on %s; counts %v", len(kzIDs), len(all), q.AsOf, tally)
	all = nil

	rnd := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		name string
		run  func() int // the items answered
	}{
		// The HTTP API's list (httpapi: ListPage), a page of acts in force.
		{"list_first", func() int {
			pg, err := p.ListPage(inForce, q, projections.Cursor{}, limit)
			must(b, err)
			return len(pg.Items)
		}},
		{"list_halfway", func() int {
			pg, err := p.ListPage(inForce, q, halfway, limit)
			must(b, err)
			return len(pg.Items)
		}},
		// A page after a random act of kz: its acts' models mostly not
		// held, folded again from the store.
		{"list_random", func() int {
			pg, err := p.ListPage(inForce, q, projections.Cursor{Key: kzIDs[rnd.IntN(len(kzIDs))]}, limit)
			must(b, err)
			return len(pg.Items)
		}},
		// The web's jurisdiction page (web: SelectPage with the number in
		// force, Tally, DiffPage).
		{"select_first", func() int {
			pg, _, err := p.SelectPage(kz, q, projections.Status.InForceOn, projections.Cursor{}, limit)
			must(b, err)
			return len(pg.Items)
		}},
		{"select_halfway", func() int {
			pg, _, err := p.SelectPage(kz, q, projections.Status.InForceOn, halfway, limit)
			must(b, err)
			return len(pg.Items)
		}},
		{"tally_kz", func() int {
			t, err := p.Tally(kz, q)
			must(b, err)
			return len(t)
		}},
		{"tally_all", func() int {
			t, err := p.Tally(projections.Filter{}, q)
			must(b, err)
			return len(t)
		}},
		{"diff_kz_first", func() int {
			pg, _, err := p.DiffPage(d1, d2, kz, nil, projections.Cursor{}, limit)
			must(b, err)
			return len(pg.Items)
		}},
		{"diff_kz_middle", func() int {
			pg, _, err := p.DiffPage(d1, d2, kz, nil, kzChange, limit)
			must(b, err)
			return len(pg.Items)
		}},
		{"diff_all_first", func() int {
			pg, _, err := p.DiffPage(d1, d2, projections.Filter{}, nil, projections.Cursor{}, limit)
			must(b, err)
			return len(pg.Items)
		}},
		{"diff_all_middle", func() int {
			pg, _, err := p.DiffPage(d1, d2, projections.Filter{}, nil, anyChange, limit)
			must(b, err)
			return len(pg.Items)
		}},
		// The HTTP API's diff after its first page (httpapi:
		// DiffPageUncounted): no totals, the walk stops after the page.
		{"diff_kz_first_uncounted", func() int {
			pg, err := p.DiffPageUncounted(d1, d2, kz, nil, projections.Cursor{}, limit)
			must(b, err)
			return len(pg.Items)
		}},
		{"diff_kz_middle_uncounted", func() int {
			pg, err := p.DiffPageUncounted(d1, d2, kz, nil, kzChange, limit)
			must(b, err)
			return len(pg.Items)
		}},
		{"diff_all_first_uncounted", func() int {
			pg, err := p.DiffPageUncounted(d1, d2, projections.Filter{}, nil, projections.Cursor{}, limit)
			must(b, err)
			return len(pg.Items)
		}},
		{"diff_all_middle_uncounted", func() int {
			pg, err := p.DiffPageUncounted(d1, d2, projections.Filter{}, nil, anyChange, limit)
			must(b, err)
			return len(pg.Items)
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			var took []time.Duration
			items := 0
			for b.Loop() {
				start := time.Now()
				items += c.run()
				took = append(took, time.Since(start))
			}
			if items == 0 {
				b.Fatalf("%s answered nothing", c.name)
			}
			reportPercentiles(b, took)
		})
	}
}

func must(b *testing.B, err error) {
	if err != nil {
		b.Fatal(err)
	}
}

// reportPercentiles reports the median and the 99th percentile of the
// calls' times, in ns.
func reportPercentiles(b *testing.B, took []time.Duration) {
	if len(took) == 0 {
		return
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(took[len(took)*99/100].Nanoseconds()), "p99-ns")
}
