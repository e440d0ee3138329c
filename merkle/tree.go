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
	return path(t, index, 0, size, make([]Hash, 0, bits.Len64(size)))
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
	return subproof(t, oldSize, 0, newSize, true, proof)
}

// nodes reads the hashes of a tree's perfect subtrees: node(k, i) is the
// hash over leaves [i<<k, (i+1)<<k). The algorithms below are written over
// it once, for the Tree in memory and the StoredTree.
type nodes interface {
	node(k int, i uint64) (Hash, error)
}

// node implements nodes for the levels in memory; it never fails.
func (t *Tree) node(k int, i uint64) (Hash, error) { return t.levels[k][i], nil }

// path appends PATH(m, D[start:start+n]) of RFC 9162 §2.1.3.1 to proof.
func path(t nodes, m, start, n uint64, proof []Hash) ([]Hash, error) {
	if n <= 1 {
		return proof, nil
	}
	k := split(n)
	var err error
	var h Hash
	if m < k {
		if proof, err = path(t, m, start, k, proof); err == nil {
			h, err = subtree(t, start+k, n-k)
		}
	} else {
		if proof, err = path(t, m-k, start+k, n-k, proof); err == nil {
			h, err = subtree(t, start, k)
		}
	}
	return append(proof, h), err
}

// subproof appends SUBPROOF(m, D[start:start+n], b) of RFC 9162 §2.1.4.1
// to proof.
func subproof(t nodes, m, start, n uint64, b bool, proof []Hash) ([]Hash, error) {
	if m == n {
		if b {
			return proof, nil
		}
		h, err := subtree(t, start, n)
		return append(proof, h), err
	}
	k := split(n)
	var err error
	var h Hash
	if m <= k {
		if proof, err = subproof(t, m, start, k, b, proof); err == nil {
			h, err = subtree(t, start+k, n-k)
		}
	} else {
		if proof, err = subproof(t, m-k, start+k, n-k, false, proof); err == nil {
			h, err = subtree(t, start, k)
		}
	}
	return append(proof, h), err
}

// subtree returns MTH(D[start:start+n]). A perfect subtree aligned on its
// size is read as a node; any other range is split as RFC 9162 splits it,
// and the left part of each split is such a perfect subtree, so the cost is
// O(log n) hash computations. The range must lie within the tree.
func subtree(t nodes, start, n uint64) (Hash, error) {
	switch {
	case n == 0:
		return emptyRoot, nil
	case n&(n-1) == 0 && start&(n-1) == 0:
		return t.node(bits.TrailingZeros64(n), start>>bits.TrailingZeros64(n))
	}
	k := split(n)
	left, err := subtree(t, start, k)
	if err != nil {
		return Hash{}, err
	}
	right, err := subtree(t, start+k, n-k)
	if err != nil {
		return Hash{}, err
	}
	return NodeHash(left, right), nil
}

// subtree is the package's subtree for the levels in memory, which never
// fail. t.mu must be held.
func (t *Tree) subtree(start, n uint64) Hash {
	h, _ := subtree(t, start, n)
	return h
}

// split returns the largest power of two smaller than n, for n >= 2: where
// RFC 9162 splits a tree of n leaves.
func split(n uint64) uint64 {
	return 1 << (bits.Len64(n-1) - 1)
}
