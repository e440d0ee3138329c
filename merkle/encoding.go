package merkle

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// The binary form of a Tree, version 1:
//
//	magic   "LXMT" (4 bytes)
//	version 1 (1 byte)
//	size    number of leaves n, uint64 big-endian (8 bytes)
//	leaves  n leaf hashes of 32 bytes, in order
//	root    the root of the n leaves (32 bytes)
//
// Only the leaves are stored; the levels above them are rebuilt on load, and
// the rebuilt root must match the stored one, so a damaged file is refused
// rather than silently giving other proofs.
const (
	encodingMagic   = "LXMT"
	encodingVersion = 1
	encodingHeader  = len(encodingMagic) + 1 + 8
)

// MarshalBinary returns the tree's leaves in the package's binary form
// (version 1: a 13-byte header, 32 bytes a leaf, the 32-byte root). It never
// fails.
func (t *Tree) MarshalBinary() ([]byte, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n := t.size()
	b := make([]byte, 0, encodingHeader+int(n+1)*len(Hash{}))
	b = append(b, encodingMagic...)
	b = append(b, encodingVersion)
	b = binary.BigEndian.AppendUint64(b, n)
	if n > 0 {
		for _, h := range t.levels[0] {
			b = append(b, h[:]...)
		}
	}
	root := t.subtree(0, n)
	return append(b, root[:]...), nil
}

// UnmarshalBinary replaces the tree's contents with the tree that
// MarshalBinary encoded in data, rebuilding the levels above the leaves.
// Data that is not that form (wrong magic, unknown version, a length that
// does not match the leaf count, or a stored root the leaves do not produce)
// returns an error wrapping ErrInvalidEncoding and leaves the tree
// unchanged.
func (t *Tree) UnmarshalBinary(data []byte) error {
	const hashLen = len(Hash{})
	if len(data) < encodingHeader+hashLen || !bytes.Equal(data[:len(encodingMagic)], []byte(encodingMagic)) {
		return fmt.Errorf("%w: not a serialised merkle tree", ErrInvalidEncoding)
	}
	if v := data[len(encodingMagic)]; v != encodingVersion {
		return fmt.Errorf("%w: serialised merkle tree version %d, want %d", ErrInvalidEncoding, v, encodingVersion)
	}
	n := binary.BigEndian.Uint64(data[len(encodingMagic)+1:])
	body := data[encodingHeader:]
	if rest := len(body) - hashLen; rest%hashLen != 0 || uint64(rest/hashLen) != n {
		return fmt.Errorf("%w: serialised merkle tree of %d leaves has %d bytes, want %d",
			ErrInvalidEncoding, n, len(data), uint64(encodingHeader)+(n+1)*uint64(hashLen))
	}
	levels := buildLevels(body[:len(body)-hashLen], int(n))
	built := Tree{levels: levels}
	root := built.subtree(0, n)
	if want := Hash(body[len(body)-hashLen:]); root != want {
		return fmt.Errorf("%w: serialised merkle tree's leaves give root %s, not its stored root %s",
			ErrInvalidEncoding, root, want)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.levels = levels
	return nil
}

// buildLevels returns the levels of a tree of the n leaf hashes in b, each
// level allocated at its final length.
func buildLevels(b []byte, n int) [][]Hash {
	if n == 0 {
		return nil
	}
	leaves := make([]Hash, n)
	for i := range leaves {
		leaves[i] = Hash(b[i*len(Hash{}):])
	}
	levels := [][]Hash{leaves}
	for below := leaves; len(below) >= 2; {
		level := make([]Hash, len(below)/2)
		for i := range level {
			level[i] = NodeHash(below[2*i], below[2*i+1])
		}
		levels = append(levels, level)
		below = level
	}
	return levels
}
