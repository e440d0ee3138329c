package ledger_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
)

// gateStore is memStore whose first Append waits for a signal, so that a
// test can queue commands behind a write in progress.
type gateStore struct {
	*memStore
	once sync.Once
	gate chan struct{}
}

func (g *gateStore) Append(ctx context.Context, msgs []eventlog.Message) ([]eventlog.Entry, error) {
	g.once.Do(func() { <-g.gate })
	return g.memStore.Append(ctx, msgs)
}

func (g *gateStore) AppendEach(ctx context.Context, msgs []eventlog.Message) []eventlog.Result {
	g.once.Do(func() { <-g.gate })
	return g.memStore.AppendEach(ctx, msgs)
}

// A client that retries while its first attempt still waits in the queue
// sends the same event twice into one batch: both get the event's one
// receipt, the retry marked duplicate, and the ledger goes on working.
// (Once, the retry was answered before the batch was written, and the
// sequencer panicked and stayed stuck.)
func TestRetryQueuedWithItsFirstAttempt(t *testing.T) {
	g := &gateStore{memStore: &memStore{last: map[events.ActID]uint64{}}, gate: make(chan struct{})}
	l := ledger.New(g, ledger.Options{AppendTimeout: 30 * time.Second})
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	decode := func(s string) events.Event {
		e, err := events.Decode([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	// The first command takes the baton and blocks in the store.
	first := make(chan error, 1)
	go func() {
		_, err := l.Append(ctx, "clerk", ledger.Command{Event: decode(`{"act":"/akn/kz/act/2001-01-01/1","type":"drafted","date":"2001","body":{"title":"t","kind":"law"}}`)})
		first <- err
	}()
	time.Sleep(100 * time.Millisecond)
	// Two attempts of one event queue behind it, into the next batch.
	e := decode(`{"act":"/akn/kz/act/2001-01-01/2","type":"drafted","date":"2001","body":{"title":"t","kind":"law"}}`)
	e.ID = events.NewID()
	receipts := make(chan ledger.Receipt, 2)
	errs := make(chan error, 2)
	for i := 0; i < 2; i++ {
		go func() {
			r, err := l.Append(ctx, "clerk", ledger.Command{Event: e})
			receipts <- r
			errs <- err
		}()
	}
	time.Sleep(100 * time.Millisecond)
	close(g.gate)
	if err := <-first; err != nil {
		t.Fatalf("the first command: %v", err)
	}
	var got []ledger.Receipt
	for i := 0; i < 2; i++ {
		if err := <-errs; err != nil {
			t.Fatalf("an attempt of the retried event failed: %v", err)
		}
		got = append(got, <-receipts)
	}
	if got[0].Seq != got[1].Seq || got[0].ID != got[1].ID || got[0].Duplicate == got[1].Duplicate {
		t.Errorf("the two attempts got %+v and %+v, want one receipt, one of them marked duplicate", got[0], got[1])
	}
	// The ledger still works.
	if _, err := l.Append(ctx, "clerk", ledger.Command{Event: decode(`{"act":"/akn/kz/act/2001-01-01/3","type":"drafted","date":"2001","body":{"title":"t","kind":"law"}}`)}); err != nil {
		t.Errorf("after the retry, an append failed: %v", err)
	}
}
