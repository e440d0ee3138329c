package natsjs

import (
	"context"
	"iter"
	"strings"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/nats-io/nats.go/jetstream"
)

// Raw is a stored message as it is, for verification.
type Raw struct {
	Seq     uint64
	Act     events.ActID
	Subject string
	Data    []byte
	Err     error // the subject is not an act's
}

// ReadRaw replays the stream from sequence 1 to its last sequence at the
// time of the call, without decoding the events: with an ordered consumer,
// or with message gets when opened for reading through an import.
func (s *Store) ReadRaw(ctx context.Context) iter.Seq2[Raw, error] { return s.ReadRawFrom(ctx, 1) }

// ReadRawFrom is ReadRaw from sequence from. With a consumer, the messages
// are read on a goroutine of their own, ahead of the loop's body (readAhead),
// so that the body's work on each (hashing, for verify) runs beside the
// reading; the loop still sees every message in order, then the error that
// ended the reading, if any. Leaving the loop stops the reading.
func (s *Store) ReadRawFrom(ctx context.Context, from uint64) iter.Seq2[Raw, error] {
	return func(yield func(Raw, error) bool) {
		info, err := s.stream.Info(ctx)
		if err != nil {
			yield(Raw{}, mapError(err))
			return
		}
		last := info.State.LastSeq
		if last == 0 || info.State.Msgs == 0 || from > last {
			return
		}
		stopped := false
		var acts actCache
		if s.direct {
			err = s.scan(ctx, max(info.State.FirstSeq, from, 1), time.Time{}, last, func(m *jetstream.RawStreamMsg) bool {
				act, aerr := acts.actOf(s, m.Subject)
				stopped = !yield(Raw{Seq: m.Sequence, Act: act, Subject: m.Subject, Data: m.Data, Err: aerr}, nil)
				return !stopped
			})
		} else {
			cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
			if from > 1 {
				cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, from
			}
			err = s.readRaw(ctx, cfg, last, func(m *storedMsg) bool {
				act, aerr := acts.actOf(s, m.subject)
				stopped = !yield(Raw{Seq: m.seq, Act: act, Subject: m.subject, Data: m.data, Err: aerr}, nil)
				return !stopped
			})
		}
		if err != nil && !stopped {
			yield(Raw{}, err)
		}
	}
}

// ReadStored calls fn with each message stored from sequence from to the
// stream's last sequence at the time of the call, as stored: its subject,
// the act the subject names (or why it names none), and its bytes. It is
// the projector's check of the stored bytes (projector.StoredReader).
func (s *Store) ReadStored(ctx context.Context, from uint64, fn func(seq uint64, subject string, act events.ActID, actErr error, data []byte)) error {
	for raw, err := range s.ReadRawFrom(ctx, from) {
		if err != nil {
			return err
		}
		fn(raw.Seq, raw.Subject, raw.Act, raw.Err, raw.Data)
	}
	return ctx.Err()
}

// actCacheSize is how many subjects' acts a replay remembers at most.
const actCacheSize = 1 << 16

// actCache remembers the acts of the subjects a replay has read (up to
// actCacheSize, then it starts again): a stream's subjects recur, one an
// act, and looking one up costs a fraction of ActOfSubject's parsing and
// allocation. Subjects that name no act are not remembered.
type actCache struct {
	acts map[string]events.ActID
}

func (c *actCache) actOf(s *Store, subject string) (events.ActID, error) {
	if act, ok := c.acts[subject]; ok {
		return act, nil
	}
	act, err := s.ActOfSubject(subject)
	if err != nil {
		return act, err
	}
	if c.acts == nil {
		c.acts = make(map[string]events.ActID)
	} else if len(c.acts) >= actCacheSize {
		clear(c.acts)
	}
	c.acts[subject] = act
	return act, nil
}

// storedMsg is a message as readAhead hands it over.
type storedMsg struct {
	seq     uint64
	subject string
	data    []byte
}

// Read-ahead: the consumer's pull, how many messages the reading goroutine
// hands over at once, and how many such batches may wait for the caller.
const (
	rawPull        = 4000
	readAheadBatch = 256
	readAheadDepth = 4
)

// readRaw reads the stream with an ordered consumer configured by cfg, up
// to sequence last, ahead of fn (readAhead), which it calls with each
// message in order until fn returns false. It returns nil when the stream
// was read up to last (or to its end, when last was deleted) or when fn
// stopped it, and otherwise the error that ended the reading.
func (s *Store) readRaw(ctx context.Context, cfg jetstream.OrderedConsumerConfig, last uint64, fn func(*storedMsg) bool) error {
	return readAhead(ctx, func(ctx context.Context, emit func(storedMsg) bool) error {
		return s.consumeMsgs(ctx, cfg, rawPull, func(m jetstream.Msg) (bool, error) {
			seq, pending, err := streamPosition(m)
			if err != nil {
				return false, err
			}
			if !emit(storedMsg{seq: seq, subject: m.Subject(), data: m.Data()}) {
				return false, nil
			}
			// The last sequence may have been deleted (a tampered copy):
			// nothing pending means the replay is complete.
			return seq < last && pending > 0, nil
		})
	}, fn)
}

// readAhead runs read on a goroutine of its own and calls fn on the
// caller's goroutine with each item read emits, in order, until fn returns
// false; the items are handed over in batches (readAheadBatch), so that the
// hand-over costs little per item, at most readAheadDepth batches ahead of
// fn. emit returns false once read is to stop: fn stopped, or ctx ended.
// readAhead returns nil when read returned nil or fn stopped it; ctx's
// error, mapped, once ctx has ended (no more batches are handed over
// then); and otherwise read's error, after every item emitted before it
// was given to fn. It returns only once read has returned.
func readAhead[T any](ctx context.Context, read func(ctx context.Context, emit func(T) bool) error, fn func(*T) bool) error {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	full := make(chan []T, readAheadDepth)
	free := make(chan []T, readAheadDepth+2)
	var readErr error // written before full is closed
	go func() {
		defer close(full)
		batch := make([]T, 0, readAheadBatch)
		// send hands batch over and takes an empty one; false when rctx
		// ended first.
		send := func() bool {
			select {
			case full <- batch:
			case <-rctx.Done():
				return false
			}
			select {
			case batch = <-free:
			default:
				batch = make([]T, 0, readAheadBatch)
			}
			return true
		}
		ended := false // rctx ended while a batch waited to be handed over
		err := read(rctx, func(item T) bool {
			batch = append(batch, item)
			if len(batch) == cap(batch) && !send() {
				ended = true
			}
			return !ended
		})
		// What was read before the end, or the error, comes first.
		if !ended && len(batch) > 0 && !send() {
			ended = true
		}
		if ended && err == nil {
			err = mapError(rctx.Err())
		}
		readErr = err
	}()
	stop := func() {
		cancel()
		for range full {
			// Until read has returned.
		}
	}
	for batch := range full {
		if err := ctx.Err(); err != nil {
			stop()
			return mapError(err)
		}
		for i := range batch {
			if !fn(&batch[i]) {
				stop()
				return nil
			}
		}
		clear(batch) // let go of what the items hold
		select {
		case free <- batch[:0]:
		default:
		}
	}
	if err := ctx.Err(); readErr != nil && err != nil {
		// The reading ended with ctx (the iterator stopped, say): ctx's
		// error says why.
		return mapError(err)
	}
	return readErr
}

// streamPosition returns a message's stream sequence and the number of
// messages pending after it. It reads them from the reply subject as
// jetstream's Metadata does, without its allocations, and falls back to
// Metadata for a subject it does not know.
func streamPosition(m jetstream.Msg) (seq, pending uint64, err error) {
	if seq, pending, ok := ackPosition(m.Reply()); ok {
		return seq, pending, nil
	}
	md, err := m.Metadata()
	if err != nil {
		return 0, 0, err
	}
	return md.Sequence.Stream, md.NumPending, nil
}

// ackPosition reads the stream sequence and the pending count of a
// JetStream acknowledgement subject, in either of its forms:
//
//	$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<tm>.<pending>
//	$JS.ACK.<domain>.<account hash>.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<tm>.<pending>[.<token>...]
//
// ok is false for anything else (the second form needs 11 tokens or more).
func ackPosition(reply string) (seq, pending uint64, ok bool) {
	rest, ok := strings.CutPrefix(reply, "$JS.ACK.")
	if !ok {
		return 0, 0, false
	}
	skip := 2 // stream, consumer
	switch n := strings.Count(reply, ".") + 1; {
	case n == 9:
	case n >= 11:
		skip = 4 // domain, account hash, stream, consumer
	default:
		return 0, 0, false
	}
	for range skip {
		_, rest, _ = strings.Cut(rest, ".")
	}
	var tok [5]string // delivered, sseq, cseq, tm, pending
	for i := range tok {
		tok[i], rest, _ = strings.Cut(rest, ".")
	}
	seq, ok1 := parseDigits(tok[1])
	pending, ok2 := parseDigits(tok[4])
	if !ok1 || !ok2 {
		return 0, 0, false
	}
	return seq, pending, true
}

// parseDigits reads a decimal number of 1 to 19 digits (no overflow; a
// longer one is left to Metadata).
func parseDigits(s string) (uint64, bool) {
	if len(s) == 0 || len(s) > 19 {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}
