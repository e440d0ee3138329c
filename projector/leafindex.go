package projector

import (
	"hash/maphash"
	"slices"
	"sort"

	"github.com/lexledger/lexledger/events"
)

// leafIndex finds the Merkle leaf of an applied event from its id, for
// inclusion proofs, with about 8 bytes of memory an event and a few dozen
// an act (issue 15; docs/DESIGN.md, Memory at scale). It keeps no id.
//
// An id is found in two steps, both checked against the projection, which
// holds each event's id and sequence in its act's records:
//
//   - The id's act: a table of 8-byte entries, a 32-bit fingerprint of the
//     id and the number of its act, sorted in runs. A fingerprint may
//     name several acts (ids that collide, or one id used in two acts);
//     the caller looks the id up in each (projections.Projection.Find)
//     and keeps the latest, as a map by id kept the last one.
//   - Its leaf, from its stream sequence: the tree has one leaf for each
//     message applied, event or defect, in stream order, so a leaf
//     follows from its sequence wherever the sequences run on without a
//     hole. A hole (messages deleted from the stream, or a stream that
//     starts after sequence 1) starts a new run: spans holds one entry a
//     run, none an event.
//
// The alternatives weighed (docs/DESIGN.md, Memory at scale): a map from
// id to sequence still costs 24 bytes a slot and the map's growth; a file
// of ids beside the tree's costs a disk read a proof and a second file to
// keep in step with the tree, for the 8 bytes that stay here. A proof
// costs a binary search a run of the table (a dozen runs at a million
// events: 2.8 µs, BenchmarkLeafIndex), and a read of the act's records.
type leafIndex struct {
	seed maphash.Seed
	// runs are sorted runs of entries (fingerprint<<32 | act number), each
	// at least twice as long as the next, so that n entries take
	// O(log n) runs and each is merged O(log n) times.
	runs [][]uint64
	tail []uint64 // the latest entries, unsorted: at most tailMax
	acts []events.ActID
	num  map[events.ActID]uint32 // act -> its number, an index in acts
	// spans are the runs of consecutive sequences, in tree order: leaf
	// spans[i].leaf is at sequence spans[i].seq, and each leaf after it,
	// up to the next span's, at the next sequence.
	spans []span
	next  span // the leaf and sequence the next leaf has if no hole
}

type span struct{ leaf, seq uint64 }

// tailMax is how many entries are added before they are sorted into a
// run: a lookup scans at most as many.
const tailMax = 1024

func newLeafIndex() *leafIndex {
	return &leafIndex{seed: maphash.MakeSeed(), num: map[events.ActID]uint32{}}
}

// fingerprint is 32 bits of a keyed hash of id: the key, random for each
// process, keeps ids chosen by clients from colliding on purpose.
func (x *leafIndex) fingerprint(id events.ID) uint64 {
	return maphash.Bytes(x.seed, id[:]) >> 32
}

// leaf notes that leaf is the message at stream sequence seq. Leaves come
// in order, each once.
func (x *leafIndex) leaf(leaf, seq uint64) {
	if leaf != x.next.leaf || seq != x.next.seq || len(x.spans) == 0 {
		x.spans = append(x.spans, span{leaf, seq})
	}
	x.next = span{leaf + 1, seq + 1}
}

// event notes the event id of act; act must be the projection's own
// string (SharedActID), which the index shares.
func (x *leafIndex) event(id events.ID, act events.ActID) {
	n, ok := x.num[act]
	if !ok {
		n = uint32(len(x.acts))
		x.acts = append(x.acts, act)
		x.num[act] = n
	}
	x.tail = append(x.tail, x.fingerprint(id)<<32|uint64(n))
	if len(x.tail) < tailMax {
		return
	}
	run := slices.Clone(x.tail)
	slices.Sort(run)
	x.tail = x.tail[:0]
	for len(x.runs) > 0 && len(x.runs[len(x.runs)-1]) <= 2*len(run) {
		last := x.runs[len(x.runs)-1]
		x.runs = x.runs[:len(x.runs)-1]
		run = merge(last, run)
	}
	x.runs = append(x.runs, run)
}

// merge returns the sorted union of a and b, in a slice of its own.
func merge(a, b []uint64) []uint64 {
	out := make([]uint64, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if a[i] <= b[j] {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// actsOf returns the acts that may hold event id: every act of an event
// whose id has id's fingerprint, each once.
func (x *leafIndex) actsOf(id events.ID) []events.ActID {
	fp := x.fingerprint(id)
	var nums []uint32
	for _, run := range x.runs {
		i, _ := slices.BinarySearch(run, fp<<32)
		for ; i < len(run) && run[i]>>32 == fp; i++ {
			nums = append(nums, uint32(run[i]))
		}
	}
	for _, e := range x.tail {
		if e>>32 == fp {
			nums = append(nums, uint32(e))
		}
	}
	slices.Sort(nums)
	nums = slices.Compact(nums)
	acts := make([]events.ActID, len(nums))
	for i, n := range nums {
		acts[i] = x.acts[n]
	}
	return acts
}

// leafOf returns the leaf of the message at stream sequence seq, and
// false when no leaf is at seq.
func (x *leafIndex) leafOf(seq uint64) (uint64, bool) {
	// The span of seq is the last that starts at or before it.
	i := sort.Search(len(x.spans), func(i int) bool { return x.spans[i].seq > seq }) - 1
	if i < 0 {
		return 0, false
	}
	leaf := x.spans[i].leaf + (seq - x.spans[i].seq)
	end := x.next.leaf // the leaf after the last span's
	if i+1 < len(x.spans) {
		end = x.spans[i+1].leaf
	}
	return leaf, leaf < end
}
