package natsjs_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/nats-io/nats.go/jetstream"
)

// TestLoadAcrossBlocksMeasure measures what Store.Load of an act costs when
// its two messages lie a dozen 8 MiB blocks apart, right after they were
// written and once the server has dropped the blocks' subject states (two
// minutes unused): the server then reads every block between them to learn
// whether the act is in it (BENCHMARKS.md, What the embedded NATS server
// holds). It takes two and a half minutes, so it runs only with LEX_BENCH=1,
// and asserts only that the act comes back whole; the figures are logged.
func TestLoadAcrossBlocksMeasure(t *testing.T) {
	if os.Getenv("LEX_BENCH") != "1" {
		t.Skip("a measurement of two and a half minutes: LEX_BENCH=1 runs it")
	}
	env := natstest.MustStart(t, natstest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	js, err := jetstream.New(env.Conn)
	if err != nil {
		t.Fatal(err)
	}
	const act events.ActID = "/akn/kz/act/2001-01-10/1"
	if _, err := js.Publish(ctx, env.Store.Subject(act), []byte("first")); err != nil {
		t.Fatal(err)
	}
	// Another act's messages fill about eleven blocks in between.
	other, payload := env.Store.Subject("/akn/kz/act/2001-01-10/2"), make([]byte, 1000)
	for i := range 90_000 {
		if _, err := js.PublishAsync(other, payload); err != nil {
			t.Fatal(err)
		}
		if i%5000 == 0 {
			<-js.PublishAsyncComplete()
		}
	}
	<-js.PublishAsyncComplete()
	if _, err := js.Publish(ctx, env.Store.Subject(act), []byte("last")); err != nil {
		t.Fatal(err)
	}
	blocks, _ := filepath.Glob(filepath.Join(env.Dir, "jetstream", "*", "streams", natsjs.DefaultStream, "msgs", "*.blk"))
	t.Logf("the stream has %d blocks", len(blocks))
	load := func(when string) {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		got, err := env.Store.Load(ctx, act, 0)
		took := time.Since(start)
		runtime.ReadMemStats(&after)
		if err != nil || len(got) != 2 {
			t.Fatalf("%s: Load gave %d entries, %v; want the act's 2", when, len(got), err)
		}
		t.Logf("%s: %s, %.1f MiB allocated", when, took, float64(after.TotalAlloc-before.TotalAlloc)/(1<<20))
	}
	load("right after writing")
	time.Sleep(2*time.Minute + 20*time.Second) // past the server's defaultFssExpiration
	load("the blocks' subject states dropped")
	load("at once again")
}
