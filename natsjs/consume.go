package natsjs

import (
	"context"
	"time"

	"github.com/lexledger/lexledger/eventlog"
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
	return s.consumeMsgs(ctx, cfg, pull, func(m jetstream.Msg) (bool, error) {
		md, err := m.Metadata()
		if err != nil {
			return false, err
		}
		return fn(m, md), nil
	})
}

// consumeMsgs is consume without the metadata: fn reads what it needs of
// it, and stops the reading with an error of its own, which consumeMsgs
// returns as it is.
func (s *Store) consumeMsgs(ctx context.Context, cfg jetstream.OrderedConsumerConfig, pull int, fn func(jetstream.Msg) (bool, error)) error {
	cons, err := s.stream.OrderedConsumer(ctx, cfg)
	if err != nil {
		return mapError(err)
	}
	return s.drain(ctx, cons, pull, nil, fn)
}

// drain reads cons, pulling up to pull messages ahead, and calls fn with
// each message until fn stops it or an error ends the reading, as
// consumeMsgs; started, when set, is given the iterator's Stop once the
// reading begins (Follow's watch of a stalled consumer). The consumer is
// deleted when the reading ends.
func (s *Store) drain(ctx context.Context, cons jetstream.Consumer, pull int, started func(stop func()), fn func(jetstream.Msg) (bool, error)) error {
	// The client library stops an ordered consumer's iterator without
	// deleting the consumer on the server, which then lives on until its
	// inactivity threshold (five minutes): every replay or history read
	// would leave one behind. It is deleted when the reading ends.
	defer s.deleteConsumer(ctx, cons)
	it, err := cons.Messages(jetstream.PullMaxMessages(pull), jetstream.PullExpiry(readerExpiry), jetstream.PullHeartbeat(readerHeartbeat))
	if err != nil {
		return mapError(err)
	}
	defer it.Stop()
	// Next does not see ctx while it recreates a consumer, which it
	// retries for ever on a deleted stream: stopping the iterator ends it.
	defer context.AfterFunc(ctx, it.Stop)()
	if started != nil {
		started(it.Stop)
	}
	for {
		m, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			return mapError(err)
		}
		if more, err := fn(m); err != nil || !more {
			return err
		}
	}
}

// A reader's pull requests ask the server for an idle heartbeat every
// readerHeartbeat, and the client library recreates an ordered consumer
// that has missed two. An ordered consumer has one replica, on one node:
// when that node is killed, paused or cut off, the reader hears nothing
// until the heartbeats are missed: 10 s with the library's default for
// ordered consumers (5 s), in which a projector stands still (issue 17's
// full run: not ready 11 to 71 s after faults healed). 2 s leaves 4 s.
const (
	readerHeartbeat = 2 * time.Second
	readerExpiry    = 10 * time.Second // at least twice the heartbeat
)

// consumerDeleteTimeout bounds the deletion of a reader's consumer.
const consumerDeleteTimeout = 5 * time.Second

// deleteConsumer deletes the server's consumer behind cons, the one it
// uses now (an ordered consumer replaces its consumer after a
// disconnection, and deletes the one it replaced). A failure is not the
// reader's: the consumer's inactivity threshold removes it in the end.
func (s *Store) deleteConsumer(ctx context.Context, cons jetstream.Consumer) {
	info := cons.CachedInfo()
	if info == nil {
		return
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), consumerDeleteTimeout)
	defer cancel()
	_ = s.js.DeleteConsumer(dctx, s.cfg.Stream, info.Name)
}

// inspect reads the message stored at seq on subject: its event, or the
// defect it is (eventlog.Inspect). A reader yields either and goes on.
func (s *Store) inspect(seq uint64, subject string, data []byte) eventlog.Entry {
	return eventlog.Inspect(seq, subject, data, s)
}

// storedOf reads a message that consume delivered.
func (s *Store) storedOf(m jetstream.Msg, md *jetstream.MsgMetadata) eventlog.Entry {
	st := s.inspect(md.Sequence.Stream, m.Subject(), m.Data())
	st.StoredAt = md.Timestamp
	return st
}
