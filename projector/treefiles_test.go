package projector_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/merkle"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/projector"
)

// TestTreeInFiles runs a signing projector whose tree is in files
// (Options.TreeDir) beside one whose tree is in memory, over the same
// stream: their checkpoints, inclusion proofs and consistency proofs are
// the same, and after a restart from a snapshot (the files written anew)
// the projector in files signs a checkpoint that extends its last one.
func TestTreeInFiles(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env)
	receipts := loadSeed(t, l)
	kp, _ := mustSigningKey(t)
	dir := filepath.Join(t.TempDir(), "tree")
	inFiles := startService(t, env.Store, env.Conn, projector.Options{Signer: kp, CheckpointInterval: time.Hour, TreeDir: dir}, false)
	inMemory := startService(t, env.Store, env.Conn, projector.Options{}, false)
	last := receipts[len(receipts)-1].Seq
	for _, r := range []*running{inFiles, inMemory} {
		r.waitFor(t, last)
		r.waitReady(t)
	}
	if _, err := os.Stat(filepath.Join(dir, "level-00")); err != nil {
		t.Fatalf("the tree's leaves are not in %s: %v", dir, err)
	}
	ctx := testContext(t, time.Minute)
	c, err := inFiles.svc.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want, err := inMemory.svc.Consistent(1, c.TreeSize)
	if err != nil {
		t.Fatal(err)
	}
	if c.Root != want.NewRoot {
		t.Errorf("the checkpoint of the tree in files has root %s; the tree in memory has %s", c.Root, want.NewRoot)
	}
	for _, rc := range []int{0, len(receipts) / 2, len(receipts) - 1} {
		id := receipts[rc].ID
		got, err := inFiles.svc.Prove(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if err := merkle.VerifyInclusion(got.LeafHash, got.LeafIndex, got.TreeSize, got.Path, c.Root); err != nil {
			t.Errorf("the proof of event %s from the tree in files does not verify: %v", id, err)
		}
	}
	for _, from := range []uint64{1, 7, c.TreeSize - 1} {
		got, err := inFiles.svc.Consistent(from, c.TreeSize)
		if err != nil {
			t.Fatal(err)
		}
		mem, _ := inMemory.svc.Consistent(from, c.TreeSize)
		if got.OldRoot != mem.OldRoot || !slices.Equal(got.Path, mem.Path) {
			t.Errorf("consistency %d to %d: in files %+v, in memory %+v", from, c.TreeSize, got, mem)
		}
	}
	inFiles.stop()

	again := startService(t, env.Store, env.Conn, projector.Options{Signer: kp, CheckpointInterval: time.Hour, TreeDir: dir}, true)
	rc := mustAppend(t, l, amendment(1))
	again.waitFor(t, rc.Seq)
	inMemory.waitFor(t, rc.Seq)
	again.waitReady(t)
	next, err := again.svc.Checkpoint(ctx)
	if err != nil {
		t.Fatalf("the checkpoint after a restart with the tree in files: %v", err)
	}
	mem, _ := inMemory.svc.Consistent(c.TreeSize, next.TreeSize)
	if next.TreeSize != c.TreeSize+1 || next.Root != mem.NewRoot {
		t.Errorf("after a restart: checkpoint of size %d, root %s; want size %d, root %s", next.TreeSize, next.Root, c.TreeSize+1, mem.NewRoot)
	}
	if err := again.svc.ReadyCheck(ctx); err != nil {
		t.Errorf("ready check: %v", err)
	}
}

// TestTreeDirUnusable: a projector whose tree directory cannot be made
// stops at once and names it, rather than run without its evidence.
func TestTreeDirUnusable(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env)
	loadSeed(t, l)
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t, time.Minute)
	views, err := natsjs.OpenViews(ctx, env.Conn, 1)
	if err != nil {
		t.Fatal(err)
	}
	svc := projector.New(env.Store, views, projector.Options{TreeDir: file})
	runCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err = svc.Run(runCtx)
	if err == nil || !strings.Contains(err.Error(), file) || runCtx.Err() != nil {
		t.Fatalf("Run with a file as its tree directory returned %v; want an error naming %s, at once", err, file)
	}
	if svc.Ready() {
		t.Error("the projector without its tree says it is ready")
	}
}
