package natsjs_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// BenchmarkAppendPath measures one writer's single appends at each layer,
// on one server: the raw engine's synchronous and asynchronous publishes
// with an expected per-subject sequence (a 400-byte payload, and the
// ledger's own message: its encoded event, subject and headers), the store
// adapter, and the ledger. The differences between neighbours show what
// each layer costs:
//
//	go test ./natsjs -run '^$' -bench AppendPath -benchmem -count 5
func BenchmarkAppendPath(b *testing.B) {
	env := natstest.MustStart(b, natstest.Options{})
	ctx := context.Background()
	js, _ := jetstream.New(env.Conn)
	cfg := natsjs.Config{Stream: "RAW", Prefix: "raw"}.StreamConfig()
	if _, err := js.CreateStream(ctx, cfg); err != nil {
		b.Fatal(err)
	}
	payload := bytes.Repeat([]byte("x"), 400)
	var last uint64
	b.Run("raw-publish", func(b *testing.B) {
		for b.Loop() {
			ack, err := js.Publish(ctx, "raw.a", payload, jetstream.WithExpectLastSequencePerSubject(last))
			if err != nil {
				b.Fatal(err)
			}
			last = ack.Sequence
		}
	})
	var lastAsync uint64
	b.Run("raw-async", func(b *testing.B) {
		for b.Loop() {
			m := nats.NewMsg("raw.b")
			m.Data = payload
			f, err := js.PublishMsgAsync(m, jetstream.WithExpectLastSequencePerSubject(lastAsync))
			if err != nil {
				b.Fatal(err)
			}
			select {
			case ack := <-f.Ok():
				lastAsync = ack.Sequence
			case err := <-f.Err():
				b.Fatal(err)
			}
		}
	})
	l := ledger.New(env.Store, ledger.Options{AppendTimeout: 30 * time.Second})
	defer l.Close()
	act := "/akn/kz/act/2001-01-10/1"
	for _, s := range []string{
		`{"act":"%s","type":"drafted","date":"2001-01-10","body":{"title":"Benchmark law","kind":"law"}}`,
		`{"act":"%s","type":"adopted","date":"2001-03-01"}`,
		`{"act":"%s","type":"signed","date":"2001-03-15"}`,
	} {
		e, err := events.Decode([]byte(fmt.Sprintf(s, act)))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := l.Append(ctx, "bench", ledger.Command{Event: e}); err != nil {
			b.Fatal(err)
		}
	}
	tmpl, err := events.Decode([]byte(fmt.Sprintf(`{"act":"%s","type":"amended","date":"2005-06-10","effective_from":"2005-07-01","instrument":"/akn/kz/act/2005-06-01/1","provisions":["art_7"],"body":{"effect":"substitution","texts":{"art_7":"Article 7 as amended: the court shall hear the case within a reasonable time, and the parties shall be heard."}}}`, act)))
	if err != nil {
		b.Fatal(err)
	}
	// The same event bytes and headers as the ledger writes, raw.
	ev := tmpl
	ev.RecordedAt = time.Now()
	ev.RecordedBy = "bench"
	data, err := ev.Seal()
	if err != nil {
		b.Fatal(err)
	}
	var lastEv uint64
	b.Run("raw-event", func(b *testing.B) {
		for b.Loop() {
			m := natsjs.EventMsg("raw", &eventlog.Message{Event: &ev, Data: data, Expect: true, ExpectSeq: lastEv})
			ack, err := js.PublishMsg(ctx, m)
			if err != nil {
				b.Fatal(err)
			}
			lastEv = ack.Sequence
		}
	})
	runs := 0
	b.Run("store", func(b *testing.B) {
		var last uint64
		runs++
		e2 := ev
		e2.Act = events.ActID(fmt.Sprintf("/akn/kz/act/2001-01-10/s%d", runs))
		content, err := e2.ContentDigest()
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			// Each event its own id, which the store claims (the bytes
			// keep the first id: the store does not read them).
			e2.ID = events.NewID()
			st, err := env.Store.Append(ctx, []eventlog.Message{{Event: &e2, Data: data, Expect: true, ExpectSeq: last, Content: content}})
			if err != nil {
				b.Fatal(err)
			}
			last = st[0].Seq
		}
	})
	b.Run("ledger", func(b *testing.B) {
		for b.Loop() {
			e := tmpl
			e.ID = events.ID{}
			if _, err := l.Append(ctx, "bench", ledger.Command{Event: e}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
