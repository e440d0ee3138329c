package natsjs

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/nats-io/nats.go/jetstream"
)

// Follow delivers the stream from sequence from (1 for the beginning) and
// keeps delivering new events as they are stored, in order, until ctx ends
// or an error occurs. It is the projector's source: an ordered consumer,
// recreated by the client library after a disconnection without gaps or
// repeats.
func (s *Store) Follow(ctx context.Context, from uint64) iter.Seq2[eventlog.Entry, error] {
	return func(yield func(eventlog.Entry, error) bool) {
		cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
		if from > 1 {
			cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, from
		}
		cons, err := s.stream.OrderedConsumer(ctx, cfg)
		if err != nil {
			yield(eventlog.Entry{}, mapError(err))
			return
		}
		it, err := cons.Messages(jetstream.PullMaxMessages(2000))
		if err != nil {
			yield(eventlog.Entry{}, mapError(err))
			return
		}
		defer it.Stop()
		for {
			m, err := it.Next(jetstream.NextContext(ctx))
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
					return
				}
				yield(eventlog.Entry{}, mapError(err))
				return
			}
			md, err := m.Metadata()
			if err != nil {
				yield(eventlog.Entry{}, err)
				return
			}
			e, err := events.Decode(m.Data())
			if err != nil {
				yield(eventlog.Entry{}, fmt.Errorf("stream %s sequence %d (%s) does not hold a readable event: %w", s.cfg.Stream, md.Sequence.Stream, m.Subject(), err))
				return
			}
			if !yield(eventlog.Entry{Seq: md.Sequence.Stream, StoredAt: md.Timestamp, Event: e}, nil) {
				return
			}
		}
	}
}
