package natsjs_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
)

// A follower that delivers nothing while the stream holds more is
// stalled (its consumer's node paused or cut off): Follow replaces its
// consumer with one from the next sequence, and goes on without a gap or
// a repeat. The stall is made here by a last sequence beyond the stream's.
func TestFollowRestartsWhenStalled(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env.Store)
	mustAppend(t, l, created("/akn/kz/act/2009-12-04/1", "one", "law"), created("/akn/kz/act/2009-12-04/2", "two", "law"), created("/akn/kz/act/2009-12-04/3", "three", "law"))
	ctx := testContext(t)
	var beyond atomic.Uint64
	last := func(ctx context.Context) (uint64, error) {
		n, err := env.Store.LastSeq(ctx)
		return max(n, beyond.Load()), err
	}
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	got := make(chan uint64, 100)
	ended := make(chan struct{})
	defer func() { cancel(); <-ended }()
	go func() {
		defer close(ended)
		for st, err := range natsjs.FollowWith(env.Store, fctx, 1, time.Second, last) {
			if err != nil {
				t.Error(err)
				return
			}
			got <- st.Seq
		}
	}()
	receive := func(want ...uint64) {
		t.Helper()
		for _, w := range want {
			select {
			case s := <-got:
				if s != w {
					t.Fatalf("delivered sequence %d, want %d", s, w)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("sequence %d not delivered within 10s", w)
			}
		}
	}
	receive(1, 2, 3)
	_, stream := stream(t, env)
	consumers := func() []string {
		var names []string
		for n := range stream.ConsumerNames(ctx).Name() {
			names = append(names, n)
		}
		slices.Sort(names)
		return names
	}
	before := consumers()
	if len(before) != 1 {
		t.Fatalf("consumers %v, want the follower's one", before)
	}
	beyond.Store(1000)
	deadline := time.Now().Add(10 * time.Second)
	for slices.Contains(consumers(), before[0]) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if slices.Contains(consumers(), before[0]) {
		t.Fatalf("the stalled follower's consumer %s was not replaced within 10s", before[0])
	}
	beyond.Store(0)
	mustAppend(t, l, created("/akn/kz/act/2009-12-04/4", "four", "law"), created("/akn/kz/act/2009-12-04/5", "five", "law"))
	receive(4, 5)
	select {
	case s := <-got:
		t.Fatalf("delivered sequence %d more", s)
	case <-time.After(500 * time.Millisecond):
	}
}
