package projections

import (
	"slices"
	"strings"
	"sync"

	"github.com/lexledger/lexledger/events"
)

// A jurisdiction's acts, in identifier order, with their status in valid
// time as now recorded laid out side by side (issue 15): counting, diffing
// and selecting acts by status on a day reads one array, not each act's
// record, its spans and its map entry, which cost 2 to 5 µs an act at
// 1,000,000 acts (BENCHMARKS.md, Queries at 1,000,000 acts).

// rowSpans is how many spans an act's row holds inline; an act with more
// is read from its own spans.
const rowSpans = 4

// statusRow is an act's spans as now recorded: n of them inline, or
// n == rowOwn for an act whose spans are read from its actRec (more than
// rowSpans of them, or changed since the row was written).
type statusRow struct {
	spans [rowSpans]span
	n     uint8
}

const rowOwn = 255

// status returns the row's status on day d; ok is false when the row
// does not hold the act's spans.
func (w *statusRow) status(d events.DayNum) (uint8, bool) {
	if w.n == rowOwn {
		return 0, false
	}
	j := int(w.n) - 1
	for j > 0 && w.spans[j].from > d {
		j--
	}
	return w.spans[j].status, true
}

// country is one jurisdiction's acts: their identifiers (sorted), their
// records and their rows, at the same index.
//
// Apply, which runs alone, only adds to pending (a new act: no slice of
// the country is moved, whatever its size) and stale (an act changed).
// The first reader after it merges and rewrites them under mu (settle);
// the readers after it find nothing to do and read the slices without
// the lock, which no one writes until Apply runs again.
type country struct {
	mu      sync.RWMutex
	ids     []events.ActID
	recs    []*actRec
	rows    []statusRow
	pending []*actRec // new acts, not yet in ids
	stale   []*actRec // acts in ids whose rows are rowOwn until written again
	days    *dayIndex // the rows by the days their status changes; nil until read (dayindex.go)
}

// addToCountry adds a new act to its jurisdiction's acts, when next read.
func (p *Projection) addToCountry(r *actRec) {
	name := r.id.Country()
	c := p.byCountry[name]
	if c == nil {
		c = &country{}
		p.byCountry[name] = c
	}
	c.pending = append(c.pending, r)
}

// rowChanged marks r's row stale, as its spans are decided again. The
// caller holds the projection exclusively.
func (p *Projection) rowChanged(r *actRec) {
	c := p.byCountry[r.id.Country()]
	if c == nil || r.staleRow {
		return
	}
	if i, found := slices.BinarySearch(c.ids, r.id); found { // else pending
		c.rows[i].n = rowOwn
		r.staleRow = true
		c.stale = append(c.stale, r)
	}
}

// settle merges the acts added since the last reader into c's slices and
// writes the rows of those changed.
func (p *Projection) settle(c *country) {
	c.mu.RLock()
	todo := len(c.pending) + len(c.stale)
	c.mu.RUnlock()
	if todo == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pending) > 0 {
		p.merge(c)
	}
	for _, r := range c.stale {
		if i, found := slices.BinarySearch(c.ids, r.id); found {
			c.rows[i] = p.rowOf(r)
			p.rowWritten(c, i)
		}
		r.staleRow = false
	}
	clear(c.stale)
	c.stale = c.stale[:0]
}

// merge moves c's pending acts into its slices, in one pass from the end.
func (p *Projection) merge(c *country) {
	add := c.pending
	slices.SortFunc(add, func(a, b *actRec) int { return strings.Compare(string(a.id), string(b.id)) })
	n, k := len(c.ids), len(add)
	c.ids = slices.Grow(c.ids, k)[:n+k]
	c.recs = slices.Grow(c.recs, k)[:n+k]
	c.rows = slices.Grow(c.rows, k)[:n+k]
	i, j := n-1, k-1
	for w := n + k - 1; j >= 0; w-- {
		if i >= 0 && c.ids[i] > add[j].id {
			c.ids[w], c.recs[w], c.rows[w] = c.ids[i], c.recs[i], c.rows[i]
			i--
			continue
		}
		c.ids[w], c.recs[w], c.rows[w] = add[j].id, add[j], p.rowOf(add[j])
		j--
	}
	clear(c.pending)
	c.pending = c.pending[:0]
	c.days = nil // rows moved
}

// rowOf returns r's row as now recorded.
func (p *Projection) rowOf(r *actRec) statusRow {
	sp := p.spansOf(r)
	w := statusRow{n: rowOwn}
	if len(sp) <= rowSpans {
		w.n = uint8(copy(w.spans[:], sp))
	}
	return w
}

// eachStatus calls fn with the acts of a jurisdiction ("" for all), in
// identifier order, of kind (any when ""), how each one's identifier
// compares with key (as strings.Compare; 1 for all when key is ""), and
// the index in Statuses of their status as now recorded on each day of
// days, until fn returns false. It reads the rows, and an act's record
// only when kind is given; an act whose row does not hold its spans is
// read from its own.
//
// The comparison is by position: key's place in each jurisdiction's
// sorted identifiers is found once, so that a page after a cursor reads
// no identifier of the acts before it (each a miss of the cache).
func (p *Projection) eachStatus(name string, kind events.Kind, key string, days []events.DayNum, fn func(r *actRec, cmp int, st []uint8) bool) {
	st := make([]uint8, len(days))
	for _, c := range p.countriesOf(name) {
		at, on := cursorIn(c, key)
		if !p.eachStatusOf(c, kind, days, 0, at, on, st, fn) {
			return
		}
	}
}

// eachStatusOf is eachStatus over c's rows from row from on, with the
// cursor's place in them (cursorIn); it returns false when fn did.
func (p *Projection) eachStatusOf(c *country, kind events.Kind, days []events.DayNum, from, at, on int, st []uint8, fn func(r *actRec, cmp int, st []uint8) bool) bool {
	for i := from; i < len(c.rows); i++ {
		if kind != "" && c.recs[i].kind != kind {
			continue
		}
		w := &c.rows[i]
		for k, d := range days {
			s, ok := w.status(d)
			if !ok {
				s = statusCode(p.statusNow(c.recs[i], d))
			}
			st[k] = s
		}
		if !fn(c.recs[i], cmpAt(i, at, on), st) {
			return false
		}
	}
	return true
}

// spansOf returns r's spans as now recorded, deciding them from its
// model when not decided since its last event.
func (p *Projection) spansOf(r *actRec) []span {
	sp := r.spans.Load()
	if sp == nil {
		s := p.model(r).spans()
		sp = &s
		r.spans.CompareAndSwap(nil, sp)
	}
	return *sp
}
