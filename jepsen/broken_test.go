package jepsen_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/jepsen"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs/natstest"
)

// noExpect is a deliberately broken store: it writes every message
// without the act's expected last sequence, so that concurrency control
// rests on each ledger's cache alone, which another ledger makes stale.
type noExpect struct{ eventlog.Store }

func strip(msgs []eventlog.Message) []eventlog.Message {
	out := append([]eventlog.Message(nil), msgs...)
	for i := range out {
		out[i].Expect = false
	}
	return out
}

func (s noExpect) Append(ctx context.Context, msgs []eventlog.Message) ([]eventlog.Entry, error) {
	return s.Store.Append(ctx, strip(msgs))
}

func (s noExpect) AppendEach(ctx context.Context, msgs []eventlog.Message) []eventlog.Result {
	return s.Store.AppendEach(ctx, strip(msgs))
}

// The checker bites on a broken ledger, not only on made-up histories:
// two ledgers over one real JetStream server, four clerks appending at the
// version they last saw, with the store's expected-sequence check removed.
// The same workload over the real store passes every check.
func TestCheckerCatchesBrokenLedger(t *testing.T) {
	for _, broken := range []bool{false, true} {
		t.Run(fmt.Sprintf("broken=%v", broken), func(t *testing.T) {
			env := natstest.MustStart(t, natstest.Options{})
			var store eventlog.Store = env.Store
			if broken {
				store = noExpect{env.Store}
			}
			w := &workload{h: jepsen.NewHistory(), known: map[string]int{}}
			for i := range 2 {
				l := ledger.New(store, ledger.Options{})
				t.Cleanup(func() { _ = l.Close() })
				w.ledgers = append(w.ledgers, l)
				w.acts = append(w.acts, fmt.Sprintf("/akn/kz/act/2019-06-01/broken-%d", i))
			}
			w.setup(t)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			var wg sync.WaitGroup
			for c := range 4 {
				wg.Go(func() {
					for k := 0; ctx.Err() == nil; k++ {
						a := w.acts[k%len(w.acts)]
						cmd := command(t, fmt.Sprintf(`{"id":%q,"act":%q,"type":"amended","date":"2020-01-01","effective_from":"2020-02-01","instrument":"/akn/kz/act/2020-01-01/b-%d-%d","provisions":["art_1"],"body":{"effect":"substitution","texts":{"art_1":"Article 1 (%d, %d)."}}}`,
							events.NewID(), a, c, k, c, k))
						w.mu.Lock()
						expect := w.known[a]
						w.mu.Unlock()
						if !w.append(c, cmd, expect, 3) {
							w.read(c, a)
						}
					}
				})
			}
			wg.Wait()

			ops := w.h.Ops()
			final, finals, _ := finalHistories(t, env.Store, w.acts, 99, w.h.Now())
			resolved, _ := jepsen.Resolve(jepsen.Compact(ops), finals)
			v, err := jepsen.Check(append(resolved, finals...), time.Minute, "")
			if err != nil {
				t.Fatal(err)
			}
			lost := acknowledged(ops, final)
			c := jepsen.Count(ops)
			t.Logf("%d appends (%d ok, %d conflicts, %d unknown): porcupine %s; %d acknowledged events away from their receipts", c.Appends, c.AppendsOK, c.Conflicts, c.AppendsUnknown, v.Result, len(lost))
			if c.AppendsOK < 20 {
				t.Fatalf("only %d appends acknowledged: too few to judge", c.AppendsOK)
			}
			if broken && v.Result != porcupine.Illegal {
				t.Errorf("porcupine says %s of the broken ledger's history, want Illegal", v.Result)
			}
			if !broken && (v.Result != porcupine.Ok || len(lost) > 0) {
				t.Errorf("the sound ledger: porcupine %s, %v; want Ok and every acknowledged event in place", v.Result, lost)
			}
		})
	}
}
