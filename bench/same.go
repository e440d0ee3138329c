package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/nats-io/nats.go"
	"github.com/synadia-io/orbit.go/jetstreamext"
)

// The second raw baseline publishes what the ledger publishes: each event's
// own encoding (sealed, about 500 to 700 bytes), on its act's subject, with
// the ledger's headers and the expected per-subject sequence. Its ratio is
// the ledger's own cost (decoding, rules, the hash chain, the sequencer);
// the ratio to the 400-byte baseline adds the cost of the event's format.

// sealed returns e as the ledger would write it: schema, record time and
// identity set, chained to prev, and its encoding.
func sealed(e events.Event, prev events.Digest) (events.Event, []byte, error) {
	e.Schema = events.SchemaVersion
	e.RecordedAt = time.Now().UTC()
	e.RecordedBy = "bench"
	e.PrevHash = prev
	data, err := e.Seal()
	return e, data, err
}

// rawSameBulk publishes n generated events, encoded and sealed beforehand
// (not timed), in atomic batches of 1000 as the ledger writes them: the
// first message of each act in a batch states the act's expected sequence.
func rawSameBulk(ctx context.Context, cfg *Config, e *env, pr *progress, n int) (float64, error) {
	var load bytes.Buffer
	if err := cfg.generate(ctx, &load, n); err != nil {
		return 0, err
	}
	type msg struct {
		e    events.Event
		data []byte
	}
	msgs := make([]msg, 0, n)
	last := map[events.ActID]events.Digest{}
	sc := bufio.NewScanner(&load)
	for sc.Scan() {
		ev, err := events.Decode(sc.Bytes())
		if err != nil {
			return 0, err
		}
		ev, data, err := sealed(ev, last[ev.Act])
		if err != nil {
			return 0, err
		}
		last[ev.Act] = ev.Hash
		msgs = append(msgs, msg{ev, data})
	}
	prefix := rawPrefix + ".same"
	lastSeq := map[events.ActID]uint64{}
	start := time.Now()
	batch := make([]*nats.Msg, 0, ledger.DefaultMaxBatch)
	for done := 0; done < len(msgs); done += ledger.DefaultMaxBatch {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		batch = batch[:0]
		expected := map[events.ActID]bool{}
		for i := done; i < done+ledger.DefaultMaxBatch && i < len(msgs); i++ {
			act := msgs[i].e.Act
			batch = append(batch, natsjs.EventMsg(prefix, &eventlog.Message{Event: &msgs[i].e, Data: msgs[i].data, Expect: !expected[act], ExpectSeq: lastSeq[act]}))
			expected[act] = true
		}
		ack, err := jetstreamext.PublishMsgBatch(ctx, e.js, batch, jetstreamext.BatchFlowControl{AckFirst: false})
		if err != nil {
			return 0, fmt.Errorf("raw batch of the ledger's messages at %d: %w", done, err)
		}
		first := ack.Sequence - uint64(len(batch)) + 1
		for i := range batch {
			lastSeq[msgs[done+i].e.Act] = first + uint64(i)
		}
		pr.part("raw batches of the ledger's messages", int64(done+len(batch)), int64(n))
	}
	return float64(len(msgs)) / time.Since(start).Seconds(), nil
}

// sameSingle returns a publisher of one amendment as the ledger writes it,
// on an act of its own, each with its expected per-subject sequence.
func sameSingle(ctx context.Context, e *env, next func() ledger.Command) (func() error, error) {
	c := next()
	c.Event.ID = events.NewID()
	c.Event.Act = events.ActID(benchAct(3))
	ev, data, err := sealed(c.Event, events.Digest{})
	if err != nil {
		return nil, err
	}
	var last uint64
	return func() error {
		m := natsjs.EventMsg(rawPrefix+".same", &eventlog.Message{Event: &ev, Data: data, Expect: true, ExpectSeq: last})
		ack, err := e.js.PublishMsg(ctx, m)
		if err != nil {
			return err
		}
		last = ack.Sequence
		return nil
	}, nil
}
