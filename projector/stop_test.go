package projector_test

import (
	"context"
	"testing"
	"time"

	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/projector"
)

// A projector told to stop while NATS is gone stops at once, rather than
// wait a minute for a final snapshot that cannot be saved (issue 17: 60 s
// to exit on SIGTERM with NATS down); the next start replays from the last
// snapshot saved.
func TestStopWithNATSGone(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env)
	receipts := loadSeed(t, l)
	ctx := testContext(t, time.Minute)
	views, err := natsjs.OpenViews(ctx, env.Conn, 1)
	if err != nil {
		t.Fatal(err)
	}
	// No snapshot before the stop: every event applied is one since.
	svc := projector.New(env.Store, views, projector.Options{SnapshotEvery: 1 << 30, SnapshotInterval: time.Hour})
	runCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- svc.Run(runCtx) }()
	if _, err := svc.WaitFor(ctx, receipts[len(receipts)-1].Seq); err != nil {
		t.Fatal(err)
	}
	l.Close()
	env.Server.Shutdown()
	env.Server.WaitForShutdown()
	for env.Conn.IsConnected() {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the projector had not stopped 20s after it was told to, with NATS gone")
	}
}
