package projections

import (
	"slices"
	"sort"

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
	ids := p.actIDs(f.Country)
	i := sort.Search(len(ids), func(j int) bool { return string(ids[j]) > c.Key })
	pg := Page[ActState]{Items: []ActState{}, Start: -1}
	for _, id := range ids[i:] {
		m, n := p.modelAt(id, q.KnownAt)
		if m == nil || (f.Kind != "" && m.kind != f.Kind) {
			continue
		}
		s := p.stateOf(id, m, n, q, false)
		if f.Status != "" && s.Status != f.Status {
			continue
		}
		if len(pg.Items) == limit { // one more: the page is not the last
			pg.Next = Cursor{Key: string(pg.Items[limit-1].Act)}
			break
		}
		pg.Items = append(pg.Items, s)
	}
	return pg, nil
}

// actIDs returns the identifiers of the acts of a country ("" for all),
// sorted; the caller must not change them.
func (p *Projection) actIDs(country string) []events.ActID {
	if country != "" {
		return p.byCountry[country]
	}
	ids := make([]events.ActID, 0, len(p.acts))
	for id := range p.acts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
