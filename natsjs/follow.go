package natsjs

import (
	"context"
	"errors"
	"iter"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/lexledger/lexledger/eventlog"
)

// Follow delivers the stream from sequence from (1 for the beginning) and
// keeps delivering new events as they are stored, in order, until ctx ends
// or an error occurs. It is the projector's source: an ordered consumer,
// recreated by the client library after a disconnection without gaps or
// repeats, and by Follow itself when it stalls (followStall). A message
// that is not a readable, sealed event of its act is delivered as an
// entry with a Defect (eventlog.Inspect), and the following goes on; its
// place in its act's chain is the follower's to check (eventlog.Chain).
func (s *Store) Follow(ctx context.Context, from uint64) iter.Seq2[eventlog.Entry, error] {
	return s.follow(ctx, from, nil, s.LastSeq, followStall)
}

// A follower that has delivered nothing for followStall while the stream
// (its part) holds a message it has not delivered is stalled: its ordered
// consumer's node was paused or cut off, and the client library's own
// recovery (two missed heartbeats, then a consumer created again with
// tries of 10 s and waits growing from 1 s to 10 s) left a projector
// 32 s behind a working stream after a 10 s pause of the leader (issue
// 17, full run 5). Follow then stops that consumer and creates another
// from the next sequence, each try bounded by followCreate.
const (
	followStall  = 6 * time.Second
	followCreate = 3 * time.Second
	followPull   = 2000 // messages pulled ahead
)

// follow is Follow over filters (none: the whole stream), last giving the
// sequence of the last message they hold, stalled after stall.
func (s *Store) follow(ctx context.Context, from uint64, filters []string, last func(context.Context) (uint64, error), stall time.Duration) iter.Seq2[eventlog.Entry, error] {
	return func(yield func(eventlog.Entry, error) bool) {
		next := max(from, 1)
		for restarts := 0; ; restarts++ {
			cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy, FilterSubjects: filters}
			if next > 1 {
				cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, next
			}
			stalled, err := s.followOnce(ctx, cfg, restarts > 0, &next, last, stall, yield)
			if stalled && ctx.Err() == nil {
				continue
			}
			// The end of ctx, or of the iterator, ends the following quietly.
			if err != nil && ctx.Err() == nil && !errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				yield(eventlog.Entry{}, err)
			}
			return
		}
	}
}

// followOnce follows with one ordered consumer until ctx ends, yield
// stops it, an error ends it, or it stalls (stalled true). next is the
// sequence after the last message yielded. A consumer created again after
// a stall is retried until ctx ends; the first is tried once, with ctx.
func (s *Store) followOnce(ctx context.Context, cfg jetstream.OrderedConsumerConfig, again bool, next *uint64, last func(context.Context) (uint64, error), after time.Duration, yield func(eventlog.Entry, error) bool) (stalled bool, err error) {
	create := func() (jetstream.Consumer, error) {
		if !again {
			return s.stream.OrderedConsumer(ctx, cfg)
		}
		cctx, cancel := context.WithTimeout(ctx, followCreate)
		defer cancel()
		return s.stream.OrderedConsumer(cctx, cfg)
	}
	cons, err := create()
	for again && err != nil && ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
		cons, err = create()
	}
	if err != nil {
		return false, mapError(err)
	}
	var progress atomic.Int64 // Unix nanoseconds of the last delivery, or of the start
	progress.Store(time.Now().UnixNano())
	var stall, busy atomic.Bool // busy: the follower is handling a message
	watch, done := context.WithCancel(ctx)
	defer done()
	watchFor := func(stop func()) {
		go func() {
			tick := time.NewTicker(after / 3)
			defer tick.Stop()
			for {
				select {
				case <-watch.Done():
					return
				case <-tick.C:
				}
				if busy.Load() || time.Since(time.Unix(0, progress.Load())) < after {
					continue
				}
				lctx, cancel := context.WithTimeout(watch, followCreate)
				l, err := last(lctx)
				cancel()
				if err == nil && l >= atomic.LoadUint64(next) {
					stall.Store(true)
					stop()
					return
				}
			}
		}()
	}
	err = s.drain(ctx, cons, followPull, watchFor, func(m jetstream.Msg) (bool, error) {
		md, err := m.Metadata()
		if err != nil {
			return false, err
		}
		atomic.StoreUint64(next, md.Sequence.Stream+1)
		busy.Store(true)
		more := yield(s.storedOf(m, md), nil)
		progress.Store(time.Now().UnixNano())
		busy.Store(false)
		return more, nil
	})
	if stall.Load() {
		return true, nil
	}
	return false, err
}
