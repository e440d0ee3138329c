package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs/natstest"
)

func TestAppendAfterCloseIsErrClosed(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := ledger.New(env.Store, ledger.Options{AppendTimeout: 30 * time.Second})
	mustAppend(t, l, event(refugees, events.Drafted, "2009-06-01", titled("Law on Refugees", events.Law)))
	before := msgCount(t, env)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("a second Close: %v", err)
	}
	_, err := l.Append(context.Background(), "clerk@test", cmd(event(refugees, events.Adopted, "2009-11-20", chamber("Parliament"))))
	if !errors.Is(err, ledger.ErrClosed) {
		t.Fatalf("append after Close: %v, want ErrClosed", err)
	}
	_, err = l.AppendAtomic(context.Background(), "clerk@test", []ledger.Command{
		cmd(event(refugees, events.Adopted, "2009-11-20", chamber("Parliament"))),
		cmd(event(refugees, events.Signed, "2009-12-04")),
	})
	if !errors.Is(err, ledger.ErrClosed) {
		t.Fatalf("batch after Close: %v, want ErrClosed", err)
	}
	if got := msgCount(t, env); got != before {
		t.Errorf("appends after Close changed the stream from %d to %d", before, got)
	}
}

// Clerks append while the ledger closes: each append either succeeds, and
// then its event is in the history, or fails; none hangs.
func TestCloseDuringAppends(t *testing.T) {
	const clerks, rounds = 16, 5
	env := natstest.MustStart(t, natstest.Options{})
	reader := mustLedger(t, env.Store)

	for round := 0; round < rounds; round++ {
		l := ledger.New(env.Store, ledger.Options{AppendTimeout: 30 * time.Second})
		var (
			mu      sync.Mutex
			won     = map[events.ID]ledger.Receipt{}
			failed  int
			hung    int
			wg      sync.WaitGroup
			started = make(chan struct{}, clerks)
		)
		for g := 0; g < clerks; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				act := events.ActID(fmt.Sprintf("/akn/kz/act/2009-12-%02d/%d", 1+round, g+1))
				e := event(act, events.Drafted, "2009-06-01", titled("Law on Refugees", events.Law))
				for i := 0; ; i++ {
					if i == 3 {
						started <- struct{}{}
					}
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					r, err := l.Append(ctx, "clerk@test", cmd(e))
					cancel()
					mu.Lock()
					switch {
					case err == nil:
						won[r.ID] = r
					case errors.Is(err, context.DeadlineExceeded):
						hung++
					default:
						failed++
					}
					mu.Unlock()
					if err != nil {
						return
					}
					e = event(act, events.Amended, "2010-01-01", amendedBy(law2009, "2010-01-01", fmt.Sprintf("art_%d", i+1)))
					if i == 0 {
						e = event(act, events.Adopted, "2009-12-01", chamber("Parliament"))
					}
				}
			}(g)
		}
		for g := 0; g < clerks; g++ {
			<-started
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		wg.Wait()

		if hung > 0 {
			t.Errorf("round %d: %d appends hung until their deadline instead of failing with ErrClosed", round, hung)
		}
		if failed != clerks-hung {
			t.Errorf("round %d: %d clerks stopped with an error, want all %d", round, failed+hung, clerks)
		}
		for id, r := range won {
			h := mustHistory(t, reader, r.Act)
			if r.Version > uint64(len(h)) || h[r.Version-1].Event.ID != id || h[r.Version-1].Seq != r.Seq {
				t.Errorf("round %d: acknowledged event %s (version %d of %s) is not in the history", round, id, r.Version, r.Act)
			}
		}
		total := 0
		for g := 0; g < clerks; g++ {
			act := events.ActID(fmt.Sprintf("/akn/kz/act/2009-12-%02d/%d", 1+round, g+1))
			if h, err := reader.History(context.Background(), act); err == nil {
				total += len(h)
			}
		}
		if total != len(won) {
			t.Errorf("round %d: %d events in the histories, %d acknowledged", round, total, len(won))
		}
	}
}

// Clerks who give up at once (contexts that end mid-append) never stall
// the others: the ledger stays usable, and whatever was acknowledged is
// recorded.
func TestCancelledAppendsDoNotStallTheLedger(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env.Store)
	const clerks, each = 24, 30
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		won []ledger.Receipt
	)
	for g := 0; g < clerks; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				act := events.ActID(fmt.Sprintf("/akn/kz/act/2010-01-%02d/%d", 1+g%28, i+1))
				timeout := time.Duration((g*each+i)%7) * 300 * time.Microsecond
				ctx, cancel := context.WithTimeout(context.Background(), timeout)
				r, err := l.Append(ctx, "clerk@test", cmd(event(act, events.Drafted, "2009-06-01", titled("Law", events.Law))))
				cancel()
				if err == nil {
					mu.Lock()
					won = append(won, r)
					mu.Unlock()
				}
			}
		}(g)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("the clerks did not finish within a minute: the ledger stalled")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := l.Append(ctx, "clerk@test", cmd(event(refugees, events.Drafted, "2009-06-01", titled("Law on Refugees", events.Law)))); err != nil {
		t.Fatalf("an append after the cancellations: %v", err)
	}
	for _, r := range won {
		h := mustHistory(t, l, r.Act)
		if h[r.Version-1].Event.ID != r.ID {
			t.Errorf("acknowledged event %s is not version %d of %s", r.ID, r.Version, r.Act)
		}
	}
	t.Logf("%d of %d appends acknowledged", len(won), clerks*each)
}
