package natsjs

import (
	"context"
	"fmt"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/nats-io/nats.go/jetstream"
)

// consume reads the stream with an ordered consumer configured by cfg,
// pulling up to pull messages ahead, and calls fn with each message and
// its metadata, in order, until fn returns false. The client library
// recreates the consumer after a disconnection, without gaps or repeats.
// consume returns nil when fn stops it, and otherwise the error that
// ended the reading: creating the consumer, reading a message (also when
// ctx ends or the iterator is closed) or reading its metadata, mapped
// onto the event log's errors by mapError.
func (s *Store) consume(ctx context.Context, cfg jetstream.OrderedConsumerConfig, pull int, fn func(jetstream.Msg, *jetstream.MsgMetadata) bool) error {
	cons, err := s.stream.OrderedConsumer(ctx, cfg)
	if err != nil {
		return mapError(err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(pull))
	if err != nil {
		return mapError(err)
	}
	defer it.Stop()
	// Next does not see ctx while it recreates a consumer, which it
	// retries for ever on a deleted stream: stopping the iterator ends it.
	defer context.AfterFunc(ctx, it.Stop)()
	for {
		m, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			return mapError(err)
		}
		md, err := m.Metadata()
		if err != nil {
			return err
		}
		if !fn(m, md) {
			return nil
		}
	}
}

// decodeStored decodes the event stored at seq on subject.
func (s *Store) decodeStored(seq uint64, subject string, data []byte) (events.Event, error) {
	e, err := events.Decode(data)
	if err != nil {
		return e, fmt.Errorf("stream %s sequence %d (%s) does not hold a readable event: %w", s.cfg.Stream, seq, subject, err)
	}
	return e, nil
}

// storedOf decodes a message that consume delivered.
func (s *Store) storedOf(m jetstream.Msg, md *jetstream.MsgMetadata) (eventlog.Entry, error) {
	e, err := s.decodeStored(md.Sequence.Stream, m.Subject(), m.Data())
	if err != nil {
		return eventlog.Entry{}, err
	}
	return eventlog.Entry{Seq: md.Sequence.Stream, StoredAt: md.Timestamp, Event: e}, nil
}
