package merkle

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Hash is a SHA-256 digest: a leaf hash, a node hash or a root. Its text
// form is 64 lower-case hex digits.
type Hash [32]byte

// Domain-separation prefixes of RFC 9162 §2.1.1: leaves and interior nodes
// hash different first bytes, so a leaf can never pass for a node.
const (
	leafPrefix = 0x00
	nodePrefix = 0x01
)

// emptyRoot is the root of the empty tree, SHA-256 of the empty string.
var emptyRoot = Hash(sha256.Sum256(nil))

// LeafHash returns the hash of a leaf whose data is data:
// SHA-256(0x00 || data). For a ledger event the data is the 32 raw bytes of
// the event's hash (not its hex form).
func LeafHash(data []byte) Hash {
	h := sha256.New()
	h.Write([]byte{leafPrefix})
	h.Write(data)
	var out Hash
	h.Sum(out[:0])
	return out
}

// NodeHash returns the hash of an interior node whose children hash to left
// and right: SHA-256(0x01 || left || right).
func NodeHash(left, right Hash) Hash {
	var b [1 + 2*len(Hash{})]byte
	b[0] = nodePrefix
	copy(b[1:], left[:])
	copy(b[1+len(left):], right[:])
	return sha256.Sum256(b[:])
}

// String returns h as 64 lower-case hex digits.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// ParseHash parses 64 hex digits (either case) into a Hash. Anything else
// returns an error wrapping ErrInvalidEncoding.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if err := h.UnmarshalText([]byte(s)); err != nil {
		return Hash{}, err
	}
	return h, nil
}

// MarshalText returns h as 64 lower-case hex digits; it never fails.
func (h Hash) MarshalText() ([]byte, error) {
	b := make([]byte, hex.EncodedLen(len(h)))
	hex.Encode(b, h[:])
	return b, nil
}

// UnmarshalText sets h from 64 hex digits (either case). Anything else
// returns an error wrapping ErrInvalidEncoding and leaves h unchanged.
func (h *Hash) UnmarshalText(b []byte) error {
	var v Hash
	if len(b) != hex.EncodedLen(len(v)) {
		return fmt.Errorf("%w: hash %q is %d characters, want 64 hex digits", ErrInvalidEncoding, clip(b), len(b))
	}
	if _, err := hex.Decode(v[:], b); err != nil {
		return fmt.Errorf("%w: hash %q is not 64 hex digits: %v", ErrInvalidEncoding, clip(b), err)
	}
	*h = v
	return nil
}

// clip shortens b for an error message.
func clip(b []byte) string {
	const max = 80
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}
