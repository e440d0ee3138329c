package projector_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/merkle"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/projector"
)

// TestProofsAfterDefectsAndRestart: the projector finds each event's leaf
// without a map of ids (leafindex.go). Every message has a leaf, defects
// too, so an event stored after defects is the leaf of its sequence; an
// id that a defect reused proves the event that holds it; an unknown id
// is not found, saying so; and after a restart from a snapshot, with the
// tree now in files, every proof is the same, and a new event's too.
func TestProofsAfterDefectsAndRestart(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env)
	receipts := loadSeed(t, l)
	kp, _ := mustSigningKey(t)
	opts := projector.Options{Signer: kp, CheckpointInterval: time.Hour}
	first := startService(t, env.Store, env.Conn, opts, false)
	defects := publishDefects(t, env, l) // the last is a repeal of the refugees' law with the id of its first event
	after := mustAppend(t, l, amendment(1))
	if after.Seq <= defects[len(defects)-1].seq {
		t.Fatalf("the amendment is at sequence %d, before the defects", after.Seq)
	}
	receipts = append(receipts, after)
	first.waitFor(t, after.Seq)
	first.waitReady(t)
	if n := len(first.svc.Defects()); n != len(defects) {
		t.Fatalf("the projector found %d defects, want %d", n, len(defects))
	}
	ctx := testContext(t, time.Minute)

	// proveAll proves each receipt's event: the leaf of its sequence (the
	// stream has no hole), in the signed tree.
	proveAll := func(r *running) map[events.ID]projector.Proof {
		t.Helper()
		out := map[events.ID]projector.Proof{}
		for _, rc := range receipts {
			p, err := r.svc.Prove(ctx, rc.ID)
			if err != nil {
				t.Fatalf("prove the event at sequence %d: %v", rc.Seq, err)
			}
			if p.Sequence != rc.Seq || p.LeafIndex != rc.Seq-1 {
				t.Errorf("the event at sequence %d is proved at sequence %d, leaf %d; want leaf %d", rc.Seq, p.Sequence, p.LeafIndex, rc.Seq-1)
			}
			e, err := events.Decode(p.Event)
			if err != nil || e.ID != rc.ID {
				t.Errorf("the proof of %s carries event %s (%v)", rc.ID, e.ID, err)
			}
			if err := merkle.VerifyInclusion(p.LeafHash, p.LeafIndex, p.TreeSize, p.Path, p.Checkpoint.Root); err != nil {
				t.Errorf("the proof of the event at sequence %d does not verify: %v", rc.Seq, err)
			}
			out[rc.ID] = p
		}
		return out
	}
	before := proveAll(first)
	if p := before[receipts[0].ID]; p.TreeSize <= defects[len(defects)-1].seq {
		t.Errorf("the checkpoint covers %d leaves, not the defects up to sequence %d", p.TreeSize, defects[len(defects)-1].seq)
	}
	hist, err := l.History(ctx, refugees)
	if err != nil {
		t.Fatal(err)
	}
	reused := hist[0]
	if p, err := first.svc.Prove(ctx, reused.Event.ID); err != nil || p.Sequence != reused.Seq {
		t.Errorf("the id a defect reused proves sequence %d (%v); want its event's, %d", p.Sequence, err, reused.Seq)
	}
	mustNotFind(t, first.svc, events.NewID())

	first.stop()
	dir := filepath.Join(t.TempDir(), "tree")
	opts.TreeDir = dir
	again := startService(t, env.Store, env.Conn, opts, true)
	next := mustAppend(t, l, amendment(2))
	again.waitFor(t, next.Seq)
	again.waitReady(t)
	for id, p := range proveAll(again) {
		if was := before[id]; p.LeafIndex != was.LeafIndex || p.Sequence != was.Sequence || string(p.Event) != string(was.Event) || p.LeafHash != was.LeafHash {
			t.Errorf("after the restart event %s is at leaf %d, sequence %d; before, leaf %d, sequence %d", id, p.LeafIndex, p.Sequence, was.LeafIndex, was.Sequence)
		}
	}
	p, err := again.svc.Prove(ctx, next.ID)
	if err != nil {
		t.Fatalf("prove the event recorded after the restart: %v", err)
	}
	if p.LeafIndex != next.Seq-1 || p.TreeSize < next.Seq {
		t.Errorf("the event at sequence %d after the restart is at leaf %d of %d", next.Seq, p.LeafIndex, p.TreeSize)
	}
	if err := merkle.VerifyInclusion(p.LeafHash, p.LeafIndex, p.TreeSize, p.Path, p.Checkpoint.Root); err != nil {
		t.Errorf("the proof of the event recorded after the restart does not verify: %v", err)
	}
	mustNotFind(t, again.svc, events.NewID())
}

// mustNotFind checks that an id the stream does not hold is not found,
// with the message that says what to do.
func mustNotFind(t *testing.T, svc *projector.Service, id events.ID) {
	t.Helper()
	_, err := svc.Prove(context.Background(), id)
	if codeOf(err) != events.CodeNotFound || !strings.Contains(err.Error(), "event "+id.String()+" is not in the stream this projector has applied: check the id, or retry with min_seq once it is recorded") {
		t.Errorf("the proof of an unknown id: %v; want not found, saying to check the id", err)
	}
}

// TestBytesCheckTreeInFiles: with the projector's tree in files, the
// check of the stored bytes keeps its own tree in files beside it, not in
// memory, and still agrees with the checkpoint signed over sound bytes and
// finds altered ones. When those files cannot be made, the check goes on
// with its tree in memory.
func TestBytesCheckTreeInFiles(t *testing.T) {
	for _, unusable := range []bool{false, true} {
		t.Run(map[bool]string{false: "files", true: "unusable"}[unusable], func(t *testing.T) {
			env := natstest.MustStart(t, natstest.Options{})
			l := mustLedger(t, env)
			loadSeed(t, l)
			kp, _ := mustSigningKey(t)
			dir := filepath.Join(t.TempDir(), "tree")
			if unusable {
				// A file where the check's directory should be.
				if err := os.WriteFile(dir+"-bytes", []byte("not a directory"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			r := startService(t, env.Store, env.Conn, projector.Options{Signer: kp, CheckpointInterval: time.Hour, TreeDir: dir}, false)
			r.waitFor(t, seedEvents)
			r.waitReady(t)
			ctx := testContext(t, time.Minute)
			if _, err := r.svc.Checkpoint(ctx); err != nil {
				t.Fatal(err)
			}
			rep, err := r.svc.Report(refugees)
			if err != nil {
				t.Fatal(err)
			}
			if !rep.ChainOK || rep.ChainStatus != "verified" {
				t.Fatalf("report of a sound act: status %q, issues %q; want verified", rep.ChainStatus, rep.ChainIssues)
			}
			if err := r.svc.ReadyCheck(ctx); err != nil {
				t.Errorf("the stored bytes disagree with the checkpoint signed over them: %v", err)
			}
			if _, err := os.Stat(filepath.Join(dir+"-bytes", "0", "level-00")); !unusable && err != nil {
				t.Fatalf("the check of the stored bytes keeps no tree in files beside %s: %v", dir, err)
			}

			// An event sealed, then stored again with its text altered.
			e := amendment(1)
			e.Act = refugees
			e.Provisions, e.Body.Texts = []string{"art_1"}, map[string]string{"art_1": "Article 1, as recorded."}
			rc := mustAppend(t, l, e)
			bad := publishAltered(t, env, rc)
			r.waitFor(t, bad)
			rep, err = r.svc.Report(refugees)
			if err != nil {
				t.Fatal(err)
			}
			if rep.ChainOK || rep.ChainStatus != "failed" || !strings.Contains(strings.Join(rep.ChainIssues, "\n"), "sequence ") {
				t.Errorf("report after altered bytes: status %q, issues %q; want failed, naming the sequence", rep.ChainStatus, rep.ChainIssues)
			}
		})
	}
}

// publishAltered stores the event of rc again with a word of its text
// changed, as an operator with the stream's rights could, and returns its
// sequence.
func publishAltered(t *testing.T, env *natstest.Env, rc ledger.Receipt) uint64 {
	t.Helper()
	stored, err := env.Store.Load(testContext(t, time.Minute), refugees, rc.Seq-1)
	if err != nil || len(stored) == 0 {
		t.Fatalf("load the event just recorded: %v", err)
	}
	data, err := events.Encode(&stored[len(stored)-1].Event)
	if err != nil {
		t.Fatal(err)
	}
	altered := strings.Replace(string(data), "as recorded", "as rewritten", 1)
	if altered == string(data) {
		t.Fatal("the test's alteration changed nothing")
	}
	return rawPublish(t, env.Conn, env.Store.Subject(refugees), []byte(altered))
}
