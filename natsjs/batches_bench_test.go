package natsjs_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"
)

// BenchmarkAtomicBatchesInFlight measures whether atomic batches written
// at once, on disjoint subjects, store more than one at a time, with sync
// always (BENCHMARKS.md: they do not, on a one-replica file stream):
//
//	go test ./natsjs -run '^$' -bench AtomicBatchesInFlight
func BenchmarkAtomicBatchesInFlight(b *testing.B) {
	env := natstest.MustStart(b, natstest.Options{SyncAlways: true})
	js, _ := jetstream.New(env.Conn)
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, natsjs.Config{Stream: "RAW", Prefix: "raw"}.StreamConfig()); err != nil {
		b.Fatal(err)
	}
	payload := bytes.Repeat([]byte("x"), 600)
	for _, size := range []int{32, 128} {
		for _, par := range []int{1, 2, 4} {
			b.Run(fmt.Sprintf("batch=%d/in-flight=%d", size, par), func(b *testing.B) {
				var wg sync.WaitGroup
				for g := 0; g < par; g++ {
					wg.Add(1)
					go func(g int) {
						defer wg.Done()
						for i := g; i < b.N; i += par {
							msgs := make([]*nats.Msg, size)
							for k := range msgs {
								msgs[k] = nats.NewMsg(fmt.Sprintf("raw.%d.%d.%d", size, g, k))
								msgs[k].Data = payload
							}
							if _, err := jetstreamext.PublishMsgBatch(ctx, js, msgs, jetstreamext.BatchFlowControl{AckFirst: false}); err != nil {
								b.Error(err)
								return
							}
						}
					}(g)
				}
				wg.Wait()
				b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}
