// Package merkle is a Merkle tree over an append-only log of leaves, in the
// manner of Certificate Transparency (RFC 6962 §2.1, RFC 9162 §2.1). The
// ledger uses it to prove that its stream was not altered: the leaves are the
// events' hashes in stream-sequence order, so a signed root commits to the
// whole history up to a size, an inclusion proof shows that one event is in
// it at its position, and a consistency proof shows that a later root only
// appended to an earlier one.
//
// Hashes follow RFC 9162 exactly: a leaf is SHA-256(0x00 || data), an
// interior node SHA-256(0x01 || left || right), the empty tree SHA-256 of the
// empty string, and a tree of n > 1 leaves is split at the largest power of
// two smaller than n. Proofs are the RFC's audit paths and consistency
// proofs, in its order, so any RFC 9162 verifier checks them. The one
// addition is a consistency proof from the empty tree (old size 0), which
// the RFC leaves undefined: see [VerifyConsistency].
//
// Tree keeps every hash in memory, about 64 bytes a leaf. StoredTree is the
// same tree with its hashes in a Store and only its frontier in memory;
// FileStore keeps them in one file a level, so that a projector's tree of
// ten million leaves costs kilobytes of memory, not 640 MB.
//
// The package imports only the standard library; FileStore is its one use
// of the disk. docs/MERKLE.md describes the tree and how to check a proof
// by hand.
package merkle
