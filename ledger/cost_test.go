package ledger_test

import (
	"fmt"
	"testing"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/natsjs/natstest"
)

// A one-event write is a plain publish: the sequencer learns its time as a
// pipelined event's, and its belief about atomic batches stays what the
// atomic batches it wrote taught it (here none). Learning the publish as
// an atomic batch made batches look almost free, so the sequencer chose
// them where they cost a millisecond (issue 15).
func TestOneEventWriteTeachesPipelinedCost(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env.Store)
	each0, fixed0 := l.CostModel()
	for i := range 40 {
		act := events.ActID(fmt.Sprintf("/akn/kz/act/2011-01-01/c%d", i))
		mustAppend(t, l, adoptedCode(act, fmt.Sprintf("Code %d", i), "2011-01-01"))
	}
	each, fixed := l.CostModel()
	if fixed != fixed0 {
		t.Errorf("40 one-event writes changed the atomic batch's setup cost from %v to %v", fixed0, fixed)
	}
	if each == each0 {
		t.Errorf("40 one-event writes left the pipelined cost at its starting %v", each0)
	}
}
