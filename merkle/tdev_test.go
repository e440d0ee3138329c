package merkle_test

import (
	"testing"

	"github.com/lexledger/lexledger/merkle"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// This file holds the package against github.com/transparency-dev/merkle,
// the RFC 6962 library the transparency-log ecosystem maintains: its
// roots, its proofs and its verifiers agree with ours both ways, and the
// benchmarks of BENCHMARKS.md ("Merkle tree: this package and
// transparency-dev/merkle") compare the two on the projector's hot path.

var tdevHasher = rfc6962.DefaultHasher

// tdevTree is what a projector would keep with transparency-dev/merkle:
// a compact range for the root, and every node it reports (leaves and
// perfect subtrees, by level) to build proofs from, as our Tree keeps.
type tdevTree struct {
	rng    *compact.Range
	levels [][]merkle.Hash
}

var tdevFactory = compact.RangeFactory{Hash: tdevHasher.HashChildren}

func newTdevTree() *tdevTree { return &tdevTree{rng: tdevFactory.NewEmptyRange(0)} }

func (t *tdevTree) visit(id compact.NodeID, h []byte) {
	for int(id.Level) >= len(t.levels) {
		t.levels = append(t.levels, nil)
	}
	t.levels[id.Level] = append(t.levels[id.Level], merkle.Hash(h))
}

func (t *tdevTree) append(leaf merkle.Hash) error { return t.rng.Append(leaf[:], t.visit) }

func (t *tdevTree) root() ([]byte, error) {
	if t.rng.End() == 0 {
		return tdevHasher.EmptyRoot(), nil
	}
	return t.rng.GetRootHash(nil)
}

// nodes fetches the hashes of a proof's nodes and rehashes its ephemeral
// node, as its proof package asks.
func (t *tdevTree) nodes(n proof.Nodes) ([][]byte, error) {
	hashes := make([][]byte, len(n.IDs))
	for i, id := range n.IDs {
		h := t.levels[id.Level][id.Index]
		hashes[i] = h[:]
	}
	return n.Rehash(hashes, tdevHasher.HashChildren)
}

func (t *tdevTree) inclusion(index, size uint64) ([][]byte, error) {
	n, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, err
	}
	return t.nodes(n)
}

func (t *tdevTree) consistency(oldSize, newSize uint64) ([][]byte, error) {
	n, err := proof.Consistency(oldSize, newSize)
	if err != nil {
		return nil, err
	}
	return t.nodes(n)
}

func toBytes(hs []merkle.Hash) [][]byte {
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = hs[i][:]
	}
	return out
}

func toHashes(t testing.TB, bs [][]byte) []merkle.Hash {
	out := make([]merkle.Hash, len(bs))
	for i, b := range bs {
		if len(b) != len(merkle.Hash{}) {
			t.Fatalf("a hash of %d bytes", len(b))
		}
		out[i] = merkle.Hash(b)
	}
	return out
}

// TestAgreesWithTransparencyDev: for every size up to 130 and every index
// and old size, our roots are its roots, our proofs verify with its
// verifiers, and its proofs verify with ours; our leaf hash is its.
func TestAgreesWithTransparencyDev(t *testing.T) {
	const n = 130
	leaves := testLeaves(n)
	ours := &merkle.Tree{}
	theirs := newTdevTree()
	if got := merkle.LeafHash([]byte("event hash")); string(got[:]) != string(tdevHasher.HashLeaf([]byte("event hash"))) {
		t.Fatalf("leaf hash %s, rfc6962 gives %x", got, tdevHasher.HashLeaf([]byte("event hash")))
	}
	if r, _ := theirs.root(); merkle.Hash(r) != ours.Root() {
		t.Fatalf("empty root %x, ours %s", r, ours.Root())
	}
	for size := uint64(1); size <= n; size++ {
		ours.Append(leaves[size-1])
		if err := theirs.append(leaves[size-1]); err != nil {
			t.Fatal(err)
		}
		root := ours.Root()
		r, err := theirs.root()
		if err != nil || merkle.Hash(r) != root {
			t.Fatalf("size %d: root %s, transparency-dev gives %x (%v)", size, root, r, err)
		}
		for i := range size {
			p, err := ours.InclusionProof(i, size)
			if err != nil {
				t.Fatal(err)
			}
			if err := proof.VerifyInclusion(tdevHasher, i, size, leaves[i][:], toBytes(p), root[:]); err != nil {
				t.Fatalf("our inclusion proof of %d in %d fails its verifier: %v", i, size, err)
			}
			tp, err := theirs.inclusion(i, size)
			if err != nil {
				t.Fatal(err)
			}
			if err := merkle.VerifyInclusion(leaves[i], i, size, toHashes(t, tp), root); err != nil {
				t.Fatalf("its inclusion proof of %d in %d fails ours: %v", i, size, err)
			}
		}
		for old := uint64(1); old <= size; old++ {
			oldRoot, _ := ours.RootAt(old)
			p, err := ours.ConsistencyProof(old, size)
			if err != nil {
				t.Fatal(err)
			}
			if err := proof.VerifyConsistency(tdevHasher, old, size, toBytes(p), oldRoot[:], root[:]); err != nil {
				t.Fatalf("our consistency proof %d to %d fails its verifier: %v", old, size, err)
			}
			tp, err := theirs.consistency(old, size)
			if err != nil {
				t.Fatal(err)
			}
			if err := merkle.VerifyConsistency(old, size, oldRoot, root, toHashes(t, tp)); err != nil {
				t.Fatalf("its consistency proof %d to %d fails ours: %v", old, size, err)
			}
		}
	}
	// A proof altered in one bit fails both verifiers.
	p, _ := ours.InclusionProof(77, n)
	p[2][5] ^= 1
	root := ours.Root()
	if proof.VerifyInclusion(tdevHasher, 77, n, leaves[77][:], toBytes(p), root[:]) == nil || merkle.VerifyInclusion(leaves[77], 77, n, p, root) == nil {
		t.Error("an altered proof verified")
	}
}

// BenchmarkTdevAppend is BenchmarkAppend with transparency-dev/merkle:
// a million leaves into a compact range whose nodes are kept for proofs.
func BenchmarkTdevAppend(b *testing.B) {
	leaves, _ := benchTree(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		tree := newTdevTree()
		for _, l := range leaves {
			if err := tree.append(l); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N)*benchLeaves/b.Elapsed().Seconds(), "leaves/s")
}

// BenchmarkAppendRoot appends one leaf and computes the root, per
// operation, to a tree of a million leaves and more: the cost per event
// of a projector that would sign every event.
func BenchmarkAppendRoot(b *testing.B) {
	leaves, _ := benchTree(b)
	tree := MustTree(b, leaves)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		tree.Append(leaves[i%benchLeaves])
		tree.Root()
	}
}

func BenchmarkTdevAppendRoot(b *testing.B) {
	leaves, _ := benchTree(b)
	tree := newTdevTree()
	for _, l := range leaves {
		tree.append(l)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := tree.append(leaves[i%benchLeaves]); err != nil {
			b.Fatal(err)
		}
		if _, err := tree.root(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTdevInclusionProof(b *testing.B) {
	leaves, _ := benchTree(b)
	tree := newTdevTree()
	for _, l := range leaves {
		tree.append(l)
	}
	rng := newRand()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		size := benchLeaves - rng.Uint64N(1000)
		if _, err := tree.inclusion(rng.Uint64N(size), size); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTdevConsistencyProof(b *testing.B) {
	leaves, _ := benchTree(b)
	tree := newTdevTree()
	for _, l := range leaves {
		tree.append(l)
	}
	rng := newRand()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		newSize := benchLeaves - rng.Uint64N(1000)
		if _, err := tree.consistency(rng.Uint64N(newSize)+1, newSize); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTdevVerifyInclusion(b *testing.B) {
	leaves, tree := benchTree(b)
	const index = 765_432
	p, _ := tree.InclusionProof(index, benchLeaves)
	root := tree.Root()
	pb := toBytes(p)
	for b.Loop() {
		if err := proof.VerifyInclusion(tdevHasher, index, benchLeaves, leaves[index][:], pb, root[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTdevVerifyConsistency(b *testing.B) {
	_, tree := benchTree(b)
	const oldSize = 765_432
	p, _ := tree.ConsistencyProof(oldSize, benchLeaves)
	oldRoot, _ := tree.RootAt(oldSize)
	newRoot := tree.Root()
	pb := toBytes(p)
	for b.Loop() {
		if err := proof.VerifyConsistency(tdevHasher, oldSize, benchLeaves, pb, oldRoot[:], newRoot[:]); err != nil {
			b.Fatal(err)
		}
	}
}
