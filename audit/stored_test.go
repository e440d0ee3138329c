package audit_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/lexledger/lexledger/audit"
	"github.com/lexledger/lexledger/merkle"
)

// TestVerifierOverFileStore: a verifier whose tree is in files
// (NewVerifierOver over a merkle.FileStore) reports exactly what one whose
// tree is in memory reports, on a clean stream and on streams with an
// event altered, removed, swapped or unreadable, checked against
// checkpoints at several sizes; its roots are the same at every size, and
// so is the state it keeps for the next run.
func TestVerifierOverFileStore(t *testing.T) {
	recs := sealChain(t, 300, 30) // checkpoints at odd sizes and powers of two
	kp, pub := newKey(t)
	var cps []audit.Checkpoint
	for _, n := range []int{1, 7, 64, 150, 299, 300} {
		c := checkpointOf(t, recs[:n], kp)
		cps = append(cps, c)
	}
	altered := clone(recs)
	altered[40].data[len(altered[40].data)/2] ^= 1
	removed := append(clone(recs[:99]), clone(recs[100:])...)
	swapped := clone(recs)
	swapped[10].data, swapped[11].data = swapped[11].data, swapped[10].data
	unreadable := clone(recs)
	unreadable[200].data = []byte("not json at all")
	for name, rs := range map[string][]rec{"clean": recs, "altered": altered, "removed": removed, "swapped": swapped, "unreadable": unreadable} {
		t.Run(name, func(t *testing.T) {
			inMemory := audit.NewVerifier([]string{pub})
			store, err := merkle.OpenFileStore(filepath.Join(t.TempDir(), "tree"), 0)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { store.Close() })
			inFiles := audit.NewVerifierOver([]string{pub}, store)
			if inFiles.Tree() != nil {
				t.Errorf("a verifier over a store returns a tree in memory too")
			}
			for _, v := range []*audit.Verifier{inMemory, inFiles} {
				for _, r := range rs {
					v.AddRaw(r.seq, r.act, r.data)
				}
				for _, c := range cps {
					v.Check(c)
				}
			}
			if err := inFiles.Err(); err != nil {
				t.Fatalf("the store failed: %v", err)
			}
			want, got := inMemory.Report(), inFiles.Report()
			if !reflect.DeepEqual(got, want) {
				t.Errorf("with the tree in files the report is\n%+v\nwith the tree in memory\n%+v", got, want)
			}
			if name != "clean" && want.OK {
				t.Errorf("the %s stream verifies", name)
			}
			if inFiles.TreeSize() != inMemory.Tree().Size() {
				t.Fatalf("tree of %d leaves in files, %d in memory", inFiles.TreeSize(), inMemory.Tree().Size())
			}
			for n := uint64(0); n <= inFiles.TreeSize(); n++ {
				a, errA := inFiles.RootAt(n)
				b, errB := inMemory.Tree().RootAt(n)
				if a != b || (errA == nil) != (errB == nil) {
					t.Fatalf("root at %d: %s (%v) in files, %s (%v) in memory", n, a, errA, b, errB)
				}
			}
			now := baseTime.Add(2 * time.Hour)
			if got, want := inFiles.State("LEX", audit.CheckpointStream{}, 0, now), inMemory.State("LEX", audit.CheckpointStream{}, 0, now); !reflect.DeepEqual(got, want) {
				t.Errorf("the state with the tree in files differs from that in memory:\n%+v\n%+v", got, want)
			}
		})
	}
}

// TestVerifierStoreFails: when the tree's store fails, the verifier says
// so (Err), so that its roots are not taken for the stream's.
func TestVerifierStoreFails(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tree")
	store, err := merkle.OpenFileStore(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Closed and its directory gone: the first append cannot make a file.
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	v := audit.NewVerifierOver(nil, store)
	for _, r := range sealChain(t, 5, 2) {
		v.AddRaw(r.seq, r.act, r.data)
	}
	if v.Err() == nil {
		t.Fatalf("the verifier reports no failure of its store, with a tree of %d leaves", v.TreeSize())
	}
	if v.TreeSize() != 0 {
		t.Errorf("the tree grew to %d leaves after its store failed", v.TreeSize())
	}
	t.Log(v.Err())
}
