//go:build reliability

package reliability_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/nats-io/nats.go"
)

// appendRate appends workers×each single events (drafted, on acts of their
// own) and returns events per second.
func appendRate(t *testing.T, l *ledger.Ledger, tag string, workers, each int) float64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	t0 := time.Now()
	var wg sync.WaitGroup
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for k := 0; k < each; k++ {
				act := events.ActID(fmt.Sprintf("/akn/kz/act/2020-01-01/%s-%d-%d", tag, g, k))
				e := events.Event{Act: act, Type: events.Drafted, Date: events.MustDate("2019"), ID: events.NewID()}
				e.Body.Title, e.Body.Kind = "t", events.Law
				if _, err := l.Append(ctx, "clerk@reliability", ledger.Command{Event: e}); err != nil {
					t.Errorf("append: %v", err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	return float64(workers*each) / time.Since(t0).Seconds()
}

// (f) a slow core subscriber on lex.recorded.> (10 ms per message) and a
// JetStream consumer that never acknowledges do not slow appends: the
// append rate with them is compared with the rate without. The server is
// natstest's, in the test's process and open (no accounts or roles), not
// the access-controlled server of `ledger serve`'s default, where these
// clients would log in with a role's seed and reach the stream through
// their account's imports; that variant is not tried here.
func TestSlowSubscriberDoesNotSlowAppends(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{SyncAlways: true})
	l := ledger.New(env.Store, ledger.Options{AppendTimeout: 30 * time.Second})
	t.Cleanup(func() { l.Close() })
	const workers, each = 16, 150
	appendRate(t, l, "warm", workers, 20)
	before := appendRate(t, l, "before", workers, each)

	sub := env.Connect(t)
	var slowGot, stuckGot atomic.Int64
	if _, err := sub.Subscribe("lex.recorded.>", func(*nats.Msg) {
		slowGot.Add(1)
		time.Sleep(10 * time.Millisecond)
	}); err != nil {
		t.Fatal(err)
	}
	js, err := sub.JetStream()
	if err != nil {
		t.Fatal(err)
	}
	stuck, err := js.PullSubscribe("lex.events.>", "never-acks", nats.AckExplicit(), nats.MaxAckPending(100000))
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // fetches and never acknowledges
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			msgs, _ := stuck.Fetch(500, nats.MaxWait(200*time.Millisecond))
			stuckGot.Add(int64(len(msgs)))
		}
	}()
	with := appendRate(t, l, "with", workers, each)
	close(stop)
	<-done
	after := appendRate(t, l, "after", workers, each)

	ratio := with / ((before + after) / 2)
	if ratio < 0.5 {
		t.Errorf("appends with slow subscribers ran at %.0f/s against %.0f/s and %.0f/s without: ratio %.2f, want at least 0.5", with, before, after, ratio)
	}
	t.Logf("SUMMARY slow subscriber: %d appends by %d clerks per run, sync always; without subscribers %.0f/s before and %.0f/s after, with a 10 ms core subscriber (got %d) and a never-acking consumer (got %d, acked 0) %.0f/s: ratio %.2f",
		workers*each, workers, before, after, slowGot.Load(), stuckGot.Load(), with, ratio)
}
