package projections_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// The property test: random valid histories over several acts and
// countries, and for a grid of (as_of, known_at) the projection's indexed
// answers against the naive reference of reference_test.go.

// propertySeeds are fixed: the test does not depend on -count or the clock.
var propertySeeds = []uint64{0x5eed, 1, 2, 3, 42, 1997, 20091210, 0xdeadbeef}

const propertyHistories = 200

func TestProperty(t *testing.T) { runProperty(t, false) }

// TestPropertyStrict is TestProperty without the known defects' allowance.
func TestPropertyStrict(t *testing.T) {
	runProperty(t, true)
}

func runProperty(t *testing.T, strict bool) {
	n := propertyHistories
	if testing.Short() || raceEnabled {
		n = 24
	}
	// One subtest per seed, in parallel; history i uses seed i mod the
	// number of seeds and stream i.
	for si, seed := range propertySeeds {
		t.Run(fmt.Sprintf("seed=%#x", seed), func(t *testing.T) {
			t.Parallel()
			known := map[string]int{}
			histories, totalEvents, totalChecks := 0, 0, 0
			var kept, folded uint64 // record events that kept their act's model, and that folded it again
			for i := si; i < n; i += len(propertySeeds) {
				r := rand.New(rand.NewPCG(seed, uint64(i)))
				h := generate(r, genOptions{acts: 3 + r.IntN(6), events: 20 + r.IntN(80)})
				histories++
				totalEvents += len(h.entries)
				name := fmt.Sprintf("history %d (seed %#x, stream %d)", i, seed, i)
				checkDeterminism(t, r, h, name)
				g := newGrid(r, h)
				p := project(t, h.entries)
				if bad := projections.FrozenRoundTrip(p); len(bad) > 0 {
					t.Errorf("%s: models that do not thaw as they were frozen:\n  %s", name, strings.Join(bad[:min(len(bad), 3)], "\n  "))
				}
				k, f := p.RecordFoldStats()
				kept, folded = kept+k, folded+f
				worlds := []namedWorld{{"", newRefWorld(h, refBugs{})}}
				if !strict {
					worlds = append(worlds, knownDefectWorlds(h)...)
				}
				bad := compareAll(p, worlds, g, known, &totalChecks)
				if len(bad) > 0 {
					t.Errorf("%s: %d disagreements with the reference that no known defect explains, first ones:\n  %s\nhistory:\n%s", name, len(bad),
						strings.Join(bad[:min(len(bad), 12)], "\n  "), dumpHistory(h))
					return
				}
			}
			t.Logf("%d histories, %d events, %d answers compared; record events that kept the model: %d, that folded it: %d; answers explained by a known defect: %v",
				histories, totalEvents, totalChecks, kept, folded, known)
		})
	}
}

// namedWorld is a reference, named by the known defect it reproduces.
type namedWorld struct {
	name string
	w    *refWorld
}

// knownDefectWorlds returns a reference for each known defect alone, then
// one with all of them.
func knownDefectWorlds(h *genHistory) []namedWorld {
	flags := []struct {
		name string
		set  func(*refBugs)
	}{
		{"same-day re-enactment", func(b *refBugs) { b.reenactSameDay = true }},
		{"postponement of some provisions", func(b *refBugs) { b.postponeOverlap = true }},
		{"lift of an ended suspension", func(b *refBugs) { b.liftEnded = true }},
		{"text versions by record order", func(b *refBugs) { b.textRecordOrder = true }},
		{"first_in_force while ended", func(b *refBugs) { b.firstInForceAll = true }},
		{"list order by country", func(b *refBugs) { b.listByCountry = true }},
		{"amendments made after an instrument correction", func(b *refBugs) { b.madeByRawInstrum = true }},
		{"law date by record order", func(b *refBugs) { b.lawFirstRecorded = true }},
		{"uncertain boundaries of one first day", func(b *refBugs) { b.uncertainByDay = true }},
	}
	var out []namedWorld
	for _, f := range flags {
		var b refBugs
		f.set(&b)
		out = append(out, namedWorld{f.name, newRefWorld(h, b)})
	}
	return append(out, namedWorld{"several", newRefWorld(h, allBugs)})
}

// checkDeterminism: two projections of one stream have one digest and
// byte-identical snapshots; a snapshot taken in the middle, restored and
// followed by the rest of the stream, gives the same digest too.
func checkDeterminism(t *testing.T, r *rand.Rand, h *genHistory, name string) {
	t.Helper()
	p1, p2 := project(t, h.entries), project(t, h.entries)
	var b1, b2 bytes.Buffer
	if err := p1.WriteSnapshot(&b1); err != nil {
		t.Fatal(err)
	}
	if err := p2.WriteSnapshot(&b2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b1.Bytes(), b2.Bytes()) || p1.Digest() != p2.Digest() {
		t.Fatalf("%s: two projections of one stream differ", name)
	}
	k := r.IntN(len(h.entries) + 1)
	var mid bytes.Buffer
	if err := project(t, h.entries[:k]).WriteSnapshot(&mid); err != nil {
		t.Fatal(err)
	}
	p3, err := readSnapshot(t, &mid)
	if err != nil {
		t.Fatalf("%s: ReadSnapshot after %d events: %v", name, k, err)
	}
	for _, e := range h.entries[k:] {
		if _, err := p3.Apply(e); err != nil {
			t.Fatalf("%s: Apply(%d) after a snapshot at %d events: %v", name, e.Seq, k, err)
		}
	}
	if p3.Digest() != p1.Digest() || p3.LastSeq() != p1.LastSeq() || p3.Events() != p1.Events() {
		t.Fatalf("%s: a snapshot after %d events, then the rest: digest %s, want %s", name, k, p3.Digest(), p1.Digest())
	}
}

// grid is the questions asked of one history.
type grid struct {
	knowns    []*time.Time
	days      []events.Date
	listDays  []events.Date // the days List is asked about
	countries []string
	kinds     []events.Kind
	pairs     [][2]events.Date
}

func newGrid(r *rand.Rand, h *genHistory) *grid {
	g := &grid{knowns: []*time.Time{nil}}
	first := h.entries[0].Event.RecordedAt.Add(-time.Second)
	g.knowns = append(g.knowns, &first)
	for j := 0; j < 3; j++ {
		e := h.entries[r.IntN(len(h.entries))].Event
		at, before := e.RecordedAt, e.RecordedAt.Add(-time.Nanosecond)
		g.knowns = append(g.knowns, &at, &before)
	}
	// Days: each recorded date's first and last day and their neighbours,
	// corrections' dates included, sampled; and some days at random.
	set := map[events.DayNum]bool{}
	addDate := func(d events.Date) {
		if d.IsZero() {
			return
		}
		for _, n := range []events.DayNum{d.Earliest() - 1, d.Earliest(), d.Earliest() + 1, d.Latest(), d.Latest() + 1} {
			set[n] = true
		}
	}
	for _, a := range h.acts {
		for n := 1; n <= len(a.hist); n++ {
			eff := h.effective(a.id, n)
			for _, e := range eff {
				addDate(e.Date)
				addDate(e.EffectiveFrom)
				addDate(e.EffectiveTo)
			}
		}
	}
	var all []events.DayNum
	for d := range set {
		all = append(all, d)
	}
	slices.Sort(all)
	r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	all = all[:min(len(all), 30)]
	for i := 0; i < 6; i++ {
		all = append(all, events.MustDate("1997-01-01").Earliest()+events.DayNum(r.IntN(18*365)))
	}
	slices.Sort(all)
	for _, d := range slices.Compact(all) {
		g.days = append(g.days, d.Date())
	}
	for i := 0; i < 10; i++ {
		g.listDays = append(g.listDays, g.days[r.IntN(len(g.days))])
	}
	seen := map[string]bool{}
	kinds := map[events.Kind]bool{}
	for _, a := range h.acts {
		if c := a.id.Country(); !seen[c] {
			seen[c] = true
			g.countries = append(g.countries, c)
		}
		kinds[a.kind] = true
	}
	g.countries = append(g.countries, "xx") // a country with no act
	for k := range kinds {
		g.kinds = append(g.kinds, k)
	}
	slices.Sort(g.kinds)
	for i := 0; i < 6; i++ {
		g.pairs = append(g.pairs, [2]events.Date{g.days[r.IntN(len(g.days))], g.days[r.IntN(len(g.days))]})
	}
	return g
}

// compareAll asks p every question of g and returns the disagreements with
// the reference worlds[0]; a disagreement that one of the other worlds (a
// known defect) explains is counted in known instead.
func compareAll(p *projections.Projection, worlds []namedWorld, g *grid, known map[string]int, checks *int) []string {
	var bad []string
	judge := func(what func() string, cmp func(w *refWorld) []string) {
		*checks++
		miss := cmp(worlds[0].w)
		if len(miss) == 0 {
			return
		}
		for _, nw := range worlds[1:] {
			if len(cmp(nw.w)) == 0 {
				known[nw.name]++
				return
			}
		}
		for _, m := range miss {
			bad = append(bad, what()+": "+m)
		}
	}
	h := worlds[0].w.h
	for _, kt := range g.knowns {
		for _, a := range h.acts {
			for _, d := range g.days {
				got, err := p.State(a.id, projections.Query{AsOf: d, KnownAt: kt})
				judge(func() string { return fmt.Sprintf("State(%s, %s, known %s)", a.id, d, fmtKnown(kt)) }, func(w *refWorld) []string {
					return compareState(w, a.id, d, kt, got, err)
				})
			}
			tl, err := p.Timeline(a.id, kt)
			judge(func() string { return fmt.Sprintf("Timeline(%s, known %s)", a.id, fmtKnown(kt)) }, func(w *refWorld) []string {
				return compareTimeline(w, a.id, kt, g.days, tl, err)
			})
		}
		for _, d := range g.listDays {
			filters := []projections.Filter{{}, {Status: projections.InForce}, {Status: projections.NotAdopted}}
			for _, c := range g.countries {
				filters = append(filters, projections.Filter{Country: c}, projections.Filter{Country: c, Status: projections.Repealed})
			}
			for _, k := range g.kinds {
				filters = append(filters, projections.Filter{Kind: k})
			}
			for _, f := range filters {
				got, err := p.List(f, projections.Query{AsOf: d, KnownAt: kt})
				judge(func() string { return fmt.Sprintf("List(%+v, %s, known %s)", f, d, fmtKnown(kt)) }, func(w *refWorld) []string {
					return compareList(w, f, d, kt, got, err)
				})
			}
		}
		for _, pr := range g.pairs {
			for _, f := range []projections.Filter{{}, {Country: g.countries[0]}, {Kind: g.kinds[0], Status: projections.Repealed}} {
				got, err := p.Diff(pr[0], pr[1], f, kt)
				judge(func() string { return fmt.Sprintf("Diff(%s, %s, %+v, known %s)", pr[0], pr[1], f, fmtKnown(kt)) }, func(w *refWorld) []string {
					return compareDiff(w, pr[0], pr[1], f, kt, got, err)
				})
			}
		}
	}
	return bad
}

func compareState(w *refWorld, id events.ActID, day events.Date, kt *time.Time, got projections.ActState, err error) []string {
	m, n := w.model(id, kt)
	if m == nil {
		if events.ErrorCode(err) != events.CodeNotFound {
			return []string{fmt.Sprintf("got %v (%s), want not found: nothing recorded by then", err, got.Status)}
		}
		return nil
	}
	if err != nil {
		return []string{fmt.Sprintf("error %v, want an answer", err)}
	}
	var bad []string
	badf := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	d := day.Earliest()
	v := m.statusOn(d)
	if got.Status != v.status || !slices.Contains(v.reasons, got.Reason) {
		badf("status %s (%s), want %s (%s)", got.Status, got.Reason, v.status, strings.Join(v.reasons, " | "))
	}
	if u := slices.Clone(got.Uncertain); !sortedDatesEqual(u, m.uncertainOn(d)) {
		badf("uncertain %v, want %v", got.Uncertain, m.uncertainOn(d))
	}
	if got.Version != uint64(n) {
		badf("version %d, want %d", got.Version, n)
	}
	if got.Act != id || got.Country != id.Country() || got.Title != m.title || got.Kind != m.kind || got.AsOf != day {
		badf("identity %s %s %q %s %s, want %s %s %q %s %s", got.Act, got.Country, got.Title, got.Kind, got.AsOf, id, id.Country(), m.title, m.kind, day)
	}
	if got.Stage != m.stage || got.StageDate != m.stageDate {
		badf("stage %s %s, want %s %s", got.Stage, got.StageDate, m.stage, m.stageDate)
	}
	if wd := m.keyDates(); !reflect.DeepEqual(got.Dates, wd) {
		badf("dates %v, want %v", got.Dates, wd)
	}
	var recv []projections.Amendment
	for _, a := range m.amendments {
		if a.EffectiveFrom.Earliest() <= d {
			recv = append(recv, a)
		}
	}
	if !reflect.DeepEqual(got.AmendmentsReceived, recv) {
		badf("amendments received %+v, want %+v", got.AmendmentsReceived, recv)
	}
	if made := w.amendmentsMade(id, d, kt); !reflect.DeepEqual(got.AmendmentsMade, made) {
		badf("amendments made %+v, want %+v", got.AmendmentsMade, made)
	}
	var eids []string
	for _, ps := range got.Provisions {
		eids = append(eids, ps.EID)
	}
	if want := m.sortedProvisions(); !slices.Equal(eids, want) {
		badf("provisions %v, want %v", eids, want)
		return bad
	}
	for _, ps := range got.Provisions {
		st, text := m.provisionOn(ps.EID, d)
		want := projections.ProvisionState{EID: ps.EID, Status: st, InForce: st != projections.ProvisionNotInForce,
			Suspended: st == projections.ProvisionSuspended}
		if text != nil {
			want.Text, want.TextFrom, want.TextEvent = text.text, text.from, text.id
		}
		if ps != want {
			badf("provision %+v, want %+v", ps, want)
		}
	}
	return bad
}

func sortedDatesEqual(got, want []events.Date) bool {
	sortDates(got)
	return slices.Equal(got, want)
}

func compareTimeline(w *refWorld, id events.ActID, kt *time.Time, days []events.Date, tl projections.Timeline, err error) []string {
	m, n := w.model(id, kt)
	if m == nil {
		if events.ErrorCode(err) != events.CodeNotFound {
			return []string{fmt.Sprintf("got %v, want not found", err)}
		}
		return nil
	}
	if err != nil {
		return []string{fmt.Sprintf("error %v", err)}
	}
	var bad []string
	badf := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	hist := w.h.byID[id].hist[:n]
	eff := w.h.effective(id, n)
	effective := map[events.ID]bool{}
	for _, e := range eff {
		effective[e.ID] = true
	}
	seqs := map[events.ID]uint64{}
	for _, en := range w.h.entries {
		seqs[en.Event.ID] = en.Seq
	}
	if len(tl.Events) != n {
		badf("%d events, want %d", len(tl.Events), n)
	} else {
		for i, te := range tl.Events {
			e := hist[i]
			want := projections.TimelineEvent{Seq: seqs[e.ID], ID: e.ID, Type: e.Type, Date: e.Date, Effective: effective[e.ID],
				RecordedAt: e.RecordedAt, RecordedBy: e.RecordedBy}
			if !reflect.DeepEqual(te, want) {
				badf("event %d = %+v, want %+v", i, te, want)
			}
		}
	}
	if tl.Act != id || tl.Title != m.title {
		badf("act %s %q", tl.Act, tl.Title)
	}
	ivs := tl.Intervals
	if len(ivs) == 0 || !ivs[0].From.IsZero() || !ivs[len(ivs)-1].To.IsZero() {
		return append(bad, fmt.Sprintf("intervals %+v do not cover all time", ivs))
	}
	for i := 1; i < len(ivs); i++ {
		if ivs[i-1].To != ivs[i].From || ivs[i].From.Earliest() <= ivs[i-1].From.Earliest() && i > 1 {
			badf("intervals %d and %d are not contiguous and increasing: %+v", i-1, i, ivs)
		}
		if ivs[i-1].Status == ivs[i].Status && ivs[i-1].Reason == ivs[i].Reason {
			badf("intervals %d and %d have one status and reason: %+v", i-1, i, ivs)
		}
	}
	contains := func(from, to events.Date, d events.DayNum) bool {
		return (from.IsZero() || from.Earliest() <= d) && (to.IsZero() || d < to.Earliest())
	}
	for _, day := range days {
		d := day.Earliest()
		v := m.statusOn(d)
		for _, iv := range ivs {
			if contains(iv.From, iv.To, d) && (iv.Status != v.status || !slices.Contains(v.reasons, iv.Reason)) {
				badf("on %s the interval [%s, %s) says %s (%s), want %s (%s)", day, iv.From, iv.To, iv.Status, iv.Reason, v.status, strings.Join(v.reasons, " | "))
			}
		}
	}
	var eids []string
	for eid := range tl.Provisions {
		eids = append(eids, eid)
	}
	sort.Strings(eids)
	if want := m.sortedProvisions(); !slices.Equal(eids, want) {
		return append(bad, fmt.Sprintf("provision timelines %v, want %v", eids, want))
	}
	for _, eid := range eids {
		pivs := tl.Provisions[eid]
		for _, day := range days {
			d := day.Earliest()
			st, _ := m.provisionOn(eid, d)
			n := 0
			for _, iv := range pivs {
				if contains(iv.From, iv.To, d) {
					n++
					if iv.Status != st {
						badf("%s on %s: interval [%s, %s) says %s, want %s", eid, day, iv.From, iv.To, iv.Status, st)
					}
				}
			}
			if n != 1 {
				badf("%s on %s is in %d intervals: %+v", eid, day, n, pivs)
			}
		}
	}
	return bad
}

func compareList(w *refWorld, f projections.Filter, day events.Date, kt *time.Time, got []projections.ActState, err error) []string {
	if err != nil {
		return []string{err.Error()}
	}
	if got == nil {
		return []string{"nil, want an empty list"}
	}
	type row struct {
		act     events.ActID
		status  projections.Status
		version uint64
	}
	var want, have []row
	reasons := map[events.ActID][]string{}
	for _, id := range w.order(f.Country) {
		m, n := w.model(id, kt)
		if m == nil || (f.Kind != "" && m.kind != f.Kind) {
			continue
		}
		v := m.statusOn(day.Earliest())
		if f.Status != "" && v.status != f.Status {
			continue
		}
		want = append(want, row{id, v.status, uint64(n)})
		reasons[id] = v.reasons
	}
	var bad []string
	for _, s := range got {
		have = append(have, row{s.Act, s.Status, s.Version})
		if s.Provisions != nil || s.AmendmentsReceived != nil || s.AmendmentsMade != nil {
			bad = append(bad, fmt.Sprintf("%s carries provisions or amendments in a list", s.Act))
		}
		if r, ok := reasons[s.Act]; ok && !slices.Contains(r, s.Reason) {
			bad = append(bad, fmt.Sprintf("%s reason %q, want one of %q", s.Act, s.Reason, r))
		}
	}
	if !slices.Equal(have, want) {
		bad = append(bad, fmt.Sprintf("%v, want %v", have, want))
	}
	return bad
}

func compareDiff(w *refWorld, d1, d2 events.Date, f projections.Filter, kt *time.Time, got []projections.Change, err error) []string {
	if err != nil {
		return []string{err.Error()}
	}
	want := []projections.Change{}
	for _, id := range w.order(f.Country) {
		m, _ := w.model(id, kt)
		if m == nil || (f.Kind != "" && m.kind != f.Kind) {
			continue
		}
		a, b := m.statusOn(d1.Earliest()).status, m.statusOn(d2.Earliest()).status
		if a == b {
			continue
		}
		want = append(want, projections.Change{Act: id, Title: m.title, Before: a, After: b,
			EnteredForce: !a.InForceOn() && b.InForceOn(), LeftForce: a.InForceOn() && !b.InForceOn()})
	}
	if !reflect.DeepEqual(got, want) {
		return []string{fmt.Sprintf("%+v, want %+v", got, want)}
	}
	return nil
}

// dumpHistory prints a history for a failure message.
func dumpHistory(h *genHistory) string {
	var b strings.Builder
	for _, en := range h.entries {
		data, _ := events.Encode(&en.Event)
		fmt.Fprintf(&b, "  %d %s\n", en.Seq, data)
	}
	return b.String()
}
