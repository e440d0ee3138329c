package ledger_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs/natstest"
)

// Receipts name the version and sequence the event really has, also when
// concurrent clerks on few acts mix new events with retries of recorded
// ones: a retry answered as a duplicate once left an empty stage in the
// group's batch, two new events of one act were then taken for independent
// writes, and the act's cache counted them twice (the reliability suite
// found it: receipts two versions ahead of the history).
func TestReceiptsUnderRetries(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env.Store)
	ctx := testContext(t)
	acts := []events.ActID{"/akn/kz/act/2020-01-01/r1", "/akn/kz/act/2020-01-01/r2", "/akn/kz/act/2020-01-01/r3"}
	for _, a := range acts {
		mustAppend(t, l, event(a, events.Drafted, "2019-06-01", titled("t", events.Law)), event(a, events.Adopted, "2019-12-01", chamber("Parliament")))
	}
	const clerks, each = 24, 30
	var mu sync.Mutex
	var receipts []ledger.Receipt
	var wg sync.WaitGroup
	for g := 0; g < clerks; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			var last events.Event
			for k := 0; k < each; k++ {
				e := event(acts[(g+k)%len(acts)], events.Amended, "2020-03-01", amendedBy("/akn/kz/act/2020-02-01/1", "2020-04-01", fmt.Sprintf("art_%d", k+1)))
				e.Body.Texts = map[string]string{fmt.Sprintf("art_%d", k+1): fmt.Sprintf("Text %d of clerk %d.", k, g)}
				e.ID = events.NewID()
				cmds := []ledger.Command{cmd(e)}
				if k%3 == 2 {
					cmds = []ledger.Command{cmd(last)} // a retry of a recorded event
				}
				r, err := l.Append(ctx, "clerk@test", cmds[0])
				if err != nil {
					t.Errorf("clerk %d, event %d: %v", g, k, err)
					return
				}
				if cmds[0].Event.ID == e.ID {
					last = e
				}
				mu.Lock()
				receipts = append(receipts, r)
				mu.Unlock()
			}
		}(g)
	}
	wg.Wait()
	histories := map[events.ActID][]eventlog.Entry{}
	for _, a := range acts {
		h, err := l.History(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		histories[a] = h
	}
	for _, r := range receipts {
		h := histories[r.Act]
		if r.Version < 1 || r.Version > uint64(len(h)) || h[r.Version-1].Event.ID != r.ID || h[r.Version-1].Seq != r.Seq {
			t.Fatalf("receipt of %s says version %d, sequence %d of %s (duplicate: %v); the act has %d events", r.ID, r.Version, r.Seq, r.Act, r.Duplicate, len(h))
		}
	}
}
