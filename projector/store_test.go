package projector_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/lexledger/lexledger/audit"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/pebblestore"
	"github.com/lexledger/lexledger/projections"
	"github.com/lexledger/lexledger/projector"
)

// mustStore opens a Pebble store in dir, closed when the test ends (after
// the services it started, which are stopped in cleanups registered
// later).
func mustStore(t *testing.T, dir string) *pebblestore.Store {
	t.Helper()
	s, err := pebblestore.Open(dir, pebblestore.Options{CacheSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// A projector with a store reopens it at its checkpoint, not the
// snapshot, and follows the stream from there.
func TestStoreReopensAtItsCheckpoint(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env)
	rs := loadSeed(t, l)
	last := rs[len(rs)-1].Seq
	dir := t.TempDir()

	st := mustStore(t, dir)
	first := startService(t, env.Store, env.Conn, projector.Options{Store: st}, true)
	first.waitFor(t, last)
	digest := first.digest()
	if err := first.stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v after its cancellation, want context.Canceled", err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	// The snapshot now says nothing was applied: a projector that read it
	// would start from the beginning.
	ctx := testContext(t, time.Minute)
	empty := projections.New()
	if err := first.views.SaveSnapshot(ctx, projector.SnapshotName, 0, empty.WriteSnapshot); err != nil {
		t.Fatal(err)
	}

	st = mustStore(t, dir)
	views, err := natsjs.OpenViews(ctx, env.Conn, 1)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := audit.GenerateSigner("lex.test/store")
	if err != nil {
		t.Fatal(err)
	}
	second := projector.New(env.Store, views, projector.Options{Store: st, Signer: signer, CheckpointInterval: time.Hour})
	if err := second.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	var gotLast uint64
	var gotDigest string
	second.Read(func(p *projections.Projection) { gotLast, gotDigest = p.LastSeq(), p.Digest() })
	if gotLast != last || gotDigest != digest {
		t.Fatalf("reopened at sequence %d digest %s, want %d digest %s", gotLast, gotDigest, last, digest)
	}
	for i := 1; i <= 5; i++ {
		rs = append(rs, mustAppend(t, l, amendment(i)))
	}
	last = rs[len(rs)-1].Seq
	runCtx, cancel := contextWithCancel()
	done := make(chan error, 1)
	go func() { done <- second.Run(runCtx) }()
	if _, err := second.WaitFor(testContext(t, 30*time.Second), last); err != nil {
		cancel()
		t.Fatalf("the reopened projector did not reach %d: %v (Run: %v)", last, err, drain(done))
	}
	// Its Merkle tree was rebuilt from the store: an event applied before
	// the restart is proved in a checkpoint of the whole stream.
	if _, err := second.Prove(ctx, rs[3].ID); err != nil {
		t.Errorf("the reopened projector does not prove event %s: %v", rs[3].ID, err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run of the reopened projector: %v", err)
	}
	fresh := freshFold(t, env)
	second.Read(func(p *projections.Projection) {
		if p.Digest() != fresh.Digest() {
			t.Errorf("after following the stream from the store's checkpoint, digest %s; a full replay gives %s", p.Digest(), fresh.Digest())
		}
		sameAnswers(t, p, fresh)
	})
}

// A store ahead of the stream (the stream restored from an older backup,
// or recreated) is emptied and rebuilt from the stream.
func TestStoreAheadOfTheStreamIsRebuilt(t *testing.T) {
	old := natstest.MustStart(t, natstest.Options{})
	loadSeed(t, mustLedger(t, old))
	st := mustStore(t, t.TempDir())
	r := startService(t, old.Store, old.Connect(t), projector.Options{Store: st}, true)
	waitReady(t, r)
	if err := r.stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v after its cancellation, want context.Canceled", err)
	}

	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env)
	for i := range 3 {
		mustAppend(t, l, created(events.ActID(fmt.Sprintf("/akn/kz/act/2011-05-01/n%d", i)), "A new law"))
	}
	r = startService(t, env.Store, env.Connect(t), projector.Options{Store: st}, true)
	waitReady(t, r)
	want := freshFold(t, env)
	if last, evs := r.position(); last != want.LastSeq() || evs != want.Events() || r.digest() != want.Digest() {
		t.Errorf("a store ahead of the stream: at %d with %d events (digest %s), want %d with %d (%s)", last, evs, r.digest(), want.LastSeq(), want.Events(), want.Digest())
	}
	var err error
	r.svc.Read(func(p *projections.Projection) {
		_, err = p.State(criminalCode, projections.Query{AsOf: events.MustDate("2011-06-01")})
	})
	if e := (*events.Error)(nil); !errors.As(err, &e) || e.Code != events.CodeNotFound {
		t.Errorf("the Criminal Code, not in this stream, is answered %v, want not found", err)
	}
}
