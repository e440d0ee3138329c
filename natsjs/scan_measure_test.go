package natsjs_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/nats-io/nats.go/jetstream"
)

// TestLoadAcrossBlocksMeasure measures what Store.Load (and LoadSeqs) of an act costs when
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
	// The act's two events, sealed and chained as the ledger writes them.
	first := events.Event{Schema: events.SchemaVersion, ID: events.NewID(), Act: act, Type: events.Adopted, Date: events.MustDate("2001-01-10"),
		Body: events.Body{Title: "Law on Courts", Kind: events.Law}, RecordedAt: time.Now().UTC(), RecordedBy: "measure"}
	firstData, err := first.Seal()
	if err != nil {
		t.Fatal(err)
	}
	last := events.Event{Schema: events.SchemaVersion, ID: events.NewID(), Act: act, Type: events.Signed, Date: events.MustDate("2001-01-12"),
		RecordedAt: time.Now().UTC(), RecordedBy: "measure", PrevHash: first.Hash}
	lastData, err := last.Seal()
	if err != nil {
		t.Fatal(err)
	}
	ack, err := js.Publish(ctx, env.Store.Subject(act), firstData)
	if err != nil {
		t.Fatal(err)
	}
	seqs := []uint64{ack.Sequence}
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
	ack, err = js.Publish(ctx, env.Store.Subject(act), lastData)
	if err != nil {
		t.Fatal(err)
	}
	seqs = append(seqs, ack.Sequence)
	blocks, _ := filepath.Glob(filepath.Join(env.Dir, "jetstream", "*", "streams", natsjs.DefaultStream, "msgs", "*.blk"))
	t.Logf("the stream has %d blocks", len(blocks))
	measure := func(what, when string, read func() ([]eventlog.Entry, error)) {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		got, err := read()
		took := time.Since(start)
		runtime.ReadMemStats(&after)
		if err != nil || len(got) != 2 || got[0].Defect != nil || got[1].Defect != nil {
			t.Fatalf("%s, %s: %d entries, %v; want the act's 2 events", what, when, len(got), err)
		}
		t.Logf("%s, %s: %s, %.1f MiB allocated", what, when, took, float64(after.TotalAlloc-before.TotalAlloc)/(1<<20))
	}
	bySubject := func() ([]eventlog.Entry, error) { return env.Store.Load(ctx, act, 0) }
	bySeq := func() ([]eventlog.Entry, error) { return env.Store.LoadSeqs(ctx, act, seqs) }
	measure("Load", "right after writing", bySubject)
	measure("LoadSeqs", "right after writing", bySeq)
	time.Sleep(2*time.Minute + 20*time.Second) // past the server's defaultFssExpiration
	// LoadSeqs first: Load rebuilds the subject states it does not use
	// (LEX_MEASURE_ORDER=load puts Load first, to see what the first read
	// after the pause pays whichever it is).
	if os.Getenv("LEX_MEASURE_ORDER") == "load" {
		measure("Load", "the blocks' subject states dropped", bySubject)
		measure("LoadSeqs", "the blocks' subject states dropped", bySeq)
	} else {
		measure("LoadSeqs", "the blocks' subject states dropped", bySeq)
		measure("Load", "the blocks' subject states dropped", bySubject)
	}
	measure("Load", "at once again", bySubject)
	measure("LoadSeqs", "at once again", bySeq)
}
