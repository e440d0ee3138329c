package merkle

import "fmt"

// RangeRoot returns the Merkle Tree Hash of the leaves [start, end), as
// RFC 9162 §2.1.1 defines it for that list of leaves alone: for a range
// aligned on a power of two, the hash of that perfect subtree of the tree
// (a node of the tree), read without hashing. An auditor keeps such hashes
// to find later where two trees first differ. A range that is not within
// the tree returns an error wrapping ErrOutOfRange.
func (t *Tree) RangeRoot(start, end uint64) (Hash, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if n := t.size(); start > end || end > n {
		return Hash{}, fmt.Errorf("%w: leaves %d to %d of a tree of %d leaves", ErrOutOfRange, start, end, n)
	}
	return t.subtree(start, end-start), nil
}
