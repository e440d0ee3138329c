package merkle_test

import (
	"crypto/sha256"
	"fmt"

	"github.com/lexledger/lexledger/merkle"
)

func Example() {
	// The ledger appends each event's hash, in stream order, as a leaf.
	var tree merkle.Tree
	for _, e := range []string{"adopted", "signed", "commenced", "amended"} {
		eventHash := sha256.Sum256([]byte(e)) // stands in for an event's hash
		tree.Append(merkle.LeafHash(eventHash[:]))
	}
	size, root := tree.Size(), tree.Root() // the tree head the ledger publishes

	// Anyone holding the tree head checks that event 2 is in it.
	eventHash := sha256.Sum256([]byte("commenced"))
	proof, _ := tree.InclusionProof(2, size)
	fmt.Println(merkle.VerifyInclusion(merkle.LeafHash(eventHash[:]), 2, size, proof, root))

	// And, after more events, that the new tree head extends the old one.
	more := sha256.Sum256([]byte("repealed"))
	tree.Append(merkle.LeafHash(more[:]))
	consistency, _ := tree.ConsistencyProof(size, tree.Size())
	fmt.Println(merkle.VerifyConsistency(size, tree.Size(), root, tree.Root(), consistency))
	// Output:
	// <nil>
	// <nil>
}

// Example_byHand follows the offline procedure of docs/MERKLE.md with
// nothing but SHA-256, on the Certificate Transparency test tree: leaf 5
// (data 40 41 42 43) of 8.
func Example_byHand() {
	hash := func(parts ...[]byte) merkle.Hash {
		h := sha256.New()
		for _, p := range parts {
			h.Write(p)
		}
		return merkle.Hash(h.Sum(nil))
	}
	parse := func(s string) merkle.Hash { h, _ := merkle.ParseHash(s); return h }

	proof := []merkle.Hash{
		parse("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
		parse("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
		parse("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
	}
	root := parse("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")

	// Step 1: the leaf hash.
	r := hash([]byte{0x00}, []byte{0x40, 0x41, 0x42, 0x43})
	fmt.Println("leaf", r)
	// Step 2: fold the path.
	fn, sn := uint64(5), uint64(8-1)
	for i, p := range proof {
		if fn%2 == 1 || fn == sn {
			r = hash([]byte{0x01}, p[:], r[:]) // p is the left sibling
			for fn%2 == 0 && fn != 0 {
				fn, sn = fn/2, sn/2
			}
		} else {
			r = hash([]byte{0x01}, r[:], p[:]) // p is the right sibling
		}
		fn, sn = fn/2, sn/2
		fmt.Println("step", i+1, r)
	}
	// Step 3: compare.
	fmt.Println(sn == 0 && r == root)
	// Output:
	// leaf 4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658
	// step 1 0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a
	// step 2 6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4
	// step 3 5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328
	// true
}
