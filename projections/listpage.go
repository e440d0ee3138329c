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
		m, n := p.modelAt(id, q.KnownAt)
		if m == nil || (f.Kind != "" && m.kind != f.Kind) {
			return true
		}
		s := p.stateOf(id, m, n, q, false)
		if f.Status != "" && s.Status != f.Status {
			return true
		}
		if len(pg.Items) == limit { // one more: the page is not the last
			pg.Next = Cursor{Key: string(pg.Items[limit-1].Act)}
			return false
		}
		pg.Items = append(pg.Items, s)
		return true
	})
	return pg, nil
}

// Count is len(List(f, q)) without building the list: without a status
// filter it decides no act's state, only which acts the filter holds.
func (p *Projection) Count(f Filter, q Query) (int, error) {
	if err := q.check(); err != nil {
		return 0, err
	}
	n := 0
	p.eachActAfter(f.Country, "", func(id events.ActID) bool {
		m, k := p.modelAt(id, q.KnownAt)
		if m == nil || (f.Kind != "" && m.kind != f.Kind) {
			return true
		}
		if f.Status == "" || p.stateOf(id, m, k, q, false).Status == f.Status {
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
