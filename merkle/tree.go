package merkle

import (
	"fmt"
	"math/bits"
	"sync"
)

// Tree is an append-only Merkle tree kept in memory. It stores every leaf
// hash and, for each level k > 0, the hashes of the complete perfect
// subtrees of 2^k leaves formed so far, about twice the memory of the leaves
// alone (64 bytes a leaf: 640 MB for 10,000,000 leaves). With them Append is
// O(1) amortised (O(log n) at worst), Root and RootAt are O(log n), and a
// proof costs O(log² n) hash computations at most, whatever the size.
//
// The zero Tree is an empty tree ready to use. A Tree is safe for concurrent
// use by multiple goroutines; it must not be copied after first use.
type Tree struct {
	mu sync.RWMutex
	// levels[0] holds the leaf hashes; levels[k][i] is the hash of the
	// perfect subtree over leaves [i<<k, (i+1)<<k). len(levels[k]) is
	// Size()>>k, so the last hash of each level whose length is odd is one of
	// the frontier subtrees that make up the current root.
	levels [][]Hash
}

// Append adds a leaf to the end of the tree. leaf must already be a leaf
// hash, LeafHash(data) of the leaf's data; Append does not hash it again.
func (t *Tree) Append(leaf Hash) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.append(leaf)
}

// append adds leaf and completes every perfect subtree it closes. t.mu must
// be held for writing.
func (t *Tree) append(h Hash) {
	for k := 0; ; k++ {
		if k == len(t.levels) {
			t.levels = append(t.levels, nil)
		}
		t.levels[k] = append(t.levels[k], h)
		n := len(t.levels[k])
		if n%2 == 1 {
			return
		}
		h = NodeHash(t.levels[k][n-2], t.levels[k][n-1])
	}
}

// Size returns the number of leaves appended.
func (t *Tree) Size() uint64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.size()
}

func (t *Tree) size() uint64 {
	if len(t.levels) == 0 {
		return 0
	}
	return uint64(len(t.levels[0]))
}

// Root returns the root hash of the whole tree: the Merkle Tree Hash of
// RFC 9162 §2.1.1 over all the leaves, SHA-256 of the empty string when
// there are none.
func (t *Tree) Root() Hash {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.subtree(0, t.size())
}

// RootAt returns the root hash of the tree made of the first size leaves,
// as Root returned when the tree had that size. A size larger than Size()
// returns an error wrapping ErrOutOfRange.
func (t *Tree) RootAt(size uint64) (Hash, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if n := t.size(); size > n {
		return Hash{}, fmt.Errorf("%w: root at size %d of a tree of %d leaves", ErrOutOfRange, size, n)
	}
	return t.subtree(0, size), nil
}

// InclusionProof returns the audit path of RFC 9162 §2.1.3.1 that proves
// leaf index is in the tree of the first size leaves: the sibling hashes
// from the leaf up to the root, nearest the leaf first. It is empty for a
// tree of one leaf. index must be below size and size at most Size();
// otherwise the error wraps ErrOutOfRange.
func (t *Tree) InclusionProof(index, size uint64) ([]Hash, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if n := t.size(); size > n {
		return nil, fmt.Errorf("%w: inclusion proof in a tree of %d leaves, but the tree has %d", ErrOutOfRange, size, n)
	}
	if index >= size {
		return nil, fmt.Errorf("%w: inclusion proof of leaf %d in a tree of %d leaves", ErrOutOfRange, index, size)
	}
	return t.path(index, 0, size, make([]Hash, 0, bits.Len64(size))), nil
}

// path appends PATH(m, D[start:start+n]) of RFC 9162 §2.1.3.1 to proof.
func (t *Tree) path(m, start, n uint64, proof []Hash) []Hash {
	if n <= 1 {
		return proof
	}
	k := split(n)
	if m < k {
		proof = t.path(m, start, k, proof)
		return append(proof, t.subtree(start+k, n-k))
	}
	proof = t.path(m-k, start+k, n-k, proof)
	return append(proof, t.subtree(start, k))
}

// ConsistencyProof returns the proof of RFC 9162 §2.1.4.1 that the tree of
// the first newSize leaves extends the tree of the first oldSize leaves. It
// is empty when oldSize == newSize and, as this package defines it, when
// oldSize is 0 (the empty tree is a prefix of every tree; see
// VerifyConsistency). oldSize must be at most newSize and newSize at most
// Size(); otherwise the error wraps ErrOutOfRange.
func (t *Tree) ConsistencyProof(oldSize, newSize uint64) ([]Hash, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if n := t.size(); newSize > n {
		return nil, fmt.Errorf("%w: consistency proof to a tree of %d leaves, but the tree has %d", ErrOutOfRange, newSize, n)
	}
	if oldSize > newSize {
		return nil, fmt.Errorf("%w: consistency proof from %d leaves to fewer, %d", ErrOutOfRange, oldSize, newSize)
	}
	proof := make([]Hash, 0, bits.Len64(newSize)+1)
	if oldSize == 0 {
		return proof, nil
	}
	return t.subproof(oldSize, 0, newSize, true, proof), nil
}

// subproof appends SUBPROOF(m, D[start:start+n], b) of RFC 9162 §2.1.4.1
// to proof.
func (t *Tree) subproof(m, start, n uint64, b bool, proof []Hash) []Hash {
	if m == n {
		if b {
			return proof
		}
		return append(proof, t.subtree(start, n))
	}
	k := split(n)
	if m <= k {
		proof = t.subproof(m, start, k, b, proof)
		return append(proof, t.subtree(start+k, n-k))
	}
	proof = t.subproof(m-k, start+k, n-k, false, proof)
	return append(proof, t.subtree(start, k))
}

// subtree returns MTH(D[start:start+n]). A perfect subtree aligned on its
// size is read from its level; any other range is split as RFC 9162 splits
// it, and the left part of each split is such a perfect subtree, so the cost
// is O(log n) hash computations. The range must lie within the tree; t.mu
// must be held.
func (t *Tree) subtree(start, n uint64) Hash {
	switch {
	case n == 0:
		return emptyRoot
	case n&(n-1) == 0 && start&(n-1) == 0:
		k := bits.TrailingZeros64(n)
		return t.levels[k][start>>k]
	}
	k := split(n)
	return NodeHash(t.subtree(start, k), t.subtree(start+k, n-k))
}

// split returns the largest power of two smaller than n, for n >= 2: where
// RFC 9162 splits a tree of n leaves.
func split(n uint64) uint64 {
	return 1 << (bits.Len64(n-1) - 1)
}
