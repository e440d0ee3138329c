package projector_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/projections"
	"github.com/lexledger/lexledger/projector"
)

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// snapshotHeader reads the header line of the stored snapshot.
func snapshotHeader(t *testing.T, views *natsjs.Views) (h struct {
	Projection int    `json:"projection"`
	LastSeq    uint64 `json:"last_seq"`
	Events     uint64 `json:"events"`
}) {
	t.Helper()
	r, err := views.LoadSnapshot(testContext(t, 30*time.Second), projector.SnapshotName)
	if err != nil {
		t.Fatalf("load the snapshot: %v", err)
	}
	defer r.Close()
	line, err := bufio.NewReader(r).ReadBytes('\n')
	if err != nil {
		t.Fatalf("snapshot header: %v", err)
	}
	if err := json.Unmarshal(line, &h); err != nil {
		t.Fatalf("snapshot header %s: %v", line, err)
	}
	return h
}

// A projector saves its snapshot after SnapshotEvery events, then after
// half as many events as it holds (10, 20, then 39 of the seed's 44), and
// when it stops; a new projector restores it and follows the stream from its
// checkpoint, applying each event once, to the state a full replay gives.
func TestSnapshotRestoreResumesFromTheCheckpoint(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env)
	rs := loadSeed(t, l)
	last := rs[len(rs)-1].Seq

	first := startService(t, env.Store, env.Conn, projector.Options{SnapshotEvery: 10}, false)
	first.waitFor(t, last)
	if h := snapshotHeader(t, first.views); h.LastSeq != 39 || h.Projection != projections.Version {
		t.Errorf("with SnapshotEvery 10 at sequence %d the snapshot is at %d (version %d), want 39 (version %d)", last, h.LastSeq, h.Projection, projections.Version)
	}
	digest := first.digest()
	if err := first.stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v after its cancellation, want context.Canceled", err)
	}
	if h := snapshotHeader(t, first.views); h.LastSeq != last || h.Events != last {
		t.Errorf("after the stop the snapshot is at %d with %d events, want %d", h.LastSeq, h.Events, last)
	}

	ctx := testContext(t, time.Minute)
	views, err := natsjs.OpenViews(ctx, env.Conn, 1)
	if err != nil {
		t.Fatal(err)
	}
	second := projector.New(env.Store, views, projector.Options{SnapshotEvery: 10})
	if err := second.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	var gotLast uint64
	var gotDigest string
	second.Read(func(p *projections.Projection) { gotLast, gotDigest = p.LastSeq(), p.Digest() })
	if gotLast != last || gotDigest != digest {
		t.Fatalf("restored at sequence %d digest %s, want %d digest %s", gotLast, gotDigest, last, digest)
	}

	// New events, some on a new act, then Run: it resumes after the checkpoint.
	for i := 1; i <= 15; i++ {
		rs = append(rs, mustAppend(t, l, amendment(i)))
	}
	rs = append(rs, mustAppend(t, l, created("/akn/kz/act/2011-05-01/new", "A new law")))
	last = rs[len(rs)-1].Seq
	done := make(chan error, 1)
	runCtx, cancel := contextWithCancel()
	go func() { done <- second.Run(runCtx) }()
	wctx := testContext(t, 30*time.Second)
	if _, err := second.WaitFor(wctx, last); err != nil {
		cancel()
		t.Fatalf("the restored projector did not reach %d: %v (Run: %v)", last, err, drain(done))
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run of the restored projector: %v", err)
	}
	var evs uint64
	second.Read(func(p *projections.Projection) { evs, gotLast, gotDigest = p.Events(), p.LastSeq(), p.Digest() })
	if n := streamMsgs(t, env); evs != n || gotLast != last {
		t.Errorf("the restored projector applied %d events to sequence %d; the stream holds %d to %d", evs, gotLast, n, last)
	}
	fresh := freshFold(t, env)
	if gotDigest != fresh.Digest() {
		t.Errorf("after resuming, digest %s; a full replay gives %s", gotDigest, fresh.Digest())
	}
	second.Read(func(p *projections.Projection) { sameAnswers(t, p, fresh) })
}

// A snapshot of another projection version, or an unreadable one, is
// ignored: the projector rebuilds from the stream.
func TestSnapshotOfAnotherVersionIsIgnored(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	rs := loadSeed(t, mustLedger(t, env))
	last := rs[len(rs)-1].Seq
	fresh := freshFold(t, env)

	for _, c := range []struct {
		name string
		data string
	}{
		{"OtherVersion", fmt.Sprintf(`{"projection": 999, "last_seq": %d, "events": %d, "acts": 0}`+"\n", last, last)},
		{"NotJSON", "this is not a snapshot\n"},
		{"Empty", ""},
		{"TruncatedEvents", fmt.Sprintf(`{"projection": %d, "last_seq": %d, "events": %d, "acts": 3}`+"\n"+`{"seq":1,"event":`+"\n", projections.Version, last, last)},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := testContext(t, time.Minute)
			views, err := natsjs.OpenViews(ctx, env.Connect(t), 1)
			if err != nil {
				t.Fatal(err)
			}
			err = views.SaveSnapshot(ctx, projector.SnapshotName, last, func(w io.Writer) error {
				_, err := io.WriteString(w, c.data)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			svc := projector.New(env.Store, views, projector.Options{})
			if err := svc.Restore(ctx); err != nil {
				t.Fatalf("Restore: %v, want nil (an unusable snapshot is ignored)", err)
			}
			var l, n uint64
			svc.Read(func(p *projections.Projection) { l, n = p.LastSeq(), p.Events() })
			if l != 0 || n != 0 {
				t.Fatalf("after restoring a %s snapshot the projection is at %d with %d events, want empty", c.name, l, n)
			}
			runCtx, cancel := contextWithCancel()
			done := make(chan error, 1)
			go func() { done <- svc.Run(runCtx) }()
			if _, err := svc.WaitFor(ctx, last); err != nil {
				cancel()
				t.Fatalf("rebuild did not reach %d: %v (Run: %v)", last, err, drain(done))
			}
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Fatalf("Run: %v", err)
			}
			var d string
			svc.Read(func(p *projections.Projection) { d = p.Digest() })
			if d != fresh.Digest() {
				t.Errorf("rebuilt digest %s, want %s", d, fresh.Digest())
			}
			// Run saved the rebuilt projection over the unusable one.
			if h := snapshotHeader(t, views); h.Projection != projections.Version || h.LastSeq != last {
				t.Errorf("after the rebuild the snapshot is version %d at %d, want version %d at %d", h.Projection, h.LastSeq, projections.Version, last)
			}
		})
	}
}

// A snapshot ahead of the stream (the stream was recreated, or restored
// from an older backup) describes events the stream does not hold: the
// projector rebuilds from the stream instead of serving them.
func TestSnapshotAheadOfTheStreamIsNotServed(t *testing.T) {
	old := natstest.MustStart(t, natstest.Options{})
	loadSeed(t, mustLedger(t, old))
	stale := freshFold(t, old) // 44 events of another life of the stream

	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env)
	for i := range 3 {
		mustAppend(t, l, created(events.ActID(fmt.Sprintf("/akn/kz/act/2011-05-01/n%d", i)), "A new law"))
	}
	ctx := testContext(t, time.Minute)
	views, err := natsjs.OpenViews(ctx, env.Conn, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := views.SaveSnapshot(ctx, projector.SnapshotName, stale.LastSeq(), stale.WriteSnapshot); err != nil {
		t.Fatal(err)
	}
	r := startService(t, env.Store, env.Connect(t), projector.Options{}, true)
	waitReady(t, r)
	want := freshFold(t, env)
	if last, evs := r.position(); last != want.LastSeq() || evs != want.Events() || r.digest() != want.Digest() {
	}
	r.svc.Read(func(p *projections.Projection) {
		_, err = p.State(criminalCode, projections.Query{AsOf: events.MustDate("2011-06-01")})
	})
	if e := (*events.Error)(nil); !errors.As(err, &e) || e.Code != events.CodeNotFound {
		t.Errorf("the Criminal Code, not in this stream, is answered %v, want not found", err)
	}
}
