package ledger

import "time"

// costModel estimates how long the store takes to write n independent
// events pipelined (one plain publish each, sent together) and as one
// atomic batch, from moving averages of what it measured, so that the
// sequencer picks the faster. A pipelined write costs a round trip once
// and then each event's own work; an atomic batch costs its setup (on a
// single file-backed server it stages the batch in a store of its own)
// and then each event's work. Its starting values are those of a single
// file-backed JetStream server with fsync on every write; the writes it
// makes correct them for any other.
//
// Each estimate is learned only from writes of its own kind: a one-event
// write is a plain publish and teaches the round trip, never the atomic
// batch's setup (issue 15). So that neither estimate is left at a stale
// value while the other kind is always chosen, the sequencer writes a
// group the other way when that kind has not been measured for
// exploreEvery.
type costModel struct {
	eachFixed    float64 // ns: a pipelined write's round trip, once per write
	eachPerMsg   float64 // ns per event after the first, pipelined
	atomicFixed  float64 // ns per atomic batch, whatever its size
	atomicPerMsg float64 // ns per event within an atomic batch

	// When each kind of write of several events was last measured.
	lastEach, lastAtomic time.Time
	exploreEvery         time.Duration
}

// defaultExploreEvery is how long an estimate may go unmeasured: an
// atomic batch that loses costs a few milliseconds, once in this time.
const defaultExploreEvery = 2 * time.Second

func newCostModel() costModel {
	return costModel{eachFixed: 400e3, eachPerMsg: 200e3, atomicFixed: 5e6, atomicPerMsg: 15e3, exploreEvery: defaultExploreEvery}
}

const costWeight = 0.2 // weight of a new observation

// each and atomic are the estimated times of writing n events each way.
func (c *costModel) each(n int) float64   { return c.eachFixed + float64(n-1)*c.eachPerMsg }
func (c *costModel) atomic(n int) float64 { return c.atomicFixed + float64(n)*c.atomicPerMsg }

func (c *costModel) preferAtomic(n int) bool { return c.atomic(n) < c.each(n) }

// choose says how to write n independent events at now: as one atomic
// batch or pipelined, and whether that is the other way than preferred,
// to measure it again.
func (c *costModel) choose(n int, now time.Time) (atomic, explored bool) {
	atomic = c.preferAtomic(n)
	last := c.lastAtomic
	if atomic {
		last = c.lastEach
	}
	if now.Sub(last) >= c.exploreEvery {
		return !atomic, true
	}
	return atomic, false
}

// observeEach learns a pipelined write of n events that took d; a write of
// one event is a plain publish, and is its round trip.
func (c *costModel) observeEach(n int, d time.Duration, now time.Time) {
	if n <= 1 {
		c.eachFixed += costWeight * (float64(d) - c.eachFixed)
		return
	}
	per := max((float64(d)-c.eachFixed)/float64(n-1), 0)
	c.eachPerMsg += costWeight * (per - c.eachPerMsg)
	c.lastEach = now
}

// observeAtomic learns an atomic batch of n events that took d.
func (c *costModel) observeAtomic(n int, d time.Duration, now time.Time) {
	fixed := max(float64(d)-float64(n)*c.atomicPerMsg, 0)
	c.atomicFixed += costWeight * (fixed - c.atomicFixed)
	c.lastAtomic = now
}

// choice is how the sequencer wrote one group of independent events, and
// what it believed then; Ledger.onChoice, when set (tests), is told.
type choice struct {
	n                int
	atomic, explored bool
	model            costModel
}
