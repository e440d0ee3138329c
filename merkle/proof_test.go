package merkle_test

import (
	"errors"
	"math/bits"
	"slices"
	"testing"

	"github.com/lexledger/lexledger/merkle"
)

// checkInclusion asserts that the tree's audit path of leaf index in the
// first size leaves verifies against root, and that every tampering with its
// inputs fails with the error that names the check. It returns the number
// of verifications made.
func checkInclusion(t *testing.T, tree *merkle.Tree, leaves []merkle.Hash, index, size uint64, root merkle.Hash) int {
	t.Helper()
	proof, err := tree.InclusionProof(index, size)
	if err != nil {
		t.Fatalf("InclusionProof(%d, %d): %v", index, size, err)
	}
	leaf := leaves[index]
	n := 0
	verify := func(what string, want error, leaf merkle.Hash, index uint64, proof []merkle.Hash, root merkle.Hash) {
		t.Helper()
		n++
		err := merkle.VerifyInclusion(leaf, index, size, proof, root)
		switch {
		case want == nil && err != nil:
			t.Fatalf("leaf %d of %d: %s: the proof fails: %v", index, size, what, err)
		case want != nil && err == nil:
			t.Fatalf("leaf %d of %d: %s: the proof verifies, want it to fail", index, size, what)
		case want != nil && want != errAny && !errors.Is(err, want):
			t.Fatalf("leaf %d of %d: %s: the error is %v, want %v", index, size, what, err, want)
		}
	}

	verify("as given", nil, leaf, index, proof, root)
	verify("leaf changed", merkle.ErrRootMismatch, flip(leaf), index, proof, root)
	verify("root changed", merkle.ErrRootMismatch, leaf, index, proof, flip(root))
	if size > 1 {
		verify("another leaf", merkle.ErrRootMismatch, leaves[(index+1)%size], index, proof, root)
	}
	for _, other := range []uint64{index + 1, index - 1, index ^ 1, index ^ 2, size - 1 - index} {
		if other < size && other != index {
			verify("index changed", errAny, leaf, other, proof, root)
		}
	}
	verify("index at size", merkle.ErrOutOfRange, leaf, size, proof, root)
	for i := range proof {
		bad := slices.Clone(proof)
		bad[i] = flip(bad[i])
		verify("a proof hash flipped", merkle.ErrRootMismatch, leaf, index, bad, root)
		verify("a proof hash dropped", merkle.ErrProofSize, leaf, index, slices.Delete(slices.Clone(proof), i, i+1), root)
	}
	verify("a hash added at the end", merkle.ErrProofSize, leaf, index, append(slices.Clone(proof), root), root)
	verify("a hash added at the start", merkle.ErrProofSize, leaf, index, append([]merkle.Hash{leaf}, proof...), root)
	return n
}

// errAny stands for "any error".
var errAny = errors.New("any error")

func TestInclusionAllSmall(t *testing.T) {
	leaves := testLeaves(130)
	tree := MustTree(t, leaves)
	checks := 0
	for size := 1; size <= len(leaves); size++ {
		root := refRoot(leaves[:size])
		for index := 0; index < size; index++ {
			proof, err := tree.InclusionProof(uint64(index), uint64(size))
			if err != nil {
				t.Fatal(err)
			}
			if want := refPath(index, leaves[:size]); !equalHashes(proof, want) {
				t.Fatalf("the audit path of leaf %d of %d is %v, want RFC 6962 PATH %v", index, size, proof, want)
			}
			checks += checkInclusion(t, tree, leaves, uint64(index), uint64(size), root)
		}
	}
	t.Logf("%d inclusion verifications", checks)
}

func TestInclusionRandom(t *testing.T) {
	leaves := testLeaves(10000)
	tree := MustTree(t, leaves)
	rng := newRand()
	checks := 0
	for i := range 2000 {
		size := rng.Uint64N(uint64(len(leaves))) + 1
		index := rng.Uint64N(size)
		if i%4 == 0 {
			index = size - 1 // the last leaf: the unpaired right edge
		}
		root, err := tree.RootAt(size)
		if err != nil {
			t.Fatal(err)
		}
		if i < 20 {
			proof, _ := tree.InclusionProof(index, size)
			if want := refPath(int(index), leaves[:size]); !equalHashes(proof, want) {
				t.Fatalf("the audit path of leaf %d of %d is %v, want RFC 6962 PATH %v", index, size, proof, want)
			}
		}
		checks += checkInclusion(t, tree, leaves, index, size, root)
	}
	t.Logf("%d inclusion verifications", checks)
}

// checkConsistency asserts that the tree's consistency proof from oldSize to
// newSize verifies, and that every tampering fails with the error that names
// the check. It returns the number of verifications made.
func checkConsistency(t *testing.T, tree *merkle.Tree, oldSize, newSize uint64, oldRoot, newRoot merkle.Hash) int {
	t.Helper()
	proof, err := tree.ConsistencyProof(oldSize, newSize)
	if err != nil {
		t.Fatalf("ConsistencyProof(%d, %d): %v", oldSize, newSize, err)
	}
	n := 0
	verify := func(what string, want error, oldSize, newSize uint64, oldRoot, newRoot merkle.Hash, proof []merkle.Hash) {
		t.Helper()
		n++
		err := merkle.VerifyConsistency(oldSize, newSize, oldRoot, newRoot, proof)
		switch {
		case want == nil && err != nil:
			t.Fatalf("%d to %d: %s: the proof fails: %v", oldSize, newSize, what, err)
		case want != nil && err == nil:
			t.Fatalf("%d to %d: %s: the proof verifies, want it to fail", oldSize, newSize, what)
		case want != nil && want != errAny && !errors.Is(err, want):
			t.Fatalf("%d to %d: %s: the error is %v, want %v", oldSize, newSize, what, err, want)
		}
	}

	verify("as given", nil, oldSize, newSize, oldRoot, newRoot, proof)
	if oldSize == newSize {
		if len(proof) != 0 {
			t.Fatalf("the consistency proof from %d to itself has %d hashes, want none", oldSize, len(proof))
		}
		verify("a hash added", merkle.ErrProofSize, oldSize, newSize, oldRoot, newRoot, []merkle.Hash{oldRoot})
		verify("new root changed", merkle.ErrRootMismatch, oldSize, newSize, oldRoot, flip(newRoot), proof)
		verify("old root changed", merkle.ErrRootMismatch, oldSize, newSize, flip(oldRoot), newRoot, proof)
		return n
	}
	verify("old root changed", merkle.ErrRootMismatch, oldSize, newSize, flip(oldRoot), newRoot, proof)
	verify("new root changed", merkle.ErrRootMismatch, oldSize, newSize, oldRoot, flip(newRoot), proof)
	verify("roots swapped", merkle.ErrRootMismatch, oldSize, newSize, newRoot, oldRoot, proof)
	verify("sizes swapped", merkle.ErrOutOfRange, newSize, oldSize, oldRoot, newRoot, proof)
	verify("sizes and roots swapped", merkle.ErrOutOfRange, newSize, oldSize, newRoot, oldRoot, proof)
	verify("empty proof", merkle.ErrProofSize, oldSize, newSize, oldRoot, newRoot, nil)
	for i := range proof {
		bad := slices.Clone(proof)
		bad[i] = flip(bad[i])
		verify("a proof hash flipped", merkle.ErrRootMismatch, oldSize, newSize, oldRoot, newRoot, bad)
		verify("a proof hash dropped", merkle.ErrProofSize, oldSize, newSize, oldRoot, newRoot, slices.Delete(slices.Clone(proof), i, i+1))
	}
	verify("a hash added at the end", merkle.ErrProofSize, oldSize, newSize, oldRoot, newRoot, append(slices.Clone(proof), newRoot))
	verify("a hash added at the start", merkle.ErrProofSize, oldSize, newSize, oldRoot, newRoot, append([]merkle.Hash{oldRoot}, proof...))
	return n
}

func TestConsistencyAllSmall(t *testing.T) {
	leaves := testLeaves(130)
	tree := MustTree(t, leaves)
	roots := make([]merkle.Hash, len(leaves)+1)
	for n := range roots {
		roots[n] = refRoot(leaves[:n])
	}
	checks := 0
	for n := 1; n <= len(leaves); n++ {
		for m := 1; m <= n; m++ {
			proof, err := tree.ConsistencyProof(uint64(m), uint64(n))
			if err != nil {
				t.Fatal(err)
			}
			if want := refProof(m, leaves[:n]); !equalHashes(proof, want) {
				t.Fatalf("the consistency proof from %d to %d is %v, want RFC 6962 PROOF %v", m, n, proof, want)
			}
			checks += checkConsistency(t, tree, uint64(m), uint64(n), roots[m], roots[n])
		}
	}
	t.Logf("%d consistency verifications", checks)
}

func TestConsistencyRandom(t *testing.T) {
	leaves := testLeaves(10000)
	tree := MustTree(t, leaves)
	rng := newRand()
	checks := 0
	for i := range 2000 {
		n := rng.Uint64N(uint64(len(leaves))) + 1
		m := rng.Uint64N(n) + 1
		switch i % 8 {
		case 0:
			m = 1 << (bits.Len64(n) - 1) // a power of two: the old root opens the path
		case 1:
			m = n - 1
		}
		if m == 0 {
			m = 1
		}
		oldRoot, _ := tree.RootAt(m)
		newRoot, _ := tree.RootAt(n)
		if i < 20 {
			proof, _ := tree.ConsistencyProof(m, n)
			if want := refProof(int(m), leaves[:n]); !equalHashes(proof, want) {
				t.Fatalf("the consistency proof from %d to %d is %v, want RFC 6962 PROOF %v", m, n, proof, want)
			}
		}
		checks += checkConsistency(t, tree, m, n, oldRoot, newRoot)
	}
	t.Logf("%d consistency verifications", checks)
}

// TestConsistencyFromEmpty: the RFC defines consistency proofs for
// 0 < oldSize < newSize; this package defines the empty tree as consistent
// with every tree, by an empty proof, provided the old root is the empty
// tree's root.
func TestConsistencyFromEmpty(t *testing.T) {
	leaves := testLeaves(20)
	tree := MustTree(t, leaves)
	for n := uint64(0); n <= 20; n++ {
		proof, err := tree.ConsistencyProof(0, n)
		if err != nil || len(proof) != 0 {
			t.Fatalf("ConsistencyProof(0, %d) is %v, %v; want an empty proof", n, proof, err)
		}
		newRoot, _ := tree.RootAt(n)
		if err := merkle.VerifyConsistency(0, n, emptyRoot, newRoot, proof); err != nil {
			t.Errorf("consistency from the empty tree to %d leaves fails: %v", n, err)
		}
		if err := merkle.VerifyConsistency(0, n, flip(emptyRoot), newRoot, proof); !errors.Is(err, merkle.ErrRootMismatch) {
			t.Errorf("consistency from a wrong empty root to %d leaves gives error %v, want ErrRootMismatch", n, err)
		}
		if err := merkle.VerifyConsistency(0, n, emptyRoot, newRoot, []merkle.Hash{newRoot}); !errors.Is(err, merkle.ErrProofSize) {
			t.Errorf("consistency from the empty tree with a non-empty proof gives error %v, want ErrProofSize", err)
		}
	}
	if err := merkle.VerifyConsistency(0, 0, emptyRoot, flip(emptyRoot), nil); !errors.Is(err, merkle.ErrRootMismatch) {
		t.Errorf("consistency of the empty tree with a non-empty root gives error %v, want ErrRootMismatch", err)
	}
	var empty merkle.Tree
	if proof, err := empty.ConsistencyProof(0, 0); err != nil || len(proof) != 0 {
		t.Errorf("ConsistencyProof(0, 0) of the empty tree is %v, %v; want an empty proof", proof, err)
	}
}

// TestConsistencyFork: a log that rewrote an old leaf cannot prove
// consistency with a root it published before the rewrite.
func TestConsistencyFork(t *testing.T) {
	leaves := testLeaves(100)
	honest := MustTree(t, leaves)
	forged := slices.Clone(leaves)
	forged[30] = refLeaf([]byte("rewritten"))
	fork := MustTree(t, forged)
	for _, m := range []uint64{31, 32, 33, 50, 64, 99} {
		oldRoot, _ := honest.RootAt(m)
		proof, _ := fork.ConsistencyProof(m, 100)
		if err := merkle.VerifyConsistency(m, 100, oldRoot, fork.Root(), proof); !errors.Is(err, merkle.ErrRootMismatch) {
			t.Errorf("a forked log's proof from %d to 100 gives error %v, want ErrRootMismatch", m, err)
		}
	}
	// Before the rewritten leaf the two logs agree.
	oldRoot, _ := honest.RootAt(30)
	proof, _ := fork.ConsistencyProof(30, 100)
	if err := merkle.VerifyConsistency(30, 100, oldRoot, fork.Root(), proof); err != nil {
		t.Errorf("the logs agree on their first 30 leaves, yet the proof fails: %v", err)
	}
}

// TestInclusionSizeIsBound documents why the size must come from the same
// tree head as the root: the audit path of leaf 0 of 3 leaves also folds to
// the root of 3 leaves when the verifier is told the size is 4.
func TestInclusionSizeIsBound(t *testing.T) {
	leaves := testLeaves(4)
	tree := MustTree(t, leaves)
	root3, _ := tree.RootAt(3)
	proof, _ := tree.InclusionProof(0, 3)
	if err := merkle.VerifyInclusion(leaves[0], 0, 4, proof, root3); err != nil {
		t.Errorf("leaf 0's path in 3 leaves, checked as size 4 against the root of 3: %v; docs/MERKLE.md says it verifies", err)
	}
	root4 := tree.Root()
	if err := merkle.VerifyInclusion(leaves[0], 0, 4, proof, root4); !errors.Is(err, merkle.ErrRootMismatch) {
		t.Errorf("leaf 0's path in 3 leaves against the root of 4 gives error %v, want ErrRootMismatch", err)
	}
}
