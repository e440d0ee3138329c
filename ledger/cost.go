package ledger

import "time"

// costModel estimates how long the store takes to write n independent
// events one by one (pipelined) and as one atomic batch, from moving
// averages of what it measured, so that the sequencer picks the faster.
// Its starting values are those of a single file-backed JetStream server
// with fsync on every write; a few batches correct them for any other.
type costModel struct {
	eachPerMsg   float64 // ns per event, pipelined singles
	atomicFixed  float64 // ns per atomic batch, whatever its size
	atomicPerMsg float64 // ns per event within an atomic batch
}

func newCostModel() costModel {
	return costModel{eachPerMsg: 200e3, atomicFixed: 5e6, atomicPerMsg: 15e3}
}

const costWeight = 0.2 // weight of a new observation

func (c *costModel) preferAtomic(n int) bool {
	x := float64(n)
	return c.atomicFixed+x*c.atomicPerMsg < x*c.eachPerMsg
}

func (c *costModel) observeEach(n int, d time.Duration) {
	c.eachPerMsg += costWeight * (float64(d)/float64(n) - c.eachPerMsg)
}

func (c *costModel) observeAtomic(n int, d time.Duration) {
	fixed := max(float64(d)-float64(n)*c.atomicPerMsg, 0)
	c.atomicFixed += costWeight * (fixed - c.atomicFixed)
}
