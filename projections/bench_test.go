package projections_test

import (
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/pebblestore"
	"github.com/lexledger/lexledger/projections"
)

// benchStream is a stream of 100,000 events over 10,000 acts: each act's
// life of ten events (adopted, signed, published, commenced, amended twice,
// suspended, lifted, a correction, repealed for some or corrigendum),
// interleaved act by act as a ledger receives them. Every event passes
// events.Validate against its act's prior events.
var benchStream = sync.OnceValue(func() []eventlog.Entry {
	const acts = 10000
	countries := []string{"kz", "kz", "kz", "kz", "uz", "za", "kg", "tj"}
	type life struct {
		id   events.ActID
		hist []events.Event
	}
	lives := make([]*life, acts)
	for i := range lives {
		lives[i] = &life{id: events.ActID(fmt.Sprintf("/akn/%s/act/%d/%d", countries[i%len(countries)], 1990+i%20, i))}
	}
	step := func(l *life, k, i int) events.Event {
		y := 1995 + i%15
		date := func(dy int, md string) events.Date { return events.MustDate(fmt.Sprintf("%d-%s", y+dy, md)) }
		e := events.Event{Schema: 1, ID: events.NewID(), Act: l.id, Date: date(0, "03-01")}
		switch k {
		case 0:
			e.Type, e.Body.Title, e.Body.Kind = events.Adopted, fmt.Sprintf("Law %d", i), events.Law
			e.Body.Texts = map[string]string{"art_1": "one", "art_2": "two"}
		case 1:
			e.Type, e.Date = events.Signed, date(0, "03-05")
		case 2:
			e.Type, e.Date, e.Body.Gazette = events.Published, date(0, "03-10"), "Gazette"
		case 3:
			e.Type, e.EffectiveFrom = events.Commenced, date(1, "01-01")
		case 4, 5:
			e.Type, e.EffectiveFrom, e.Instrument = events.Amended, date(k-2, "07-01"), lives[(i+1)%acts].id
			e.Provisions, e.Body.Effect = []string{fmt.Sprintf("art_%d", k-3)}, events.Substitution
			e.Body.Texts = map[string]string{fmt.Sprintf("art_%d", k-3): fmt.Sprintf("text %d", k)}
		case 6:
			e.Type, e.EffectiveFrom = events.Suspended, date(4, "01")
		case 7:
			e.Type, e.EffectiveFrom = events.SuspensionLifted, date(5, "01-01")
		case 8:
			e.Type, e.Body.Corrects, e.Body.Reason = events.RecordCorrected, l.hist[3].ID, "wrong day"
			e.Body.Correction = []byte(`{"effective_from":"` + date(1, "02-01").String() + `"}`)
		case 9:
			if i%3 == 0 {
				e.Type, e.EffectiveFrom = events.Repealed, date(8, "01-01")
			} else {
				e.Type, e.Body.Texts = events.Corrigendum, map[string]string{"art_1": "one, corrected"}
			}
		}
		return e
	}
	var out []eventlog.Entry
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for k := 0; k < 10; k++ {
		for i, l := range lives {
			e := step(l, k, i)
			if err := events.Validate(l.hist, e); err != nil {
				panic(fmt.Sprintf("benchmark stream: %s %s: %v", e.Act, e.Type, err))
			}
			clock = clock.Add(time.Millisecond)
			e.RecordedAt, e.RecordedBy = clock, "bench"
			l.hist = append(l.hist, e)
			out = append(out, eventlog.Entry{Seq: uint64(len(out) + 1), Event: e})
		}
	}
	return out
})

// benchStores are the stores the benchmarks run on: each returns an
// empty store and a function that closes it.
var benchStores = []struct {
	name string
	open func(b *testing.B) (projections.Store, func())
}{
	{"memory", func(*testing.B) (projections.Store, func()) { return projections.NewMemStore(), func() {} }},
	{"pebble", func(b *testing.B) (projections.Store, func()) {
		dir, err := os.MkdirTemp("", "lex-bench-pebble-")
		if err != nil {
			b.Fatal(err)
		}
		s, err := pebblestore.Open(dir, pebblestore.Options{})
		if err != nil {
			b.Fatal(err)
		}
		return s, func() { s.Close(); os.RemoveAll(dir) }
	}},
}

// BenchmarkApply applies the 100,000 events of benchStream to a new
// projection on each store; an op is the whole stream.
func BenchmarkApply(b *testing.B) {
	stream := benchStream()
	for _, st := range benchStores {
		b.Run(st.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				s, done := st.open(b)
				b.StartTimer()
				p := projections.NewWith(s)
				for _, e := range stream {
					if _, err := p.Apply(e); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				done()
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(stream)), "ns/event")
		})
	}
}

// BenchmarkListInForce lists the acts in force in one country on a day,
// over 10,000 acts (5,000 of them in kz), now and as known at a past time.
func BenchmarkListInForce(b *testing.B) {
	stream := benchStream()
	p := projections.New()
	for _, e := range stream {
		if _, err := p.Apply(e); err != nil {
			b.Fatal(err)
		}
	}
	past := stream[len(stream)/2].Event.RecordedAt
	for _, c := range []struct {
		name  string
		known *time.Time
	}{{"now", nil}, {"known_at", &past}} {
		b.Run(c.name, func(b *testing.B) {
			q := projections.Query{AsOf: events.MustDate("2006-06-01"), KnownAt: c.known}
			f := projections.Filter{Country: "kz", Status: projections.InForce}
			list, err := p.List(f, q)
			if err != nil || len(list) == 0 {
				b.Fatalf("List = %d acts, %v", len(list), err)
			}
			for b.Loop() {
				if _, err := p.List(f, q); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(list)), "acts_listed")
		})
	}
}

// BenchmarkLongAct asks about one act of 1,000 events (adopted,
// commenced, then amendments of one article each, a text each), on each
// store: its state now, its state as known halfway (a fold of its first
// 501 events, as on the first ask at that record time), and its timeline.
func BenchmarkLongAct(b *testing.B) {
	for _, st := range benchStores {
		b.Run(st.name, func(b *testing.B) {
			s, done := st.open(b)
			defer done()
			benchLongAct(b, s, st.open)
		})
	}
}

func benchLongAct(b *testing.B, s projections.Store, open func(*testing.B) (projections.Store, func())) {
	const n = 1000
	id := events.ActID("/akn/kz/act/code/1997-07-16/167")
	var hist []events.Event
	p := projections.NewWith(s)
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		e := events.Event{Schema: 1, ID: events.NewID(), Act: id, Date: events.MustDate("1997-07-16")}
		switch i {
		case 0:
			e.Type, e.Body.Title, e.Body.Kind = events.Adopted, "Civil Code", events.Law
			e.Body.Texts = map[string]string{"art_1": "one"}
		case 1:
			e.Type, e.EffectiveFrom = events.Commenced, events.MustDate("1998-01-01")
		default:
			art := fmt.Sprintf("art_%d", i%200+1)
			e.Type, e.EffectiveFrom, e.Instrument = events.Amended, events.MustDate(fmt.Sprintf("%d-07-01", 1999+i%25)), "/akn/kz/act/2005-06-01/1"
			e.Provisions, e.Body.Effect = []string{art}, events.Substitution
			e.Body.Texts = map[string]string{art: fmt.Sprintf("Article %d as amended for the %dth time: the court shall hear the case within a reasonable time.", i%200+1, i)}
		}
		if err := events.Validate(hist, e); err != nil {
			b.Fatalf("event %d: %v", i, err)
		}
		clock = clock.Add(time.Second)
		e.RecordedAt, e.RecordedBy = clock, "bench"
		hist = append(hist, e)
		if _, err := p.Apply(eventlog.Entry{Seq: uint64(i + 1), Event: e}); err != nil {
			b.Fatal(err)
		}
	}
	day := events.MustDate("2010-01-01")
	// One more amendment of an act of 1,000 events and more: its cost must
	// not grow with the history (issue 15; indexInstruments re-indexed
	// every amendment at each event).
	b.Run("apply_one_more", func(b *testing.B) {
		seq := uint64(n)
		for b.Loop() {
			seq++
			art := fmt.Sprintf("art_%d", seq%200+1)
			clock = clock.Add(time.Second)
			e := events.Event{Schema: 1, ID: events.NewID(), Act: id, Date: events.MustDate("2005-06-01"), Type: events.Amended,
				EffectiveFrom: events.MustDate("2005-07-01"), Instrument: events.ActID(fmt.Sprintf("/akn/kz/act/2005-06-01/%d", seq)),
				Provisions: []string{art}, RecordedAt: clock, RecordedBy: "bench"}
			e.Body.Effect, e.Body.Texts = events.Substitution, map[string]string{art: "Article as amended once more."}
			if _, err := p.Apply(eventlog.Entry{Seq: seq, Event: e}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("state_now", func(b *testing.B) {
		var took []time.Duration
		for b.Loop() {
			start := time.Now()
			if _, err := p.State(id, projections.Query{AsOf: day}); err != nil {
				b.Fatal(err)
			}
			took = append(took, time.Since(start))
		}
		reportP99(b, took)
	})
	b.Run("state_known_at_first_ask", func(b *testing.B) {
		// A fresh projection each time: the past cache misses, as on the
		// first ask at a record time.
		known := hist[n/2].RecordedAt
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			s, done := open(b)
			fresh := reapply(b, projections.NewWith(s), hist)
			b.StartTimer()
			if _, err := fresh.State(id, projections.Query{AsOf: day, KnownAt: &known}); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			done()
			b.StartTimer()
		}
	})
	b.Run("state_known_at_cached", func(b *testing.B) {
		known := hist[n/2].RecordedAt
		var took []time.Duration
		for b.Loop() {
			start := time.Now()
			if _, err := p.State(id, projections.Query{AsOf: day, KnownAt: &known}); err != nil {
				b.Fatal(err)
			}
			took = append(took, time.Since(start))
		}
		reportP99(b, took)
	})
	b.Run("timeline", func(b *testing.B) {
		for b.Loop() {
			if _, err := p.Timeline(id, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("history", func(b *testing.B) {
		for b.Loop() {
			if h := p.History(id); len(h) != n {
				b.Fatalf("History = %d events, want %d", len(h), n)
			}
		}
	})
}

// reportP99 reports the 99th percentile of the calls' times, in ns.
func reportP99(b *testing.B, took []time.Duration) {
	if len(took) == 0 {
		return
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)*99/100].Nanoseconds()), "p99-ns")
}

// reapply applies hist to p, at sequences from 1, and returns p.
func reapply(b *testing.B, p *projections.Projection, hist []events.Event) *projections.Projection {
	for i, e := range hist {
		if _, err := p.Apply(eventlog.Entry{Seq: uint64(i + 1), Event: e}); err != nil {
			b.Fatal(err)
		}
	}
	return p
}

// BenchmarkOpen reopens a Pebble store that holds benchStream's 100,000
// events, as a restarted projector does (projections.Open); an op is
// one reopening.
func BenchmarkOpen(b *testing.B) {
	stream := benchStream()
	s, err := pebblestore.Open(b.TempDir(), pebblestore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	p := projections.NewWith(s)
	for _, e := range stream {
		if _, err := p.Apply(e); err != nil {
			b.Fatal(err)
		}
	}
	want := p.Digest()
	b.ResetTimer()
	for b.Loop() {
		q, err := projections.Open(s)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if got := q.Digest(); got != want {
			b.Fatalf("the reopened projection's digest is %s, the one that wrote the store %s", got, want)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(stream)), "ns/event")
}
