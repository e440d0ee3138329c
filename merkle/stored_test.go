package merkle_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/lexledger/lexledger/merkle"
)

// storeKinds are the stores every StoredTree test runs against.
var storeKinds = []struct {
	name string
	open func(tb testing.TB) merkle.Store
}{
	{"Memory", func(testing.TB) merkle.Store { return &merkle.MemStore{} }},
	{"File", func(tb testing.TB) merkle.Store { return mustFileStore(tb, tb.TempDir(), 0) }},
}

func mustFileStore(tb testing.TB, dir string, size uint64) *merkle.FileStore {
	tb.Helper()
	s, err := merkle.OpenFileStore(dir, size)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func mustAppend(tb testing.TB, t *merkle.StoredTree, leaves []merkle.Hash) {
	tb.Helper()
	for _, l := range leaves {
		if err := t.Append(l); err != nil {
			tb.Fatal(err)
		}
	}
}

// checkAgrees compares every answer of got, a StoredTree, with want, a
// Tree of the same leaves, at sizes and indexes drawn by rng.
func checkAgrees(t *testing.T, got *merkle.StoredTree, want *merkle.Tree, draws int) {
	t.Helper()
	n := want.Size()
	if got.Size() != n {
		t.Fatalf("size %d, want %d", got.Size(), n)
	}
	root, err := got.Root()
	if err != nil || root != want.Root() {
		t.Fatalf("root %s (%v), want %s", root, err, want.Root())
	}
	if n == 0 {
		return
	}
	rng := newRand()
	for range draws {
		size := 1 + rng.Uint64N(n)
		index := rng.Uint64N(size)
		old := rng.Uint64N(size + 1)
		if r, err := got.RootAt(size); err != nil || r != mustRootAt(t, want, size) {
			t.Fatalf("root at %d: %s (%v)", size, r, err)
		}
		p, err := got.InclusionProof(index, size)
		if w, _ := want.InclusionProof(index, size); err != nil || !slices.Equal(p, w) {
			t.Fatalf("inclusion proof of %d in %d: %v (%v), want %v", index, size, p, err, w)
		}
		c, err := got.ConsistencyProof(old, size)
		if w, _ := want.ConsistencyProof(old, size); err != nil || !slices.Equal(c, w) {
			t.Fatalf("consistency proof %d to %d: %v (%v), want %v", old, size, c, err, w)
		}
		r, err := got.RangeRoot(old, size)
		if w, _ := want.RangeRoot(old, size); err != nil || r != w {
			t.Fatalf("range root [%d, %d): %s (%v), want %s", old, size, r, err, w)
		}
	}
}

func mustRootAt(tb testing.TB, t *merkle.Tree, size uint64) merkle.Hash {
	tb.Helper()
	r, err := t.RootAt(size)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// TestStoredTreeAgreesWithTree grows a StoredTree over each store and
// checks, at sizes that close no subtree and sizes that close many, that
// it answers as the Tree in memory does (which the RFC's reference
// and test vectors check: merkle_test.go, proof_test.go). The file store's
// buffer fills several times, and its cached levels (1,024 leaves and up)
// are reached.
func TestStoredTreeAgreesWithTree(t *testing.T) {
	leaves := testLeaves(9000)
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			st := merkle.NewStoredTree(kind.open(t))
			var tree merkle.Tree
			for i, l := range leaves {
				if err := st.Append(l); err != nil {
					t.Fatal(err)
				}
				tree.Append(l)
				if n := i + 1; n <= 70 || n%1024 == 0 || n%1024 == 1 || n == len(leaves) {
					checkAgrees(t, st, &tree, 20)
				}
			}
			checkAgrees(t, st, &tree, 2000)
			if _, err := st.InclusionProof(9000, 9000); !errors.Is(err, merkle.ErrOutOfRange) {
				t.Errorf("a leaf past the tree: %v, want ErrOutOfRange", err)
			}
			if _, err := st.RootAt(9001); !errors.Is(err, merkle.ErrOutOfRange) {
				t.Errorf("a root past the tree: %v, want ErrOutOfRange", err)
			}
		})
	}
}

// TestFileStoreReopen writes a tree to files, closes them, and opens the
// tree again at its size and at smaller ones (a projector whose record is
// behind its tree's files after a crash): each answers as the Tree of that
// many leaves, and grows on from there to the same tree.
func TestFileStoreReopen(t *testing.T) {
	leaves := testLeaves(5000)
	full := MustTree(t, leaves)
	dir := t.TempDir()
	s, err := merkle.OpenFileStore(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, merkle.NewStoredTree(s), leaves)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, size := range []uint64{5000, 4097, 2048, 1, 0} {
		s := mustFileStore(t, dir, size)
		st, err := merkle.OpenStoredTree(s, size)
		if err != nil {
			t.Fatalf("open at %d: %v", size, err)
		}
		checkAgrees(t, st, MustTree(t, leaves[:size]), 200)
		mustAppend(t, st, leaves[size:])
		checkAgrees(t, st, full, 200)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFileStoreShort: files behind the size asked (a tree whose last
// appends never reached the disk, or a cut file) are refused with
// ErrShortStore, so that the caller builds the tree again.
func TestFileStoreShort(t *testing.T) {
	leaves := testLeaves(3000)
	dir := t.TempDir()
	s := mustFileStore(t, dir, 0)
	mustAppend(t, merkle.NewStoredTree(s), leaves)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := merkle.OpenFileStore(dir, 3001); !errors.Is(err, merkle.ErrShortStore) {
		t.Errorf("open at 3001 of 3000 leaves: %v, want ErrShortStore", err)
	}
	if err := os.Truncate(filepath.Join(dir, "level-03"), 10*32); err != nil {
		t.Fatal(err)
	}
	if _, err := merkle.OpenFileStore(dir, 3000); !errors.Is(err, merkle.ErrShortStore) {
		t.Errorf("open with level 3 cut: %v, want ErrShortStore", err)
	}
	// Small enough for the cut level, it opens.
	s = mustFileStore(t, dir, 80)
	st, err := merkle.OpenStoredTree(s, 80)
	if err != nil {
		t.Fatal(err)
	}
	checkAgrees(t, st, MustTree(t, leaves[:80]), 100)
}

// TestCheckEnds: a tree whose hashes agree passes CheckEnds at every size;
// one whose last hash of a level was changed on disk fails it with
// ErrDamaged, at the sizes whose root that hash is not part of, too.
func TestCheckEnds(t *testing.T) {
	leaves := testLeaves(1000)
	dir := t.TempDir()
	s := mustFileStore(t, dir, 0)
	mustAppend(t, merkle.NewStoredTree(s), leaves)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, size := range []uint64{0, 1, 2, 3, 512, 999, 1000} {
		st, err := merkle.OpenStoredTree(mustFileStore(t, dir, 1000), size)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.CheckEnds(); err != nil {
			t.Errorf("a tree of %d leaves as appended: %v", size, err)
		}
	}
	for _, size := range []uint64{1000, 998, 640} { // even: the last leaf is not a part of the root
		for _, k := range []int{0, 1, 2} {
			name := filepath.Join(dir, fmt.Sprintf("level-%02d", k))
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			last := (size>>k - 1) * 32
			b[last] ^= 1
			if err := os.WriteFile(name, b, 0o600); err != nil {
				t.Fatal(err)
			}
			st, err := merkle.OpenStoredTree(mustFileStore(t, dir, size), size)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.CheckEnds(); !errors.Is(err, merkle.ErrDamaged) {
				t.Errorf("a tree of %d leaves with the last hash of level %d changed: %v, want ErrDamaged", size, k, err)
			}
			b[last] ^= 1
			if err := os.WriteFile(name, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// BenchmarkStoredAppend appends a million leaves to a StoredTree over each
// store per operation, against BenchmarkAppend's Tree in memory.
func BenchmarkStoredAppend(b *testing.B) {
	leaves, _ := benchTree(b)
	for _, kind := range storeKinds {
		b.Run(kind.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				st := merkle.NewStoredTree(kind.open(b))
				b.StartTimer()
				mustAppend(b, st, leaves)
			}
			b.ReportMetric(float64(b.N)*benchLeaves/b.Elapsed().Seconds(), "leaves/s")
		})
	}
}

// BenchmarkStoredInclusionProof is BenchmarkInclusionProof over a
// StoredTree of a million leaves in files.
func BenchmarkStoredInclusionProof(b *testing.B) {
	leaves, _ := benchTree(b)
	s := mustFileStore(b, b.TempDir(), 0)
	st := merkle.NewStoredTree(s)
	mustAppend(b, st, leaves)
	if err := s.Flush(); err != nil {
		b.Fatal(err)
	}
	rng := newRand()
	b.ReportAllocs()
	for b.Loop() {
		size := benchLeaves - rng.Uint64N(1000)
		if _, err := st.InclusionProof(rng.Uint64N(size), size); err != nil {
			b.Fatal(err)
		}
	}
}
