package natsjs_test

import (
	"testing"
	"time"

	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/nats-io/nats.go/jetstream"
)

// ReadCheckpoints says whether the checkpoints stream exists, and gives
// its messages with their sequences and stored times; after the stream is
// deleted it says so.
func TestReadCheckpoints(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	ctx := testContext(t)
	reader, err := natsjs.OpenViewsForReading(ctx, env.Conn)
	if err != nil {
		t.Fatal(err)
	}
	if log, err := reader.ReadCheckpoints(ctx); err != nil || log.Exists || log.Messages != 0 || len(log.Checkpoints) != 0 {
		t.Fatalf("before any projector: %+v %v; want no stream", log, err)
	}
	views, err := natsjs.OpenViews(ctx, env.Conn, 1)
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().Add(-time.Second)
	for _, id := range []string{"a", "b"} {
		if err := views.PublishCheckpoint(ctx, id, []byte("checkpoint "+id)); err != nil {
			t.Fatal(err)
		}
	}
	log, err := reader.ReadCheckpoints(ctx)
	if err != nil || !log.Exists || log.Messages != 2 || log.LastSeq != 2 || len(log.Checkpoints) != 2 {
		t.Fatalf("two checkpoints: %+v %v", log, err)
	}
	for i, c := range log.Checkpoints {
		if c.Seq != uint64(i+1) || string(c.Data) != "checkpoint "+[]string{"a", "b"}[i] || c.Time.Before(before) || c.Time.After(time.Now().Add(time.Second)) {
			t.Errorf("checkpoint %d: seq %d, %q, stored at %v", i, c.Seq, c.Data, c.Time)
		}
	}
	js, err := jetstream.New(env.Conn)
	if err != nil {
		t.Fatal(err)
	}
	if err := js.DeleteStream(ctx, natsjs.CheckpointsStream); err != nil {
		t.Fatal(err)
	}
	if log, err := reader.ReadCheckpoints(ctx); err != nil || log.Exists {
		t.Errorf("after the stream was deleted: %+v %v; want no stream", log, err)
	}
}
