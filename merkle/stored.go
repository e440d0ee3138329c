package merkle

import (
	"fmt"
	"math/bits"
	"sync"
)

// Store keeps the hashes of a StoredTree, level by level: level 0 the
// leaves, level k the perfect subtrees of 2^k leaves, each level in order.
// A tree of n leaves has n>>k hashes at level k. The tree appends to a
// level only at its end and reads only what it appended.
type Store interface {
	// Append adds h at the end of level k.
	Append(k int, h Hash) error
	// Get returns hash i of level k.
	Get(k int, i uint64) (Hash, error)
}

// StoredTree is the Merkle tree of Tree, with its hashes in a Store: in
// memory it keeps only the frontier (the last hash of each level, at most
// 64), so that a store on disk (FileStore) bounds the memory a tree of any
// size takes. Appends never read the store; a root reads O(log n) hashes
// and a proof O(log² n) at most.
//
// A StoredTree is safe for concurrent use by multiple goroutines. Errors
// of its store are returned, wrapped. A failed Append leaves the tree as
// it was before it, though the store may hold part of what it added: open
// the tree again over a store cut to its size (OpenFileStore cuts) to go
// on.
type StoredTree struct {
	mu    sync.RWMutex
	store Store
	size  uint64
	tail  []Hash // tail[k]: the last hash of level k, while size>>k > 0
}

// NewStoredTree returns an empty tree over store, which must hold no
// hashes.
func NewStoredTree(store Store) *StoredTree { return &StoredTree{store: store} }

// OpenStoredTree returns the tree of the first size leaves that store
// holds, reading its frontier back. A store that holds fewer hashes fails
// with the store's error.
func OpenStoredTree(store Store, size uint64) (*StoredTree, error) {
	t := &StoredTree{store: store, size: size}
	for k := 0; size>>k > 0; k++ {
		h, err := store.Get(k, size>>k-1)
		if err != nil {
			return nil, fmt.Errorf("merkle: open a tree of %d leaves: level %d: %w", size, k, err)
		}
		t.tail = append(t.tail, h)
	}
	return t, nil
}

// Append adds a leaf hash (LeafHash of the leaf's data) to the end of the
// tree, and completes every perfect subtree it closes.
func (t *StoredTree) Append(leaf Hash) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.size + 1
	// The hashes the leaf adds, one a level, bottom up: the leaf, then the
	// root of each pair it closes.
	var add [64]Hash
	add[0] = leaf
	k := 0
	for ; n>>k&1 == 0; k++ {
		add[k+1] = NodeHash(t.tail[k], add[k])
	}
	for j := 0; j <= k; j++ {
		if err := t.store.Append(j, add[j]); err != nil {
			return fmt.Errorf("merkle: append leaf %d: level %d: %w", t.size, j, err)
		}
	}
	for j := 0; j <= k; j++ {
		if j == len(t.tail) {
			t.tail = append(t.tail, add[j])
		} else {
			t.tail[j] = add[j]
		}
	}
	t.size = n
	return nil
}

// node implements nodes over the store.
func (t *StoredTree) node(k int, i uint64) (Hash, error) {
	if i == t.size>>k-1 {
		return t.tail[k], nil
	}
	h, err := t.store.Get(k, i)
	if err != nil {
		return Hash{}, fmt.Errorf("merkle: read hash %d of level %d: %w", i, k, err)
	}
	return h, nil
}

// CheckEnds checks the end of each level against the level below: the
// last hash of level k (k > 0) must be the node of the two hashes of level
// k-1 below it. Together with the root, which is made of the last hash of
// the levels of the size's bits, this vouches for the last hashes of
// every level, those that a crash would cut or lose first; it reads
// O(log n) hashes. A hash that disagrees fails with ErrDamaged.
func (t *StoredTree) CheckEnds() error {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for k := 1; t.size>>k > 0; k++ {
		i := t.size>>k - 1
		left, err := t.node(k-1, 2*i)
		if err != nil {
			return err
		}
		right, err := t.node(k-1, 2*i+1)
		if err != nil {
			return err
		}
		if NodeHash(left, right) != t.tail[k] {
			return fmt.Errorf("%w: hash %d of level %d is not the node of hashes %d and %d of level %d", ErrDamaged, i, k, 2*i, 2*i+1, k-1)
		}
	}
	return nil
}

// Size returns the number of leaves appended.
func (t *StoredTree) Size() uint64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.size
}

// Root returns the root hash of the whole tree, as Tree.Root.
func (t *StoredTree) Root() (Hash, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return subtree(t, 0, t.size)
}

// RootAt returns the root of the tree of the first size leaves, as
// Tree.RootAt.
func (t *StoredTree) RootAt(size uint64) (Hash, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if size > t.size {
		return Hash{}, fmt.Errorf("%w: root at size %d of a tree of %d leaves", ErrOutOfRange, size, t.size)
	}
	return subtree(t, 0, size)
}

// RangeRoot returns the Merkle Tree Hash of the leaves [start, end), as
// Tree.RangeRoot.
func (t *StoredTree) RangeRoot(start, end uint64) (Hash, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if start > end || end > t.size {
		return Hash{}, fmt.Errorf("%w: leaves %d to %d of a tree of %d leaves", ErrOutOfRange, start, end, t.size)
	}
	return subtree(t, start, end-start)
}

// InclusionProof returns the audit path of leaf index in the tree of the
// first size leaves, as Tree.InclusionProof.
func (t *StoredTree) InclusionProof(index, size uint64) ([]Hash, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if size > t.size {
		return nil, fmt.Errorf("%w: inclusion proof in a tree of %d leaves, but the tree has %d", ErrOutOfRange, size, t.size)
	}
	if index >= size {
		return nil, fmt.Errorf("%w: inclusion proof of leaf %d in a tree of %d leaves", ErrOutOfRange, index, size)
	}
	return path(t, index, 0, size, make([]Hash, 0, bits.Len64(size)))
}

// ConsistencyProof returns the proof that the tree of the first newSize
// leaves extends the tree of the first oldSize leaves, as
// Tree.ConsistencyProof.
func (t *StoredTree) ConsistencyProof(oldSize, newSize uint64) ([]Hash, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if newSize > t.size {
		return nil, fmt.Errorf("%w: consistency proof to a tree of %d leaves, but the tree has %d", ErrOutOfRange, newSize, t.size)
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

// MemStore is a Store in memory: about 64 bytes a leaf, as Tree.
type MemStore struct {
	mu     sync.RWMutex
	levels [][]Hash
}

// Append implements Store.
func (m *MemStore) Append(k int, h Hash) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for len(m.levels) <= k {
		m.levels = append(m.levels, nil)
	}
	m.levels[k] = append(m.levels[k], h)
	return nil
}

// Get implements Store.
func (m *MemStore) Get(k int, i uint64) (Hash, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if k >= len(m.levels) || i >= uint64(len(m.levels[k])) {
		return Hash{}, fmt.Errorf("%w: hash %d of level %d, which holds %d", ErrOutOfRange, i, k, m.len(k))
	}
	return m.levels[k][i], nil
}

func (m *MemStore) len(k int) int {
	if k >= len(m.levels) {
		return 0
	}
	return len(m.levels[k])
}
