package projections

import (
	"math/bits"
	"slices"

	"github.com/lexledger/lexledger/events"
)

// A jurisdiction's acts by the days their status changes (issue 15): an
// act's status differs between two days only if it changes on a day
// after the first and up to the second, so the changes between two days
// need read only the rows of the acts that change in between, not every
// row. Through the whole book of 1,000,000 acts a pass over the rows
// costs 11 ms, more than the goal of 10 ms for a page of the changes
// (BENCHMARKS.md, Streamed pages).

// dayShift is the width of a bucket of days, as a shift: 256 days.
const dayShift = 8

// dayIndex holds, for each bucket of days, the rows (their index in the
// country's slices) of the acts whose status changes on a day in it. It
// may hold more: a row written again keeps its old entries, which are
// read and found unchanged. A merge moves rows, and drops the index.
type dayIndex struct {
	base    int        // the first bucket's number
	buckets [][]uint32 // from base on
	entries int        // in all buckets
	built   int        // entries when built
}

// add enters row i under the days its spans change status (all but the
// first span's).
func (x *dayIndex) add(i int, sp []span) {
	for _, s := range sp[min(1, len(sp)):] {
		b := int(s.from >> dayShift)
		switch {
		case len(x.buckets) == 0:
			x.base = b
			x.buckets = make([][]uint32, 1)
		case b < x.base:
			x.buckets = append(make([][]uint32, x.base-b), x.buckets...)
			x.base = b
		case b >= x.base+len(x.buckets):
			x.buckets = append(x.buckets, make([][]uint32, b-x.base-len(x.buckets)+1)...)
		}
		x.buckets[b-x.base] = append(x.buckets[b-x.base], uint32(i))
		x.entries++
	}
}

// between returns the buckets that hold the days after lo up to hi.
func (x *dayIndex) between(lo, hi events.DayNum) [][]uint32 {
	from := max(int((lo+1)>>dayShift)-x.base, 0)
	to := min(int(hi>>dayShift)-x.base+1, len(x.buckets))
	if from >= to {
		return nil
	}
	return x.buckets[from:to]
}

// rowSpansOf returns the spans of row i of c.
func (p *Projection) rowSpansOf(c *country, i int) []span {
	if w := &c.rows[i]; w.n != rowOwn {
		return w.spans[:w.n]
	}
	return p.spansOf(c.recs[i])
}

// daysOf returns c's day index, building it when there is none. The
// caller has settled c.
func (p *Projection) daysOf(c *country) *dayIndex {
	c.mu.RLock()
	x := c.days
	c.mu.RUnlock()
	if x != nil {
		return x
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.days == nil {
		x := &dayIndex{}
		for i := range c.rows {
			x.add(i, p.rowSpansOf(c, i))
		}
		x.built = x.entries
		c.days = x
	}
	return c.days
}

// rowWritten enters c's row i, just written again, in c's day index; the
// caller holds c.mu. An index grown to twice its size by rows written
// again is dropped, to be built again when next read.
func (p *Projection) rowWritten(c *country, i int) {
	if c.days == nil {
		return
	}
	if c.days.entries > 2*c.days.built+1024 {
		c.days = nil
		return
	}
	c.days.add(i, p.rowSpansOf(c, i))
}

// eachChanged calls fn with the acts of a jurisdiction ("" for all), in
// identifier order, of kind (any when ""), whose status as now recorded
// differs between days d1 and d2, with how each one's identifier
// compares with key and its two statuses (as eachStatus), until fn
// returns false. When after, it gives only the acts whose identifiers
// sort after key, and reads no row before it, so that a walk that stops
// early costs the rows from the key on (DiffPageUncounted). It reads the
// rows of the acts that the day index says change in between, in order,
// or every row where they are more than half of them (a 20-year span of
// the scale book holds a quarter: the walk then costs a quarter to a
// third of the pass).
func (p *Projection) eachChanged(name string, kind events.Kind, key string, after bool, d1, d2 events.DayNum, fn func(r *actRec, cmp int, st []uint8) bool) {
	days := []events.DayNum{d1, d2}
	st := make([]uint8, 2)
	lo, hi := min(d1, d2), max(d1, d2)
	for _, c := range p.countriesOf(name) {
		at, on := cursorIn(c, key)
		from := 0 // the first row read
		if after {
			from = at
			if on >= 0 {
				from = on + 1
			}
			if from >= len(c.rows) {
				continue // every act of c sorts before key
			}
		}
		bs := p.daysOf(c).between(lo, hi)
		n := 0
		for _, b := range bs {
			n += len(b)
		}
		if n > len(c.rows)/2 {
			// Most rows: a pass costs less than the bitmap.
			ok := p.eachStatusOf(c, kind, days, from, at, on, st, func(r *actRec, cmp int, st []uint8) bool {
				return st[0] == st[1] || fn(r, cmp, st)
			})
			if !ok {
				return
			}
			continue
		}
		set := make([]uint64, (len(c.rows)+63)/64)
		for _, b := range bs {
			for _, i := range b {
				if int(i) >= from {
					set[i/64] |= 1 << (i % 64)
				}
			}
		}
		for w := from / 64; w < len(set); w++ {
			for word := set[w]; word != 0; word &= word - 1 {
				i := w*64 + bits.TrailingZeros64(word)
				if kind != "" && c.recs[i].kind != kind {
					continue
				}
				st[0], st[1] = p.rowStatus(c, i, d1), p.rowStatus(c, i, d2)
				if st[0] != st[1] && !fn(c.recs[i], cmpAt(i, at, on), st) {
					return
				}
			}
		}
	}
}

// rowStatus returns the index in Statuses of the status of c's act i on
// day d, as now recorded.
func (p *Projection) rowStatus(c *country, i int, d events.DayNum) uint8 {
	if s, ok := c.rows[i].status(d); ok {
		return s
	}
	return statusCode(p.statusNow(c.recs[i], d))
}

// cursorIn returns where key stands among c's sorted identifiers: the
// rows before at sort before it, and row on (-1: none) equals it. An
// empty key stands before every row.
func cursorIn(c *country, key string) (at, on int) {
	if key == "" {
		return 0, -1
	}
	i, found := slices.BinarySearch(c.ids, events.ActID(key))
	if found {
		return i, i
	}
	return i, -1
}

// cmpAt is how row i's identifier compares with the key that stands at
// at, on (cursorIn), as strings.Compare.
func cmpAt(i, at, on int) int {
	switch {
	case i < at:
		return -1
	case i == on:
		return 0
	}
	return 1
}
