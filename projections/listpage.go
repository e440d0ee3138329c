package projections

import (
	"maps"
	"slices"
	"sort"
	"strings"

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
	countries := []string{country}
	if country == "" {
		countries = slices.Collect(maps.Keys(p.byCountry))
		slices.SortFunc(countries, func(a, b string) int { return strings.Compare(a+"/", b+"/") })
	}
	for _, c := range countries {
		ids := p.byCountry[c]
		i := sort.Search(len(ids), func(j int) bool { return string(ids[j]) > key })
		for _, id := range ids[i:] {
			if !fn(id) {
				return
			}
		}
	}
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
	r := p.acts[id]
	if q.KnownAt == nil {
		if f.Kind != "" && r.kind != f.Kind {
			return picked{}, false
		}
		if f.Status != "" && p.statusNow(r, q.AsOf.Earliest()) != f.Status {
			return picked{}, false
		}
		return picked{r: r, n: r.log.Len()}, true
	}
	m, n := p.modelAt(id, q.KnownAt)
	if m == nil || (f.Kind != "" && m.kind != f.Kind) {
		return picked{}, false
	}
	if f.Status != "" && m.statusOn(q.AsOf.Earliest()).status != f.Status {
		return picked{}, false
	}
	return picked{r: r, m: m, n: n}, true
}
