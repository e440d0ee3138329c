package natsjs

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// count is a read for readAhead that emits 1, 2, ... n (n 0: until told to
// stop), then returns err; done is closed when it has returned.
func count(n int, err error, done chan<- struct{}) func(context.Context, func(int) bool) error {
	return func(ctx context.Context, emit func(int) bool) error {
		defer close(done)
		for i := 1; n == 0 || i <= n; i++ {
			if !emit(i) {
				return nil
			}
		}
		return err
	}
}

// TestReadAheadInOrder: every item read comes to fn once, in order, across
// many batches and a last partial one, then read's error, if any.
func TestReadAheadInOrder(t *testing.T) {
	errBroken := errors.New("the connection broke")
	for _, tc := range []struct {
		n   int
		err error
	}{{0 + 1, nil}, {readAheadBatch, nil}, {readAheadBatch*(readAheadDepth+3) + 17, nil}, {readAheadBatch*2 + 5, errBroken}, {0 + 3, errBroken}} {
		done := make(chan struct{})
		next := 1
		err := readAhead(context.Background(), count(tc.n, tc.err, done), func(i *int) bool {
			if *i != next {
				t.Fatalf("%d items then %v: fn got %d where %d was due", tc.n, tc.err, *i, next)
			}
			next++
			return true
		})
		if next-1 != tc.n || !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
			t.Errorf("%d items then %v: fn got %d items, readAhead returned %v", tc.n, tc.err, next-1, err)
		}
		<-done
	}
}

// TestReadAheadStoppedByFn: fn returning false stops the reading, which
// has ended by the time readAhead returns nil.
func TestReadAheadStoppedByFn(t *testing.T) {
	for _, stopAt := range []int{1, readAheadBatch, readAheadBatch*3 + 1} {
		done := make(chan struct{})
		got := 0
		err := readAhead(context.Background(), count(0, nil, done), func(i *int) bool {
			got++
			return *i < stopAt
		})
		if err != nil || got != stopAt {
			t.Errorf("fn stopping at %d: it got %d items, readAhead returned %v", stopAt, got, err)
		}
		select {
		case <-done:
		default:
			t.Errorf("fn stopping at %d: readAhead returned before the reading ended", stopAt)
		}
	}
}

// TestReadAheadCancelled: when ctx ends, the reading stops and readAhead
// returns ctx's error, whether read was reading or waiting to hand a
// batch over (fn busy), after the items read before in order.
func TestReadAheadCancelled(t *testing.T) {
	for _, slow := range []bool{false, true} {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		next := 1
		err := readAhead(ctx, count(0, nil, done), func(i *int) bool {
			if *i != next {
				t.Fatalf("fn got %d where %d was due", *i, next)
			}
			next++
			if *i == readAheadBatch+3 {
				cancel()
				if slow {
					time.Sleep(50 * time.Millisecond) // read waits with full batches
				}
			}
			return true
		})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("slow fn %v: a cancelled reading returned %v, want context.Canceled", slow, err)
		}
		if next <= readAheadBatch+3 {
			t.Errorf("slow fn %v: fn got %d items, want at least the %d before the cancellation", slow, next-1, readAheadBatch+3)
		}
		<-done
		cancel()
	}
}

// TestAckPosition reads the stream sequence and pending count of both
// forms of acknowledgement subjects, and refuses what Metadata must read.
func TestAckPosition(t *testing.T) {
	for _, tc := range []struct {
		reply        string
		seq, pending uint64
		ok           bool
	}{
		{"$JS.ACK.LEX.cons.1.4217.12.1764716400000000000.35", 4217, 35, true},
		{"$JS.ACK._.ABCHASH.LEX.cons.1.4217.12.1764716400000000000.0.XyZ", 4217, 0, true},
		{"$JS.ACK.hub.ABCHASH.LEX.cons.2.9999999999999999999.3.1764716400000000000.7", 9999999999999999999, 7, true},
		{"$JS.ACK.LEX.cons.1.18446744073709551615.3.1764716400000000000.7", 0, 0, false}, // 20 digits: Metadata,
		{"$JS.ACK.LEX.cons.1.4217.12.1764716400000000000", 0, 0, false},                  // 8 tokens
		{"$JS.ACK.x.y.LEX.cons.1.4217.12.1764716400000000000", 0, 0, false},              // 10 tokens
		{"$JS.ACK.LEX.cons.1.42a7.12.1764716400000000000.35", 0, 0, false},               // not a number
		{"$JS.ACK.LEX.cons.1..12.1764716400000000000.35", 0, 0, false},                   // empty
		{"_INBOX.abc.LEX.cons.1.4217.12.1764716400000000000.35", 0, 0, false},            // not an ack
		{"", 0, 0, false},
	} {
		seq, pending, ok := ackPosition(tc.reply)
		if seq != tc.seq || pending != tc.pending || ok != tc.ok {
			t.Errorf("ackPosition(%q) = %d, %d, %v; want %d, %d, %v", tc.reply, seq, pending, ok, tc.seq, tc.pending, tc.ok)
		}
	}
}

// TestActCache: a replay's cache of acts gives what ActOfSubject gives,
// errors included (never remembered), and starts again when full.
func TestActCache(t *testing.T) {
	s := &Store{cfg: Config{Prefix: "lex"}}
	var c actCache
	for i := range actCacheSize + 10 {
		subject := fmt.Sprintf("lex.kz.act.2001-01-10.%d", i%(actCacheSize+3))
		got, err := c.actOf(s, subject)
		want, werr := s.ActOfSubject(subject)
		if got != want || err != nil || werr != nil {
			t.Fatalf("actOf(%q) = %q, %v; ActOfSubject gives %q, %v", subject, got, err, want, werr)
		}
		if len(c.acts) > actCacheSize {
			t.Fatalf("the cache holds %d acts, more than %d", len(c.acts), actCacheSize)
		}
	}
	for range 2 {
		for _, bad := range []string{"lex.kz.act.2001-13-10.1", "other.kz.act.2001-01-10.1", "lex.kz"} {
			if act, err := c.actOf(s, bad); err == nil {
				t.Errorf("actOf(%q) = %q, want an error", bad, act)
			}
			if _, ok := c.acts[bad]; ok {
				t.Errorf("the cache remembers %q, which names no act", bad)
			}
		}
	}
}
