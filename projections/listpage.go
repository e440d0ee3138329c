package projections

import (
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/lexledger/lexledger/events"
)

// ListPage is List cut to the page after c (the acts of the filter whose
// identifiers sort after c.Key), of at most limit acts (DefaultLimit when
// 0), with the cursor of the page after it (zero on the last). It decides
// the state of the page's acts only, and of those the filter passes over
// on the way, so that a page after the first costs its own acts, not the
// whole list's. Start is -1: the acts before the page are not counted. A
// cursor Before is answered by PageOf over the whole List.
func (p *Projection) ListPage(f Filter, q Query, c Cursor, limit int) (Page[ActState], error) {
	if c.Before {
		all, err := p.List(f, q)
		if err != nil {
			return Page[ActState]{}, err
		}
		return PageOf(all, func(a ActState) string { return string(a.Act) }, c, limit), nil
	}
	if err := q.check(); err != nil {
		return Page[ActState]{}, err
	}
	if limit <= 0 {
		limit = DefaultLimit
	}
	pg := Page[ActState]{Items: []ActState{}, Start: -1}
	p.eachActAfter(f.Country, c.Key, func(id events.ActID) bool {
		pk, ok := p.pick(id, f, q)
		if !ok {
			return true
		}
		if len(pg.Items) == limit { // one more: the page is not the last
			pg.Next = Cursor{Key: string(pg.Items[limit-1].Act)}
			return false
		}
		pg.Items = append(pg.Items, p.stateOf(id, pk.model(p), pk.n, q, false))
		return true
	})
	return pg, nil
}

// Count is len(List(f, q)) without building the list: it decides no
// act's state, only which acts the filter holds (pick).
func (p *Projection) Count(f Filter, q Query) (int, error) {
	if err := q.check(); err != nil {
		return 0, err
	}
	n := 0
	p.eachActAfter(f.Country, "", func(id events.ActID) bool {
		if _, ok := p.pick(id, f, q); ok {
			n++
		}
		return true
	})
	return n, nil
}

// eachActAfter calls fn for the acts of a country ("" for all) whose
// identifiers sort after key, in identifier order, until fn returns
// false. Every act is in its country's sorted list, and its identifier
// begins "/akn/" + country + "/"; so without a country it walks the
// countries' lists in the order of those prefixes, which is the order of
// the identifiers, without sorting them all.
func (p *Projection) eachActAfter(country, key string, fn func(events.ActID) bool) {
	for _, c := range p.countriesOf(country) {
		ids := c.ids
		i := sort.Search(len(ids), func(j int) bool { return string(ids[j]) > key })
		for _, id := range ids[i:] {
			if !fn(id) {
				return
			}
		}
	}
}

// countriesOf returns the list of a country ("" for all of them, in the
// order of their identifiers' prefixes, which is the order of the
// identifiers).
func (p *Projection) countriesOf(name string) []*country {
	if name != "" {
		if c := p.byCountry[name]; c != nil {
			p.settle(c)
			return []*country{c}
		}
		return nil
	}
	names := slices.Collect(maps.Keys(p.byCountry))
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(a+"/", b+"/") })
	out := make([]*country, len(names))
	for i, n := range names {
		out[i] = p.byCountry[n]
		p.settle(out[i])
	}
	return out
}

// idsOf returns the identifiers of a country's acts, sorted.
func (p *Projection) idsOf(name string) []events.ActID {
	if c := p.byCountry[name]; c != nil {
		p.settle(c)
		return c.ids
	}
	return nil
}

// picked is an act that a filter holds, with its events known at the
// query's time; its model is m, or, for the record as it now stands, the
// act's current model, found when the answer needs it.
type picked struct {
	r *actRec
	m *model
	n int
}

func (pk picked) model(p *Projection) *model {
	if pk.m != nil {
		return pk.m
	}
	return p.model(pk.r)
}

// pick decides whether act id is one that f holds on q's day, as known at
// q.KnownAt. For the record as it now stands it reads the act's kind and
// its spans, not its model: a list folds no act it passes over, and a
// count none at all (models.go).
func (p *Projection) pick(id events.ActID, f Filter, q Query) (picked, bool) {
	if q.KnownAt == nil && f.Status == "" {
		// Not even the spans are needed.
		r := p.acts[id]
		return picked{r: r, n: r.log.Len()}, f.Kind == "" || r.kind == f.Kind
	}
	pk, st, ok := p.classify(id, f.Kind, q)
	return pk, ok && (f.Status == "" || st == f.Status)
}

// classify returns act id's status on q's day as known at q.KnownAt, and
// false when it is not of kind (unless kind is "") or was not recorded by
// then.
func (p *Projection) classify(id events.ActID, kind events.Kind, q Query) (picked, Status, bool) {
	r := p.acts[id]
	if q.KnownAt == nil {
		if kind != "" && r.kind != kind {
			return picked{}, "", false
		}
		return picked{r: r, n: r.log.Len()}, p.statusNow(r, q.AsOf.Earliest()), true
	}
	m, n := p.modelAt(id, q.KnownAt)
	if m == nil || (kind != "" && m.kind != kind) {
		return picked{}, "", false
	}
	return picked{r: r, m: m, n: n}, m.statusOn(q.AsOf.Earliest()).status, true
}

// Tally returns how many acts of f (its Status ignored) have each status
// on q's day, as known at q.KnownAt: without rendering any, and for the
// record as it now stands without folding any (models.go).
func (p *Projection) Tally(f Filter, q Query) (map[Status]int, error) {
	if err := q.check(); err != nil {
		return nil, err
	}
	out := map[Status]int{}
	if q.KnownAt == nil {
		// For the record as it now stands, from the rows (statusindex.go).
		n := make([]int, len(Statuses))
		p.eachStatus(f.Country, f.Kind, "", []events.DayNum{q.AsOf.Earliest()}, func(_ *actRec, _ int, st []uint8) bool {
			n[st[0]]++
			return true
		})
		for i, k := range n {
			if k > 0 {
				out[Statuses[i]] = k
			}
		}
		return out, nil
	}
	p.eachActAfter(f.Country, "", func(id events.ActID) bool {
		if _, st, ok := p.classify(id, f.Kind, q); ok {
			out[st]++
		}
		return true
	})
	return out, nil
}

// SelectPage is the page of c, of at most limit acts, of the acts of f
// (its Status ignored) whose status on q's day keep accepts, as known at
// q.KnownAt, with the number of those acts: PageOf's page of that whole
// list, which it counts without keeping it (pageCut), rendering the
// page's acts only.
func (p *Projection) SelectPage(f Filter, q Query, keep func(Status) bool, c Cursor, limit int) (Page[ActState], int, error) {
	if err := q.check(); err != nil {
		return Page[ActState]{}, 0, err
	}
	pc := newPageCut(func(pk picked) string { return string(pk.r.id) }, c, limit)
	if q.KnownAt == nil {
		// For the record as it now stands, from the rows (statusindex.go);
		// the page's acts' lengths are read when rendered.
		kept := make([]bool, len(Statuses))
		for i, s := range Statuses {
			kept[i] = keep(s)
		}
		p.eachStatus(f.Country, f.Kind, c.Key, []events.DayNum{q.AsOf.Earliest()}, func(r *actRec, cmp int, st []uint8) bool {
			if kept[st[0]] {
				pc.add(picked{r: r, n: -1}, cmp)
			}
			return true
		})
	} else {
		p.eachActAfter(f.Country, "", func(id events.ActID) bool {
			if pk, st, ok := p.classify(id, f.Kind, q); ok && keep(st) {
				pc.add(pk, strings.Compare(string(id), c.Key))
			}
			return true
		})
	}
	pg := pc.page()
	out := Page[ActState]{Items: make([]ActState, len(pg.Items)), Start: pg.Start, Prev: pg.Prev, Next: pg.Next}
	for i, pk := range pg.Items {
		if pk.n < 0 {
			pk.n = pk.r.log.Len()
		}
		out.Items[i] = p.stateOf(pk.r.id, pk.model(p), pk.n, q, false)
	}
	return out, pc.n, nil
}

// ListRange is List's acts i of from <= i < to, with the number of acts
// of the whole list: it decides which acts the filter holds as pick does
// and renders only those in the range.
func (p *Projection) ListRange(f Filter, q Query, from, to int) ([]ActState, int, error) {
	if err := q.check(); err != nil {
		return nil, 0, err
	}
	out := []ActState{}
	n := 0
	p.eachActAfter(f.Country, "", func(id events.ActID) bool {
		pk, ok := p.pick(id, f, q)
		if !ok {
			return true
		}
		if n >= from && n < to {
			out = append(out, p.stateOf(id, pk.model(p), pk.n, q, false))
		}
		n++
		return true
	})
	return out, n, nil
}

// CountByCountry returns how many acts of each jurisdiction are recorded
// as known at knownAt (nil: now), deciding no act's state.
func (p *Projection) CountByCountry(knownAt *time.Time) map[string]int {
	out := map[string]int{}
	for c, l := range p.byCountry {
		p.settle(l)
		if knownAt == nil {
			out[c] = len(l.ids)
			continue
		}
		for _, id := range l.ids {
			if p.acts[id].log.KnownAt(*knownAt) > 0 {
				out[c]++
			}
		}
		if out[c] == 0 {
			delete(out, c)
		}
	}
	return out
}
