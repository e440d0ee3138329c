package merkle_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/lexledger/lexledger/merkle"
)

// testLeaves returns n distinct leaf hashes: leaf i hashes i as 8 bytes.
func testLeaves(n int) []merkle.Hash {
	leaves := make([]merkle.Hash, n)
	for i := range leaves {
		leaves[i] = refLeaf(binary.BigEndian.AppendUint64(nil, uint64(i)))
	}
	return leaves
}

// MustTree returns a tree of the given leaf hashes.
func MustTree(tb testing.TB, leaves []merkle.Hash) *merkle.Tree {
	tb.Helper()
	var t merkle.Tree
	for _, l := range leaves {
		t.Append(l)
	}
	if got, want := t.Size(), uint64(len(leaves)); got != want {
		tb.Fatalf("a tree of %d appended leaves has size %d", want, got)
	}
	return &t
}

func newRand() *rand.Rand { return rand.New(rand.NewPCG(6962, 9162)) }

// flip returns h with one bit changed.
func flip(h merkle.Hash) merkle.Hash {
	h[len(h)-1] ^= 1
	return h
}

var emptyRoot = merkle.Hash(sha256.Sum256(nil))

func TestHashes(t *testing.T) {
	t.Run("EmptyTree", func(t *testing.T) {
		var tree merkle.Tree
		want := "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
		if got := tree.Root().String(); got != want {
			t.Errorf("the empty tree's root is %s, want SHA-256 of the empty string %s", got, want)
		}
		if got, err := tree.RootAt(0); err != nil || got.String() != want {
			t.Errorf("RootAt(0) of the empty tree is %s, %v; want %s", got, err, want)
		}
	})
	t.Run("LeafHash", func(t *testing.T) {
		// SHA-256 of the single byte 0x00: the leaf hash of empty data.
		want := "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
		if got := merkle.LeafHash(nil).String(); got != want {
			t.Errorf("LeafHash(empty) is %s, want %s", got, want)
		}
		for _, data := range []string{"", "a", "\x00", strings.Repeat("x", 1000)} {
			if got, want := merkle.LeafHash([]byte(data)), refLeaf([]byte(data)); got != want {
				t.Errorf("LeafHash(%q) is %s, want SHA-256(0x00 || data) %s", data, got, want)
			}
		}
	})
	t.Run("NodeHash", func(t *testing.T) {
		l, r := refLeaf([]byte("left")), refLeaf([]byte("right"))
		if got, want := merkle.NodeHash(l, r), refNode(l, r); got != want {
			t.Errorf("NodeHash is %s, want SHA-256(0x01 || left || right) %s", got, want)
		}
		if merkle.NodeHash(l, r) == merkle.NodeHash(r, l) {
			t.Error("NodeHash(l, r) equals NodeHash(r, l): order must matter")
		}
	})
	t.Run("OneLeaf", func(t *testing.T) {
		leaf := merkle.LeafHash([]byte("event"))
		tree := MustTree(t, []merkle.Hash{leaf})
		if got := tree.Root(); got != leaf {
			t.Errorf("the root of a tree of one leaf is %s, want the leaf hash %s", got, leaf)
		}
	})
}

func TestHashText(t *testing.T) {
	h := merkle.LeafHash([]byte("text"))
	s := h.String()
	if len(s) != 64 || s != strings.ToLower(s) {
		t.Errorf("String() is %q, want 64 lower-case hex digits", s)
	}
	for _, in := range []string{s, strings.ToUpper(s)} {
		if got, err := merkle.ParseHash(in); err != nil || got != h {
			t.Errorf("ParseHash(%q) is %s, %v; want %s", in, got, err, h)
		}
	}
	if b, err := h.MarshalText(); err != nil || string(b) != s {
		t.Errorf("MarshalText is %q, %v; want %q", b, err, s)
	}

	type doc struct {
		Root merkle.Hash `json:"root"`
	}
	b, err := json.Marshal(doc{Root: h})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"root":"` + s + `"}`; string(b) != want {
		t.Errorf("JSON is %s, want %s", b, want)
	}
	var back doc
	if err := json.Unmarshal(b, &back); err != nil || back.Root != h {
		t.Errorf("JSON round trip gives %s, %v; want %s", back.Root, err, h)
	}

	for _, bad := range []string{"", "abc", s[:63], s + "0", "g" + s[1:], " " + s[1:]} {
		got, err := merkle.ParseHash(bad)
		if !errors.Is(err, merkle.ErrInvalidEncoding) {
			t.Errorf("ParseHash(%q) gives error %v, want ErrInvalidEncoding", bad, err)
		}
		if got != (merkle.Hash{}) {
			t.Errorf("ParseHash(%q) gives %s with its error, want the zero hash", bad, got)
		}
	}
	keep := h
	if err := keep.UnmarshalText([]byte("zz")); err == nil || keep != h {
		t.Errorf("UnmarshalText of bad text gives %v and changes the hash to %s; want an error and no change", err, keep)
	}
}

func TestRootAgainstReference(t *testing.T) {
	leaves := testLeaves(5000)
	check := func(n int) {
		t.Helper()
		tree := MustTree(t, leaves[:n])
		if got, want := tree.Root(), refRoot(leaves[:n]); got != want {
			t.Fatalf("the root of %d leaves is %s, want %s", n, got, want)
		}
	}
	for n := 0; n <= 300; n++ {
		check(n)
	}
	rng := newRand()
	for range 40 {
		check(rng.IntN(5000) + 1)
	}
	check(4096)
	check(4097)
	check(5000)
}

func TestRootAt(t *testing.T) {
	leaves := testLeaves(10000)
	tree := MustTree(t, leaves[:2048+5])
	for k := 0; k <= len(leaves[:2048+5]); k++ {
		got, err := tree.RootAt(uint64(k))
		if err != nil {
			t.Fatalf("RootAt(%d): %v", k, err)
		}
		if want := refRoot(leaves[:k]); got != want {
			t.Fatalf("RootAt(%d) is %s, want the root of the first %d leaves %s", k, got, k, want)
		}
	}
	big := MustTree(t, leaves)
	rng := newRand()
	for range 40 {
		k := rng.IntN(len(leaves) + 1)
		if got, err := big.RootAt(uint64(k)); err != nil || got != refRoot(leaves[:k]) {
			t.Fatalf("RootAt(%d) of a tree of %d leaves is %s, %v; want %s", k, len(leaves), got, err, refRoot(leaves[:k]))
		}
	}
	if got, err := big.RootAt(uint64(len(leaves))); err != nil || got != big.Root() {
		t.Errorf("RootAt(Size()) is %s, %v; want Root() %s", got, err, big.Root())
	}
	if _, err := big.RootAt(uint64(len(leaves)) + 1); !errors.Is(err, merkle.ErrOutOfRange) {
		t.Errorf("RootAt(Size()+1) gives error %v, want ErrOutOfRange", err)
	}
}

// The Certificate Transparency test vectors (the C++ and Go CT
// implementations' merkle tree tests): eight leaves, the roots of every
// prefix, and some audit paths and consistency proofs.
var (
	ctLeaves = []string{
		"",
		"\x00",
		"\x10",
		"\x20\x21",
		"\x30\x31",
		"\x40\x41\x42\x43",
		"\x50\x51\x52\x53\x54\x55\x56\x57",
		"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
	}
	ctRoots = []string{
		"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
		"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
		"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
		"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	}
	ctInclusion = []struct {
		index, size uint64
		path        []string
	}{
		{0, 1, nil},
		{0, 8, []string{
			"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
		}},
		{5, 8, []string{
			"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
			"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
			"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		}},
		{2, 3, []string{
			"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		}},
		{1, 5, []string{
			"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
		}},
	}
	ctConsistency = []struct {
		oldSize, newSize uint64
		proof            []string
	}{
		{1, 1, nil},
		{1, 8, []string{
			"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
		}},
		{6, 8, []string{
			"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
			"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
			"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		}},
		{2, 5, []string{
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
		}},
	}
)

func mustHashes(tb testing.TB, hexes []string) []merkle.Hash {
	tb.Helper()
	out := make([]merkle.Hash, 0, len(hexes))
	for _, s := range hexes {
		h, err := merkle.ParseHash(s)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, h)
	}
	return out
}

func ctTree(tb testing.TB) *merkle.Tree {
	tb.Helper()
	var tree merkle.Tree
	for _, d := range ctLeaves {
		tree.Append(merkle.LeafHash([]byte(d)))
	}
	return &tree
}

func TestCTVectors(t *testing.T) {
	tree := ctTree(t)
	if got, want := tree.Root().String(), "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"; got != want {
		t.Fatalf("the root of the 8 CT test leaves is %s, want %s", got, want)
	}
	t.Run("Roots", func(t *testing.T) {
		for i, want := range ctRoots {
			got, err := tree.RootAt(uint64(i + 1))
			if err != nil || got.String() != want {
				t.Errorf("the root of the first %d CT leaves is %s, %v; want %s", i+1, got, err, want)
			}
		}
	})
	t.Run("Inclusion", func(t *testing.T) {
		for _, tc := range ctInclusion {
			want := mustHashes(t, tc.path)
			got, err := tree.InclusionProof(tc.index, tc.size)
			if err != nil {
				t.Fatalf("InclusionProof(%d, %d): %v", tc.index, tc.size, err)
			}
			if !equalHashes(got, want) {
				t.Errorf("the audit path of leaf %d of %d is %v, want %v", tc.index, tc.size, got, want)
			}
			root := mustHashes(t, ctRoots[tc.size-1:tc.size])[0]
			leaf := merkle.LeafHash([]byte(ctLeaves[tc.index]))
			if err := merkle.VerifyInclusion(leaf, tc.index, tc.size, want, root); err != nil {
				t.Errorf("the CT audit path of leaf %d of %d does not verify: %v", tc.index, tc.size, err)
			}
		}
	})
	t.Run("Consistency", func(t *testing.T) {
		for _, tc := range ctConsistency {
			want := mustHashes(t, tc.proof)
			got, err := tree.ConsistencyProof(tc.oldSize, tc.newSize)
			if err != nil {
				t.Fatalf("ConsistencyProof(%d, %d): %v", tc.oldSize, tc.newSize, err)
			}
			if !equalHashes(got, want) {
				t.Errorf("the consistency proof from %d to %d is %v, want %v", tc.oldSize, tc.newSize, got, want)
			}
			oldRoot := mustHashes(t, ctRoots[tc.oldSize-1:tc.oldSize])[0]
			newRoot := mustHashes(t, ctRoots[tc.newSize-1:tc.newSize])[0]
			if err := merkle.VerifyConsistency(tc.oldSize, tc.newSize, oldRoot, newRoot, want); err != nil {
				t.Errorf("the CT consistency proof from %d to %d does not verify: %v", tc.oldSize, tc.newSize, err)
			}
		}
	})
}

func equalHashes(a, b []merkle.Hash) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestMarshalBinary(t *testing.T) {
	leaves := testLeaves(1100)
	for _, n := range []int{0, 1, 2, 3, 7, 8, 9, 1000} {
		tree := MustTree(t, leaves[:n])
		data, err := tree.MarshalBinary()
		if err != nil {
			t.Fatalf("MarshalBinary of %d leaves: %v", n, err)
		}
		if got, want := len(data), 13+32*(n+1); got != want {
			t.Errorf("a tree of %d leaves encodes to %d bytes, want %d", n, got, want)
		}
		var back merkle.Tree
		back.Append(leaves[1099]) // replaced by the load
		if err := back.UnmarshalBinary(data); err != nil {
			t.Fatalf("UnmarshalBinary of %d leaves: %v", n, err)
		}
		if back.Size() != tree.Size() || back.Root() != tree.Root() {
			t.Fatalf("a loaded tree has size %d root %s, want size %d root %s", back.Size(), back.Root(), tree.Size(), tree.Root())
		}
		for m := uint64(0); m <= uint64(n); m += 1 + uint64(n)/20 {
			a, _ := tree.RootAt(m)
			b, _ := back.RootAt(m)
			pa, _ := tree.ConsistencyProof(m, uint64(n))
			pb, _ := back.ConsistencyProof(m, uint64(n))
			if a != b || !equalHashes(pa, pb) {
				t.Fatalf("a loaded tree of %d leaves differs from the original at size %d", n, m)
			}
			if m < uint64(n) {
				ia, _ := tree.InclusionProof(m, uint64(n))
				ib, _ := back.InclusionProof(m, uint64(n))
				if !equalHashes(ia, ib) {
					t.Fatalf("a loaded tree of %d leaves gives another audit path for leaf %d", n, m)
				}
			}
		}
		// The rebuilt levels must keep working as more leaves come.
		for _, l := range leaves[n : n+100] {
			tree.Append(l)
			back.Append(l)
		}
		if back.Root() != tree.Root() || back.Root() != refRoot(leaves[:n+100]) {
			t.Fatalf("after loading %d leaves and appending 100, the root is %s, want %s", n, back.Root(), tree.Root())
		}
	}
}

func TestUnmarshalBinaryRefuses(t *testing.T) {
	good, err := MustTree(t, testLeaves(5)).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	tests := []struct {
		name string
		data []byte
	}{
		{"Empty", nil},
		{"Short", good[:12]},
		{"Magic", edit(func(b []byte) []byte { b[0] = 'X'; return b })},
		{"Version", edit(func(b []byte) []byte { b[4] = 2; return b })},
		{"Truncated", good[:len(good)-1]},
		{"Extra", append(bytes.Clone(good), 0)},
		{"ExtraLeaf", append(bytes.Clone(good), make([]byte, 32)...)},
		{"Count", edit(func(b []byte) []byte { b[12] = 4; return b })},
		{"HugeCount", edit(func(b []byte) []byte { b[5] = 0xff; return b })},
		{"Leaf", edit(func(b []byte) []byte { b[13+32*2] ^= 1; return b })},
		{"Root", edit(func(b []byte) []byte { b[len(b)-1] ^= 1; return b })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tree := MustTree(t, testLeaves(3))
			before := tree.Root()
			if err := tree.UnmarshalBinary(tc.data); !errors.Is(err, merkle.ErrInvalidEncoding) {
				t.Errorf("UnmarshalBinary gives error %v, want ErrInvalidEncoding", err)
			}
			if tree.Size() != 3 || tree.Root() != before {
				t.Errorf("a refused UnmarshalBinary changed the tree to size %d", tree.Size())
			}
		})
	}
}

func TestOutOfRange(t *testing.T) {
	var empty merkle.Tree
	tree := MustTree(t, testLeaves(10))
	tests := []struct {
		name string
		err  error
	}{
		{"RootAtPastSize", func() error { _, err := tree.RootAt(11); return err }()},
		{"InclusionIndexAtSize", func() error { _, err := tree.InclusionProof(5, 5); return err }()},
		{"InclusionSizePastTree", func() error { _, err := tree.InclusionProof(0, 11); return err }()},
		{"InclusionEmptyTree", func() error { _, err := empty.InclusionProof(0, 0); return err }()},
		{"ConsistencyOldPastNew", func() error { _, err := tree.ConsistencyProof(6, 5); return err }()},
		{"ConsistencyNewPastTree", func() error { _, err := tree.ConsistencyProof(1, 11); return err }()},
		{"VerifyInclusionIndexAtSize", merkle.VerifyInclusion(tree.Root(), 10, 10, nil, tree.Root())},
		{"VerifyInclusionEmptyTree", merkle.VerifyInclusion(emptyRoot, 0, 0, nil, emptyRoot)},
		{"VerifyConsistencyOldPastNew", merkle.VerifyConsistency(6, 5, tree.Root(), tree.Root(), nil)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !errors.Is(tc.err, merkle.ErrOutOfRange) {
				t.Errorf("the error is %v, want ErrOutOfRange", tc.err)
			}
		})
	}
}

// TestConcurrent appends while other goroutines read roots and proofs; run
// it with -race.
func TestConcurrent(t *testing.T) {
	leaves := testLeaves(3000)
	var tree merkle.Tree
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for _, l := range leaves {
			tree.Append(l)
		}
	}()
	for g := range 4 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for range 300 {
				n := tree.Size()
				if n == 0 {
					continue
				}
				i := rng.Uint64N(n)
				root, err := tree.RootAt(n)
				if err != nil {
					t.Error(err)
					return
				}
				proof, err := tree.InclusionProof(i, n)
				if err != nil {
					t.Error(err)
					return
				}
				if err := merkle.VerifyInclusion(leaves[i], i, n, proof, root); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if got, want := tree.Root(), refRoot(leaves); got != want {
		t.Errorf("after concurrent use the root is %s, want %s", got, want)
	}
}

// TestRangeRoot checks RangeRoot against the root of a tree of the range's
// leaves alone, for every range of trees up to 20 leaves.
func TestRangeRoot(t *testing.T) {
	var whole merkle.Tree
	leaves := make([]merkle.Hash, 20)
	for i := range leaves {
		leaves[i] = merkle.LeafHash([]byte{byte(i)})
		whole.Append(leaves[i])
	}
	for start := range uint64(len(leaves) + 1) {
		for end := start; end <= uint64(len(leaves)); end++ {
			var part merkle.Tree
			for _, l := range leaves[start:end] {
				part.Append(l)
			}
			got, err := whole.RangeRoot(start, end)
			if err != nil || got != part.Root() {
				t.Fatalf("RangeRoot(%d, %d) = %s, %v; want %s", start, end, got, err, part.Root())
			}
		}
	}
	if _, err := whole.RangeRoot(3, 21); !errors.Is(err, merkle.ErrOutOfRange) {
		t.Errorf("RangeRoot beyond the tree: %v, want ErrOutOfRange", err)
	}
	if _, err := whole.RangeRoot(5, 4); !errors.Is(err, merkle.ErrOutOfRange) {
		t.Errorf("RangeRoot of a reversed range: %v, want ErrOutOfRange", err)
	}
}
