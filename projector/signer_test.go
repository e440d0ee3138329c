package projector_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/audit"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/projector"
)

// recordAll records evs through a new ledger over store, in batches of 8.
func recordAll(t *testing.T, store *natsjs.Store, evs []events.Event) {
	t.Helper()
	l := ledger.New(store, ledger.Options{AppendTimeout: 30 * time.Second})
	defer l.Close()
	for i := 0; i < len(evs); i += 8 {
		var cmds []ledger.Command
		for _, e := range evs[i:min(i+8, len(evs))] {
			cmds = append(cmds, ledger.Command{Event: e})
		}
		if _, err := l.AppendAtomic(context.Background(), "seed@test", cmds); err != nil {
			t.Fatalf("record events %d to %d: %v", i+1, i+len(cmds), err)
		}
	}
}

// otherStream opens a second stream on env's server, with subjects of its
// own: a copy of the ledger that shares its checkpoints stream.
func otherStream(t *testing.T, env *natstest.Env, name string) *natsjs.Store {
	t.Helper()
	st, err := natsjs.Open(testContext(t, time.Minute), env.Conn, natsjs.Config{Stream: name, Prefix: strings.ToLower(name) + ".events"})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func mustSigningKey(t *testing.T) (*audit.Signer, string) {
	t.Helper()
	s, err := audit.GenerateSigner(audit.DefaultOrigin)
	if err != nil {
		t.Fatal(err)
	}
	return s, s.VerifierKey()
}

// waitReady waits, bounded, until the service has caught up once.
func (r *running) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !r.svc.Ready() {
		if time.Now().After(deadline) {
			t.Fatal("the projector did not catch up within 30s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitLatest waits, bounded, until the service knows a checkpoint of size.
func (r *running) waitLatest(t *testing.T, size uint64) audit.Checkpoint {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if c, ok := r.svc.LatestCheckpoint(); ok && c.TreeSize == size {
			return c
		}
		if time.Now().After(deadline) {
			c, ok := r.svc.LatestCheckpoint()
			t.Fatalf("the projector's latest checkpoint is %+v (%v), not one of tree size %d, after 30s", c, ok, size)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitConflict waits, bounded, until the service reports a conflict with
// the stored checkpoint.
func (r *running) waitConflict(t *testing.T) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if c := r.svc.Status().CheckpointConflict; c != "" {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatal("the projector reports no conflict with the stored checkpoint after 30s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func countCheckpoints(t *testing.T, views *natsjs.Views) int {
	t.Helper()
	cps, err := views.Checkpoints(testContext(t, time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	return len(cps)
}

// A projector that rebuilt a rewritten copy of the stream (an event's
// text altered and every hash after it recomputed), holding the genuine
// key, refuses to sign it: its tree is not an extension of the checkpoint
// it signed, read from the checkpoints stream. It signs nothing, counts
// the refusal and fails its readiness check with the reason.
func TestSignerRefusesRewrittenHistory(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	evs := readSeed(t)
	recordAll(t, env.Store, evs)
	kp, pub := mustSigningKey(t)
	opts := projector.Options{Signer: kp, CheckpointInterval: time.Hour}
	genuine := startService(t, env.Store, env.Conn, opts, false)
	genuine.waitFor(t, seedEvents)
	genuine.waitReady(t)
	ctx := testContext(t, time.Minute)
	c, err := genuine.svc.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	genuine.stop()

	rewritten := append([]events.Event(nil), evs...)
	rewritten[2].Body.Title += " (as the operator would have it)"
	copyStore := otherStream(t, env, "LEXCOPY")
	recordAll(t, copyStore, rewritten)
	rw := startService(t, copyStore, env.Conn, opts, false)
	rw.waitFor(t, seedEvents)
	rw.waitReady(t)

	_, err = rw.svc.Checkpoint(ctx)
	if !errors.Is(err, projector.ErrRewrite) {
		t.Fatalf("signing the rewritten stream: got %v, want a refusal (ErrRewrite)", err)
	}
	var ee *events.Error
	if !errors.As(err, &ee) || ee.Code != events.CodeConflict {
		t.Errorf("the refusal is %#v, want an events.Error of code conflict", err)
	}
	if !strings.Contains(err.Error(), "not an extension") || !strings.Contains(err.Error(), pub) || !strings.Contains(err.Error(), c.Root.String()) {
		t.Errorf("the refusal does not name the checkpoint it breaks (key %s, root %s): %v", pub, c.Root, err)
	}
	if n := countCheckpoints(t, rw.views); n != 1 {
		t.Errorf("the checkpoints stream holds %d checkpoints after the refusal, want the genuine one only", n)
	}
	st := rw.svc.Status()
	if st.CheckpointRefusals != 1 || st.CheckpointConflict == "" {
		t.Errorf("status after a refusal: %d refusals, conflict %q; want 1 and the reason", st.CheckpointRefusals, st.CheckpointConflict)
	}
	if err := rw.svc.ReadyCheck(ctx); err == nil || !strings.Contains(err.Error(), "not an extension") {
		t.Errorf("the readiness check after a refusal: got %v, want the reason", err)
	}
	if got, ok := rw.svc.LatestCheckpoint(); ok {
		t.Errorf("the rewritten projector offers checkpoint %+v, which its tree does not extend", got)
	}
	if _, err := rw.svc.Checkpoint(ctx); !errors.Is(err, projector.ErrRewrite) || rw.svc.Status().CheckpointRefusals != 2 {
		t.Errorf("asked again, the signer answers %v (refusals %d), want a second refusal", err, rw.svc.Status().CheckpointRefusals)
	}

	// Another key is not fooled either way: it signs its own history.
	other, _ := mustSigningKey(t)
	rw2 := startService(t, copyStore, env.Conn, projector.Options{Signer: other, CheckpointInterval: time.Hour}, false)
	rw2.waitFor(t, seedEvents)
	rw2.waitReady(t)
	if _, err := rw2.svc.Checkpoint(ctx); err != nil {
		t.Errorf("a key with no checkpoint of its own refuses to sign: %v", err)
	}
}

// The last checkpoint is found again after a restart, by a signer and by
// a projector that does not sign, and a signer goes on signing trees that
// extend it.
func TestCheckpointFoundAfterRestart(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env)
	loadSeed(t, l)
	kp, _ := mustSigningKey(t)
	opts := projector.Options{Signer: kp, CheckpointInterval: time.Hour}
	first := startService(t, env.Store, env.Conn, opts, false)
	first.waitFor(t, seedEvents)
	first.waitReady(t)
	ctx := testContext(t, time.Minute)
	c, err := first.svc.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	first.stop()

	t.Run("Reader", func(t *testing.T) {
		r := startService(t, env.Store, env.Conn, projector.Options{}, true)
		r.waitReady(t)
		if got := r.waitLatest(t, c.TreeSize); got.Root != c.Root || got.Signature != c.Signature {
			t.Errorf("after a restart the latest checkpoint is %+v, want %+v", got, c)
		}
		if err := r.svc.ReadyCheck(ctx); err != nil {
			t.Errorf("ready check: %v", err)
		}
	})
	t.Run("Signer", func(t *testing.T) {
		r := startService(t, env.Store, env.Conn, opts, true)
		r.waitReady(t)
		r.waitLatest(t, c.TreeSize)
		rc := mustAppend(t, l, amendment(1))
		r.waitFor(t, rc.Seq)
		next, err := r.svc.Checkpoint(ctx)
		if err != nil || next.TreeSize != c.TreeSize+1 {
			t.Fatalf("the next checkpoint after a restart: %+v, %v; want one of tree size %d", next, err, c.TreeSize+1)
		}
		if st := r.svc.Status(); st.CheckpointRefusals != 0 || st.CheckpointConflict != "" {
			t.Errorf("status of a sound signer: %+v", st)
		}
	})
}

// A projector over a stream shorter than its last checkpoint (events cut
// from the end) is not ready, and says so, naming both lengths.
func TestReadyCheckFailsOnShorterStream(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	evs := readSeed(t)
	recordAll(t, env.Store, evs)
	kp, _ := mustSigningKey(t)
	r := startService(t, env.Store, env.Conn, projector.Options{Signer: kp, CheckpointInterval: time.Hour}, false)
	r.waitFor(t, seedEvents)
	r.waitReady(t)
	ctx := testContext(t, time.Minute)
	if _, err := r.svc.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	r.stop()

	short := otherStream(t, env, "LEXSHORT")
	recordAll(t, short, evs[:seedEvents-4])
	for _, opts := range []projector.Options{{}, {Signer: kp, CheckpointInterval: time.Hour}} {
		s := startService(t, short, env.Conn, opts, false)
		s.waitFor(t, seedEvents-4)
		s.waitReady(t)
		s.waitConflict(t)
		err := s.svc.ReadyCheck(ctx)
		if err == nil || !strings.Contains(err.Error(), "holds 40 events, fewer than the 44") || !strings.Contains(err.Error(), "stream sequence 44") {
			t.Errorf("ready check of a stream of 40 events under a checkpoint of 44 (signer %v): got %v, want both lengths named", opts.Signer != nil, err)
		}
		s.stop()
	}
}
