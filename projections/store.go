package projections

import (
	"cmp"
	"iter"
	"slices"
	"sort"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
)

// Record is one event of an act as a Store keeps it: its stream sequence,
// its id, the record time from which the act's events up to it are known
// (the running maximum of their record times, so that "known at T" is
// always a prefix of the act's events), and its encoding
// (events.AppendEncode). Data is nil for an event that does not encode,
// which the projection keeps decoded itself (record.go).
type Record struct {
	Seq       uint64
	ID        events.ID
	KnownFrom time.Time
	Data      []byte
	// Hash is the event's hash as sealed, zero for an event of schema 1:
	// a Durable store keeps it with the record's place, for Leaves.
	Hash events.Digest
}

// Leaf is what a Merkle tree of the stream needs of a record: its
// sequence, its act and index in the act's log, its id, and its hash as
// sealed (zero for an event of schema 1).
type Leaf struct {
	Seq   uint64
	Act   events.ActID
	Index int
	ID    events.ID
	Hash  events.Digest
}

// Store keeps what the projection holds per event: the records of every
// act, and the defects met (docs/DESIGN.md, Memory at scale). The
// projection keeps in memory only what it holds per act. NewMemStore
// keeps the records in memory; package pebblestore keeps them on disk.
//
// A Store is used by one projection. Its reads may run together; Append,
// AppendDefect and Commit run alone (Projection's own rule). Reads do
// not fail: a store that cannot read what it wrote panics, as memory that
// lost what was written to it would.
type Store interface {
	// Act returns the log of one act's records: empty for an act the
	// store does not hold.
	Act(id events.ActID) ActLog
	// BySeq yields every record of every act, in stream order, with its
	// act. A record's Data is valid only until the next.
	BySeq() iter.Seq2[events.ActID, Record]
	// AppendDefect keeps a defect (eventlog.Entry with Defect set).
	AppendDefect(d eventlog.Entry) error
	// Commit says that the records and defects appended so far are those
	// of the stream up to sequence lastSeq: a store that outlives its
	// projection reopens at that checkpoint (Durable).
	Commit(lastSeq uint64) error
}

// ActLog is the records of one act, in stream order.
type ActLog interface {
	// Append adds the act's next record; it keeps a copy of r.Data.
	Append(r Record) error
	// Len returns the number of records.
	Len() int
	// Records yields the records i of from <= i < to, in order. A record's
	// Data is valid only until the next.
	Records(from, to int) iter.Seq[Record]
	// KnownAt returns how many records are known at t: the number of the
	// first records whose KnownFrom is not after t.
	KnownAt(t time.Time) int
}

// Durable is a Store that keeps its records across restarts: Open
// restores a projection from it, without the stream.
type Durable interface {
	Store
	// Saved returns the sequence of the last Commit; 0 for an empty store.
	Saved() uint64
	// Acts yields the identifier of every act the store holds, in order.
	Acts() iter.Seq[events.ActID]
	// Scan yields every record of every act, act by act in identifier
	// order and each act's in order, in one pass: Open's read. A record's
	// Data is valid only until the next.
	Scan() iter.Seq2[events.ActID, Record]
	// Log returns the log of act id, which Scan found to hold n records:
	// Act without looking for its length.
	Log(id events.ActID, n int) ActLog
	// PutSummary keeps an act's summary (summary.go), written with the
	// next Commit; Summaries yields them, in identifier order, each valid
	// only until the next.
	PutSummary(act events.ActID, data []byte) error
	Summaries() iter.Seq2[events.ActID, []byte]
	// CommitSummaries is Commit, and says that every act's summary now
	// covers all its records; SummarizedAt returns the lastSeq of the
	// last such commit (0 for none): the acts of the records after it
	// are those whose summaries are behind.
	CommitSummaries(lastSeq uint64) error
	SummarizedAt() uint64
	// Leaves yields the Leaf of every record at sequence from or later,
	// in stream order, without reading the records themselves.
	Leaves(from uint64) iter.Seq[Leaf]
	// Defects yields the defects kept, in stream order.
	Defects() iter.Seq2[eventlog.Entry, error]
	// Reset empties the store, for a projection rebuilt from the start.
	Reset() error
}

// memStore is the Store in memory: each act's records in slices.
type memStore struct {
	acts    []*memLog
	defects []eventlog.Entry
}

// NewMemStore returns an empty Store that keeps its records in memory:
// about 600 bytes an event at the shape of `ledger gen` (BENCHMARKS.md,
// Memory per event). It is for tests and small ledgers.
func NewMemStore() Store { return &memStore{} }

var _ Store = (*memStore)(nil)

func (s *memStore) Act(id events.ActID) ActLog {
	l := &memLog{act: id}
	s.acts = append(s.acts, l)
	return l
}

func (s *memStore) AppendDefect(d eventlog.Entry) error {
	s.defects = append(s.defects, d)
	return nil
}

func (s *memStore) Commit(uint64) error { return nil }

func (s *memStore) BySeq() iter.Seq2[events.ActID, Record] {
	return func(yield func(events.ActID, Record) bool) {
		type ref struct {
			l *memLog
			i int
		}
		n := 0
		for _, l := range s.acts {
			n += len(l.records)
		}
		all := make([]ref, 0, n)
		for _, l := range s.acts {
			for i := range l.records {
				all = append(all, ref{l, i})
			}
		}
		slices.SortFunc(all, func(a, b ref) int { return cmp.Compare(a.l.records[a.i].seq, b.l.records[b.i].seq) })
		for _, r := range all {
			if !yield(r.l.act, r.l.at(r.i)) {
				return
			}
		}
	}
}

// memLog is one act's records in memory.
type memLog struct {
	act     events.ActID
	records []record
	// knownFrom[i] is records[i]'s KnownFrom.
	knownFrom []time.Time
}

// record is a Record in memory, without its KnownFrom, which memLog keeps
// apart: a sequence, an id and the bytes.
type record struct {
	seq  uint64
	id   events.ID
	data []byte
}

func (l *memLog) Append(r Record) error {
	var data []byte
	if r.Data != nil {
		data = make([]byte, len(r.Data))
		copy(data, r.Data)
	}
	l.records = append(l.records, record{seq: r.Seq, id: r.ID, data: data})
	l.knownFrom = append(l.knownFrom, r.KnownFrom)
	return nil
}

func (l *memLog) Len() int { return len(l.records) }

func (l *memLog) at(i int) Record {
	r := &l.records[i]
	return Record{Seq: r.seq, ID: r.id, KnownFrom: l.knownFrom[i], Data: r.data}
}

func (l *memLog) Records(from, to int) iter.Seq[Record] {
	return func(yield func(Record) bool) {
		for i := from; i < to; i++ {
			if !yield(l.at(i)) {
				return
			}
		}
	}
}

func (l *memLog) KnownAt(t time.Time) int {
	return sort.Search(len(l.knownFrom), func(i int) bool { return l.knownFrom[i].After(t) })
}
