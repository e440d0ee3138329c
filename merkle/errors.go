package merkle

import "errors"

// Errors returned by the package, always wrapped with what was wrong; test
// for them with errors.Is. Any non-nil error from a Verify function means
// the proof was not verified.
var (
	// ErrOutOfRange: a leaf index or tree size lies outside what the call
	// allows (an index at or past the tree size, a size larger than the tree,
	// an old size larger than the new).
	ErrOutOfRange = errors.New("merkle: out of range")

	// ErrProofSize: a proof has more or fewer hashes than the RFC 9162
	// algorithm consumes for its index and sizes.
	ErrProofSize = errors.New("merkle: wrong proof size")

	// ErrRootMismatch: the root computed from a proof differs from the root
	// the caller gave, or a root is not the one the sizes require.
	ErrRootMismatch = errors.New("merkle: root mismatch")

	// ErrDamaged: a stored tree's hashes do not agree with each other
	// (StoredTree.CheckEnds).
	ErrDamaged = errors.New("merkle: the stored hashes do not agree")

	// ErrInvalidEncoding: a hash or a serialised tree could not be decoded.
	ErrInvalidEncoding = errors.New("merkle: invalid encoding")
)
