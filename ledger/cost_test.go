package ledger_test

import (
	"fmt"
	"testing"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/natsjs/natstest"
)

// A one-event write is a plain publish: the sequencer learns its time as a
// pipelined write's round trip, and its belief about atomic batches stays
// what the atomic batches it wrote taught it (here none). Learning the publish as
// an atomic batch made batches look almost free, so the sequencer chose
// them where they cost a millisecond (issue 15).
func TestOneEventWriteTeachesPipelinedCost(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env.Store)
	m0 := l.CostModel()
	for i := range 40 {
		act := events.ActID(fmt.Sprintf("/akn/kz/act/2011-01-01/c%d", i))
		mustAppend(t, l, adoptedCode(act, fmt.Sprintf("Code %d", i), "2011-01-01"))
	}
	m := l.CostModel()
	if m.AtomicFixed != m0.AtomicFixed {
		t.Errorf("40 one-event writes changed the atomic batch's setup cost from %v to %v", m0.AtomicFixed, m.AtomicFixed)
	}
	if m.EachFixed == m0.EachFixed {
		t.Errorf("40 one-event writes left the pipelined round trip at its starting %v", m0.EachFixed)
	}
	if m.EachPerMsg != m0.EachPerMsg {
		t.Errorf("40 one-event writes changed the pipelined cost of each further event from %v to %v; a write of one has none", m0.EachPerMsg, m.EachPerMsg)
	}
}
