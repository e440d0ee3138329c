package projector_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/projections"
	"github.com/lexledger/lexledger/projector"
	"github.com/nats-io/nats.go/jetstream"
)

// recordActs records the adoption of n new acts, numbered from first, in
// atomic batches, and returns the last sequence.
func recordActs(tb testing.TB, l *ledger.Ledger, first, n int) uint64 {
	tb.Helper()
	var last uint64
	for i := 0; i < n; i += 500 {
		var cmds []ledger.Command
		for j := i; j < min(i+500, n); j++ {
			act := events.ActID(fmt.Sprintf("/akn/kz/act/2012-01-01/r%d", first+j))
			cmds = append(cmds, ledger.Command{Event: created(act, fmt.Sprintf("Law %d", first+j))})
		}
		rs, err := l.AppendAtomic(context.Background(), "load@test", cmds)
		if err != nil {
			tb.Fatal(err)
		}
		last = rs[len(rs)-1].Seq
	}
	return last
}

// bucketEntries returns every entry of LEX_STATE, by key.
func bucketEntries(tb testing.TB, kv jetstream.KeyValue) map[string]jetstream.KeyValueEntry {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w, err := kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		tb.Fatal(err)
	}
	defer w.Stop()
	out := map[string]jetstream.KeyValueEntry{}
	for {
		select {
		case e := <-w.Updates():
			if e == nil {
				return out
			}
			out[e.Key()] = e
		case <-ctx.Done():
			tb.Fatal("LEX_STATE was not read within 30s")
		}
	}
}

// bucketDiffers says how LEX_STATE differs from the projection's states of
// today, or "" when it holds exactly them.
func bucketDiffers(tb testing.TB, r *running, kv jetstream.KeyValue) string {
	tb.Helper()
	entries := bucketEntries(tb, kv)
	today := events.MustDate(time.Now().UTC().Format(time.DateOnly))
	want := map[string][]byte{}
	r.svc.Read(func(p *projections.Projection) {
		for _, act := range p.Acts() {
			st, err := p.State(act, projections.Query{AsOf: today})
			if err != nil {
				continue
			}
			want[actKey(act)], _ = json.Marshal(st)
		}
	})
	for key, state := range want {
		e, ok := entries[key]
		if !ok {
			return fmt.Sprintf("LEX_STATE misses %s (holds %d of %d acts)", key, len(entries), len(want))
		}
		var v struct {
			State json.RawMessage `json:"state"`
		}
		if err := json.Unmarshal(e.Value(), &v); err != nil || !bytes.Equal(v.State, state) {
			return fmt.Sprintf("LEX_STATE holds for %s\n%s\nwant\n%s", key, e.Value(), state)
		}
	}
	for key := range entries {
		if _, ok := want[key]; !ok {
			return fmt.Sprintf("LEX_STATE holds %s, which the projection does not know", key)
		}
	}
	return ""
}

// waitBucket waits until LEX_STATE holds exactly the projection's states.
func waitBucket(t *testing.T, r *running, kv jetstream.KeyValue) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		diff := bucketDiffers(t, r, kv)
		if diff == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30s: %s", diff)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A projector started on an existing stream fills LEX_STATE with every
// act's state once it has caught up, and one restarted on the same views
// rewrites only the states that differ, removes those of acts it does not
// know, and publishes no change notice for either.
func TestFeedReconcilesTheBucket(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env)
	loadSeed(t, l)
	last := recordActs(t, l, 0, 1100) // three chunks of the reconcile

	nc := env.Connect(t)
	sub, err := nc.SubscribeSync(natsjs.ChangesPrefix + ".>")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t, time.Minute)

	a := startService(t, env.Store, env.Connect(t), projector.Options{Feed: true}, false)
	a.waitFor(t, last)
	waitReady(t, a)
	kv, err := js.KeyValue(ctx, natsjs.StateBucket)
	if err != nil {
		t.Fatal(err)
	}
	waitBucket(t, a, kv)
	if m, err := sub.NextMsg(300 * time.Millisecond); err == nil {
		t.Errorf("filling the bucket published a change notice on %s: %s", m.Subject, m.Data)
	}

	// The bucket drifts while no projector runs: a state altered, one of
	// an act the projection does not know, and a new act recorded.
	if err := a.stop(); err != nil && err != context.Canceled {
		t.Fatal(err)
	}
	altered := actKey(refugees)
	e, err := kv.Get(ctx, altered)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, altered, bytes.Replace(e.Value(), []byte(`"title":"`), []byte(`"title":"Altered `), 1)); err != nil {
		t.Fatal(err)
	}
	stray := "zz.act.2000-01-01.stray"
	if _, err := kv.Put(ctx, stray, []byte(`{"sequence":1,"state":{"act":"/akn/zz/act/2000-01-01/stray"}}`)); err != nil {
		t.Fatal(err)
	}
	before := bucketEntries(t, kv)
	last = recordActs(t, l, 1100, 1)
	added := actKey("/akn/kz/act/2012-01-01/r1100")

	b := startService(t, env.Store, env.Connect(t), projector.Options{Feed: true}, true)
	b.waitFor(t, last)
	waitReady(t, b)
	waitBucket(t, b, kv)
	if m, err := sub.NextMsg(300 * time.Millisecond); err == nil {
		t.Errorf("reconciling the bucket published a change notice on %s: %s", m.Subject, m.Data)
	}
	after := bucketEntries(t, kv)
	rewritten := 0
	for key, e := range after {
		old, ok := before[key]
		switch {
		case key == added:
			if ok {
				t.Errorf("LEX_STATE held %s before it was recorded", key)
			}
		case key == altered:
			if e.Revision() == old.Revision() {
				t.Errorf("the altered state of %s was not written again", key)
			}
		case !ok:
			t.Errorf("LEX_STATE holds %s, which it did not hold before and is not new", key)
		case e.Revision() != old.Revision():
			rewritten++
		}
	}
	if rewritten > 0 {
		t.Errorf("the restarted projector rewrote %d unchanged states of %d, want none", rewritten, len(after)-2)
	}
}

// BenchmarkReconcile times one reconcile of the state bucket with a
// projection of 20,000 acts: into an empty bucket (every state written),
// and into a bucket that already matches (every state read and compared,
// none written).
func BenchmarkReconcile(b *testing.B) {
	const acts = 20000
	env := natstest.MustStart(b, natstest.Options{})
	last := recordActs(b, ledger.New(env.Store, ledger.Options{AppendTimeout: 30 * time.Second}), 0, acts)
	ctx := context.Background()
	views, err := natsjs.OpenViews(ctx, env.Conn, 1)
	if err != nil {
		b.Fatal(err)
	}
	svc := projector.New(env.Store, views, projector.Options{})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- svc.Run(runCtx) }()
	defer func() { cancel(); <-done }()
	if _, err := svc.WaitFor(ctx, last); err != nil {
		b.Fatal(err)
	}
	js, err := jetstream.New(env.Conn)
	if err != nil {
		b.Fatal(err)
	}
	bucket, err := js.Stream(ctx, "KV_"+natsjs.StateBucket)
	if err != nil {
		b.Fatal(err)
	}
	info := func() jetstream.StreamState {
		info, err := bucket.Info(ctx)
		if err != nil {
			b.Fatal(err)
		}
		return info.State
	}

	b.Run("Empty", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			if err := bucket.Purge(ctx); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			svc.Reconcile(ctx)
		}
		if n := info().Msgs; n != acts {
			b.Fatalf("the bucket holds %d states, want %d", n, acts)
		}
	})
	b.Run("Matching", func(b *testing.B) {
		svc.Reconcile(ctx)
		before := info()
		for b.Loop() {
			svc.Reconcile(ctx)
		}
		if after := info(); after.Msgs != acts || after.LastSeq != before.LastSeq {
			b.Fatalf("the bucket holds %d states, last written at %d, want %d states unchanged since %d", after.Msgs, after.LastSeq, acts, before.LastSeq)
		}
	})
}
