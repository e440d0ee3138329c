package merkle

import "fmt"

// VerifyInclusion checks, by the algorithm of RFC 9162 §2.1.3.2, that proof
// is the audit path of leaf at position index in a tree of size leaves
// whose root is root. leaf is the leaf hash, LeafHash(data), not the data.
// It returns nil only when the proof holds; otherwise the error says which
// check failed:
//   - ErrOutOfRange: index is not below size;
//   - ErrProofSize: proof has more or fewer hashes than a path from leaf
//     index to the root of a tree of size leaves;
//   - ErrRootMismatch: the path folds to a root other than root.
func VerifyInclusion(leaf Hash, index, size uint64, proof []Hash, root Hash) error {
	if index >= size {
		return fmt.Errorf("%w: leaf index %d is not below tree size %d", ErrOutOfRange, index, size)
	}
	if want := inclusionLen(index, size); len(proof) != want {
		return fmt.Errorf("%w: inclusion proof of leaf %d in a tree of %d leaves has %d hashes, want %d",
			ErrProofSize, index, size, len(proof), want)
	}
	// RFC 9162 §2.1.3.2, steps 2 to 5. fn is the node's index at the
	// current level, sn the index of the last node of that level.
	fn, sn := index, size-1
	r := leaf
	for _, p := range proof {
		if sn == 0 { // unreachable: the length was checked above
			return fmt.Errorf("%w: inclusion proof of leaf %d in a tree of %d leaves is too long", ErrProofSize, index, size)
		}
		if fn&1 == 1 || fn == sn {
			// The node is a right child, or the last node of its level
			// (then it rises unpaired until it becomes a right child).
			r = NodeHash(p, r)
			if fn&1 == 0 {
				fn, sn = shiftWhileEven(fn, sn)
			}
		} else {
			r = NodeHash(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 { // unreachable: the length was checked above
		return fmt.Errorf("%w: inclusion proof of leaf %d in a tree of %d leaves is too short", ErrProofSize, index, size)
	}
	if r != root {
		return fmt.Errorf("%w: inclusion proof of leaf %d in a tree of %d leaves gives root %s, not the given root %s",
			ErrRootMismatch, index, size, r, root)
	}
	return nil
}

// inclusionLen returns the number of hashes the loop of RFC 9162 §2.1.3.2
// consumes for leaf index of size leaves: the length of a valid proof.
func inclusionLen(index, size uint64) int {
	n := 0
	for fn, sn := index, size-1; sn != 0; n++ {
		if fn&1 == 0 && fn == sn {
			fn, sn = shiftWhileEven(fn, sn)
		}
		fn >>= 1
		sn >>= 1
	}
	return n
}

// VerifyConsistency checks, by the algorithm of RFC 9162 §2.1.4.2, that
// proof shows the tree of newSize leaves whose root is newRoot to extend the
// tree of oldSize leaves whose root is oldRoot: the older tree's leaves are
// the first oldSize leaves of the newer. It returns nil only when the proof
// holds. The RFC defines proofs for 0 < oldSize < newSize; this function
// also accepts:
//   - oldSize == newSize: the proof must be empty and the roots equal;
//   - oldSize == 0: the empty tree is a prefix of every tree, so the proof
//     must be empty and oldRoot the empty tree's root, SHA-256 of the empty
//     string; newRoot is then not constrained, except that a newSize of 0
//     requires it to be the empty root as well.
//
// Otherwise the error says which check failed:
//   - ErrOutOfRange: oldSize is larger than newSize;
//   - ErrProofSize: proof has more or fewer hashes than the algorithm
//     consumes for these sizes (one hash at least when oldSize < newSize);
//   - ErrRootMismatch: the proof folds to an old root other than oldRoot
//     or a new root other than newRoot (the message says which).
func VerifyConsistency(oldSize, newSize uint64, oldRoot, newRoot Hash, proof []Hash) error {
	if oldSize > newSize {
		return fmt.Errorf("%w: consistency from %d leaves to fewer, %d", ErrOutOfRange, oldSize, newSize)
	}
	if oldSize == 0 || oldSize == newSize {
		if len(proof) != 0 {
			return fmt.Errorf("%w: consistency proof from %d to %d leaves has %d hashes, want none",
				ErrProofSize, oldSize, newSize, len(proof))
		}
		if oldSize == 0 && oldRoot != emptyRoot {
			return fmt.Errorf("%w: old root %s is not the root of the empty tree, %s", ErrRootMismatch, oldRoot, emptyRoot)
		}
		if oldSize == newSize && oldRoot != newRoot {
			return fmt.Errorf("%w: old root %s and new root %s of trees of the same size %d differ",
				ErrRootMismatch, oldRoot, newRoot, oldSize)
		}
		return nil
	}
	if want := consistencyLen(oldSize, newSize); len(proof) != want {
		return fmt.Errorf("%w: consistency proof from %d to %d leaves has %d hashes, want %d",
			ErrProofSize, oldSize, newSize, len(proof), want)
	}

	// RFC 9162 §2.1.4.2. Step 1 (an empty proof fails) is covered by the
	// length check. Step 2: if oldSize is a power of two, the old tree is a
	// perfect subtree of the new one and its root starts the path.
	path := proof
	if oldSize&(oldSize-1) == 0 {
		path = make([]Hash, 0, len(proof)+1)
		path = append(path, oldRoot)
		path = append(path, proof...)
	}
	// Steps 3 and 4: fn and sn index the last nodes of the old and new trees
	// at the level of the first path hash: the largest perfect subtree that
	// ends the old tree.
	fn, sn := oldSize-1, newSize-1
	for fn&1 == 1 {
		fn >>= 1
		sn >>= 1
	}
	// Step 5.
	fr, sr := path[0], path[0]
	// Step 6.
	for _, c := range path[1:] {
		if sn == 0 { // unreachable: the length was checked above
			return fmt.Errorf("%w: consistency proof from %d to %d leaves is too long", ErrProofSize, oldSize, newSize)
		}
		if fn&1 == 1 || fn == sn {
			fr = NodeHash(c, fr)
			sr = NodeHash(c, sr)
			if fn&1 == 0 {
				fn, sn = shiftWhileEven(fn, sn)
			}
		} else {
			sr = NodeHash(sr, c)
		}
		fn >>= 1
		sn >>= 1
	}
	// Step 7.
	if sn != 0 { // unreachable: the length was checked above
		return fmt.Errorf("%w: consistency proof from %d to %d leaves is too short", ErrProofSize, oldSize, newSize)
	}
	if fr != oldRoot {
		return fmt.Errorf("%w: consistency proof from %d to %d leaves gives old root %s, not the given old root %s",
			ErrRootMismatch, oldSize, newSize, fr, oldRoot)
	}
	if sr != newRoot {
		return fmt.Errorf("%w: consistency proof from %d to %d leaves gives new root %s, not the given new root %s",
			ErrRootMismatch, oldSize, newSize, sr, newRoot)
	}
	return nil
}

// consistencyLen returns the number of hashes in a valid consistency proof
// from oldSize to newSize leaves, 0 < oldSize < newSize: the hashes the loop
// of RFC 9162 §2.1.4.2 consumes, plus the first one unless oldSize is a
// power of two (then the old root stands in for it).
func consistencyLen(oldSize, newSize uint64) int {
	fn, sn := oldSize-1, newSize-1
	for fn&1 == 1 {
		fn >>= 1
		sn >>= 1
	}
	n := 0
	for ; sn != 0; n++ {
		if fn&1 == 0 && fn == sn {
			fn, sn = shiftWhileEven(fn, sn)
		}
		fn >>= 1
		sn >>= 1
	}
	if oldSize&(oldSize-1) != 0 {
		n++
	}
	return n
}

// shiftWhileEven right-shifts fn and sn equally until fn is odd or 0, as
// RFC 9162 §2.1.3.2 and §2.1.4.2 do when a node rises unpaired.
func shiftWhileEven(fn, sn uint64) (uint64, uint64) {
	for fn&1 == 0 && fn != 0 {
		fn >>= 1
		sn >>= 1
	}
	return fn, sn
}
