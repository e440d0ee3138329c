package merkle_test

import (
	"crypto/sha256"

	"github.com/lexledger/lexledger/merkle"
)

// The reference implementation: RFC 6962 §2.1 and §2.1.1-2 written as the
// RFC states them, recursively over a slice of leaf hashes, with its own
// SHA-256 calls so that it shares nothing with the package but the Hash type.

func refLeaf(data []byte) merkle.Hash {
	return sha256.Sum256(append([]byte{0x00}, data...))
}

func refNode(l, r merkle.Hash) merkle.Hash {
	b := append([]byte{0x01}, l[:]...)
	return sha256.Sum256(append(b, r[:]...))
}

// refSplit returns the largest power of two smaller than n, n > 1.
func refSplit(n int) int {
	k := 1
	for k*2 < n {
		k *= 2
	}
	return k
}

// refRoot is MTH(D[n]).
func refRoot(d []merkle.Hash) merkle.Hash {
	switch len(d) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return d[0]
	}
	k := refSplit(len(d))
	return refNode(refRoot(d[:k]), refRoot(d[k:]))
}

// refPath is PATH(m, D[n]).
func refPath(m int, d []merkle.Hash) []merkle.Hash {
	if len(d) <= 1 {
		return nil
	}
	k := refSplit(len(d))
	if m < k {
		return append(refPath(m, d[:k]), refRoot(d[k:]))
	}
	return append(refPath(m-k, d[k:]), refRoot(d[:k]))
}

// refProof is PROOF(m, D[n]) = SUBPROOF(m, D[n], true).
func refProof(m int, d []merkle.Hash) []merkle.Hash { return refSubproof(m, d, true) }

func refSubproof(m int, d []merkle.Hash, b bool) []merkle.Hash {
	if m == len(d) {
		if b {
			return nil
		}
		return []merkle.Hash{refRoot(d)}
	}
	k := refSplit(len(d))
	if m <= k {
		return append(refSubproof(m, d[:k], b), refRoot(d[k:]))
	}
	return append(refSubproof(m-k, d[k:], false), refRoot(d[:k]))
}
