package projector_test

import (
	"context"
	"testing"
	"time"

	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/projector"
)

// recordLoad records n amendments spread over acts of perAct events each
// (a first adoption, then amendments), in atomic batches; it returns the
// last sequence.
func recordLoad(t *testing.T, env *natstest.Env, n, perAct int) uint64 {
	t.Helper()
	return recordCodes(t, env, n, perAct, "kz")
}

// replayTime runs a fresh projector over the stream until it has applied
// last, or budget has passed; ok is false in that case.
func replayTime(t *testing.T, env *natstest.Env, last uint64, budget time.Duration) (time.Duration, bool) {
	t.Helper()
	r := startService(t, env.Store, env.Connect(t), projector.Options{}, false)
	defer r.stop()
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	start := time.Now()
	_, err := r.svc.WaitFor(ctx, last)
	return time.Since(start), err == nil
}

// An act with thousands of events (a code amended over decades) replays at
// about the rate of many small acts: applying an event does not fold the
// act's whole history again.
func TestReplayOfALongHistory(t *testing.T) {
	const n = 3000
	spread := natstest.MustStart(t, natstest.Options{})
	base, ok := replayTime(t, spread, recordLoad(t, spread, n, 10), time.Minute)
	if !ok {
		t.Fatalf("%d events over %d acts were not replayed within a minute", n, n/10)
	}
	long := natstest.MustStart(t, natstest.Options{})
	last := recordLoad(t, long, n, n)
	budget := min(max(20*base, 2*time.Second), 5*time.Second)
	took, ok := replayTime(t, long, last, budget)
	t.Logf("%d events: over %d acts replayed in %s; on one act in %s (budget %s, done: %v)", n, n/10, base, took, budget, ok)
	if !ok {
	}
}
