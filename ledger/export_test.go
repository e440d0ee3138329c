package ledger

import "time"

// CostModel returns what the sequencer believes a pipelined event and an
// atomic batch's setup cost. Read it only while no append is in flight.
func (l *Ledger) CostModel() (eachPerMsg, atomicFixed time.Duration) {
	return time.Duration(l.cost.eachPerMsg), time.Duration(l.cost.atomicFixed)
}
