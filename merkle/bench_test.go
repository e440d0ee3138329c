package merkle_test

import (
	"os"
	"sync"
	"testing"

	"github.com/lexledger/lexledger/merkle"
)

const benchLeaves = 1_000_000

var bench struct {
	once   sync.Once
	leaves []merkle.Hash
	tree   *merkle.Tree
}

// benchTree returns a tree of a million leaves, built once for all the
// benchmarks.
func benchTree(b *testing.B) ([]merkle.Hash, *merkle.Tree) {
	b.Helper()
	bench.once.Do(func() {
		bench.leaves = testLeaves(benchLeaves)
		bench.tree = MustTree(b, bench.leaves)
	})
	return bench.leaves, bench.tree
}

// BenchmarkAppend appends a million leaves to an empty tree per operation.
func BenchmarkAppend(b *testing.B) {
	leaves, _ := benchTree(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		var tree merkle.Tree
		for _, l := range leaves {
			tree.Append(l)
		}
	}
	b.ReportMetric(float64(b.N)*benchLeaves/b.Elapsed().Seconds(), "leaves/s")
}

func BenchmarkRoot(b *testing.B) {
	_, tree := benchTree(b)
	for b.Loop() {
		tree.Root()
	}
}

func BenchmarkInclusionProof(b *testing.B) {
	_, tree := benchTree(b)
	rng := newRand()
	b.ReportAllocs()
	for b.Loop() {
		size := benchLeaves - rng.Uint64N(1000)
		if _, err := tree.InclusionProof(rng.Uint64N(size), size); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkConsistencyProof(b *testing.B) {
	_, tree := benchTree(b)
	rng := newRand()
	b.ReportAllocs()
	for b.Loop() {
		newSize := benchLeaves - rng.Uint64N(1000)
		if _, err := tree.ConsistencyProof(rng.Uint64N(newSize)+1, newSize); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyInclusion(b *testing.B) {
	leaves, tree := benchTree(b)
	const index = 765_432
	proof, _ := tree.InclusionProof(index, benchLeaves)
	root := tree.Root()
	for b.Loop() {
		if err := merkle.VerifyInclusion(leaves[index], index, benchLeaves, proof, root); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyConsistency(b *testing.B) {
	_, tree := benchTree(b)
	const oldSize = 765_432
	proof, _ := tree.ConsistencyProof(oldSize, benchLeaves)
	oldRoot, _ := tree.RootAt(oldSize)
	newRoot := tree.Root()
	for b.Loop() {
		if err := merkle.VerifyConsistency(oldSize, benchLeaves, oldRoot, newRoot, proof); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnmarshalBinary(b *testing.B) {
	_, tree := benchTree(b)
	data, _ := tree.MarshalBinary()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		var back merkle.Tree
		if err := back.UnmarshalBinary(data); err != nil {
			b.Fatal(err)
		}
	}
}

// TestScale10M builds a tree of ten million leaves (about 640 MB) and checks
// proofs at that size. It is slow, so it runs only when
// LEXLEDGER_MERKLE_SCALE=1.
func TestScale10M(t *testing.T) {
	if os.Getenv("LEXLEDGER_MERKLE_SCALE") != "1" {
		t.Skip("set LEXLEDGER_MERKLE_SCALE=1 to build a tree of 10,000,000 leaves")
	}
	const n = 10_000_000
	leaves := testLeaves(n)
	tree := MustTree(t, leaves)
	root := tree.Root()
	for _, i := range []uint64{0, 1, n / 2, n - 2, n - 1} {
		proof, err := tree.InclusionProof(i, n)
		if err != nil {
			t.Fatal(err)
		}
		if err := merkle.VerifyInclusion(leaves[i], i, n, proof, root); err != nil {
			t.Errorf("leaf %d of %d: %v", i, n, err)
		}
	}
	for _, m := range []uint64{1, 1 << 23, n / 3, n - 1} {
		proof, err := tree.ConsistencyProof(m, n)
		if err != nil {
			t.Fatal(err)
		}
		old, _ := tree.RootAt(m)
		if err := merkle.VerifyConsistency(m, n, old, root, proof); err != nil {
			t.Errorf("%d to %d: %v", m, n, err)
		}
	}
	data, err := tree.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back merkle.Tree
	if err := back.UnmarshalBinary(data); err != nil || back.Root() != root {
		t.Fatalf("reloading %d leaves gives root %s, %v; want %s", n, back.Root(), err, root)
	}
}
