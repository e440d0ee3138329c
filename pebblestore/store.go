// Package pebblestore keeps a projection's records on disk, in Pebble
// (github.com/cockroachdb/pebble/v2): it implements projections.Durable,
// so that the projection keeps in memory only what it holds per act, and a
// restarted projector reopens its store at its checkpoint instead of
// reading every event back (docs/DESIGN.md, Memory at scale). It is the
// only package that imports Pebble.
//
// # Keys
//
// Every key begins with a byte that says what it holds; numbers are
// big-endian, so that a range scan reads them in order:
//
//	'r' act 0x00 index(4)  one record: seq(8) id(16) flags(1) len(1) known_from(len) data
//	's' seq(8)             where the record at seq is, and what a Merkle tree
//	                       needs of it: act index(4) id(16) hash(32)
//	'd' seq(8)             a defect, as JSON (eventlog.Defect)
//	'm'                    the checkpoint: format(4) last_seq(8)
//	'a' act                the act's summary, as the projection encodes it
//	                       (projections: what Open needs without its events)
//	'u'                    seq(8): every act's summary covers its records up
//	                       to this checkpoint (CommitSummaries)
//	't'                    where the projector's Merkle tree stood at a
//	                       checkpoint: seq(8) size(8) root(32) (MarkTree)
//
// An act's records are one range, read by one scan; its index is the
// record's position in the act. The checkpoint is written in the batch of
// the records it covers (Commit). Writes do not wait for the disk, and
// Pebble keeps no write-ahead log: the stream is the log. Its memtables
// reach the disk whole and in order (and on Close), so a store that lost
// its last writes in a crash reopens at an earlier checkpoint, from which
// the projector follows the stream again.
package pebblestore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"os"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// DefaultCacheSize is the block cache's size when Options.CacheSize is 0:
// the memory Pebble keeps of the records read, besides its memtables.
const DefaultCacheSize = 64 << 20

// memTableSize is the size of each of Pebble's memtables (it keeps up to
// two while one is flushed): the writes held in memory before they go to a
// table on disk.
const memTableSize = 16 << 20

// batchBytes is how large a batch grows before it is committed without a
// checkpoint (a snapshot read into the store); Commit writes the rest.
const batchBytes = 8 << 20

// format is the version of the keys and values above. A store of another
// format is emptied on Open.
const format = 2

// Options configure a Store.
type Options struct {
	// CacheSize is the block cache's size in bytes; 0 for
	// DefaultCacheSize.
	CacheSize int64
	// Logger receives Pebble's errors (and its other messages at debug
	// level); nil discards them.
	Logger *slog.Logger
}

// Store is a projection's records in a Pebble database in a directory.
// It follows projections.Store's rules: reads may run together; writes
// (Append, AppendDefect, Commit, Reset) run alone.
type Store struct {
	dir   string
	opts  Options
	db    *pebble.DB
	batch *pebble.Batch // the writes since the last commit; nil when none
	saved uint64
	key   []byte // scratch for writes
	val   []byte
}

var (
	_ projections.Durable = (*Store)(nil)
	_ projections.ActLog  = (*actLog)(nil)
)

// Open opens the store in dir, creating it if it is not there. A store
// written in another format is emptied (its projection is rebuilt from
// the stream). Close it when done.
func Open(dir string, o Options) (*Store, error) {
	if o.CacheSize <= 0 {
		o.CacheSize = DefaultCacheSize
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Store{dir: dir, opts: o}
	if err := s.open(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Store) open() error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("open the projection store: %w", err)
	}
	c := pebble.NewCache(s.opts.CacheSize)
	defer c.Unref()
	db, err := pebble.Open(s.dir, &pebble.Options{
		Cache:        c,
		MemTableSize: memTableSize,
		// No write-ahead log: the stream is the log. The memtables reach
		// the disk whole and in order (and on Close), each batch with its
		// checkpoint, so a crash leaves the store at an earlier one.
		DisableWAL: true,
		Logger:     pebbleLogger{s.opts.Logger},
	})
	if err != nil {
		return fmt.Errorf("open the projection store in %s: %w", s.dir, err)
	}
	s.db, s.saved = db, 0
	v, closer, err := db.Get(metaKey)
	ok := true
	switch {
	case errors.Is(err, pebble.ErrNotFound):
	case err != nil:
		db.Close()
		return fmt.Errorf("read the projection store's checkpoint: %w", err)
	default:
		ok = len(v) == 12 && binary.BigEndian.Uint32(v) == format
		if ok {
			s.saved = binary.BigEndian.Uint64(v[4:])
		}
		closer.Close()
	}
	if !ok {
		s.opts.Logger.Warn("the projection store is of another format: emptied, to be rebuilt from the stream", "dir", s.dir)
		return s.Reset()
	}
	if last := s.lastSeq(); last > s.saved {
		// Records were committed past the checkpoint (a batch of a
		// snapshot read in, then a crash): not a state of the stream.
		s.opts.Logger.Warn("the projection store holds records past its checkpoint: emptied, to be rebuilt", "dir", s.dir, "checkpoint", s.saved, "last_record", last)
		return s.Reset()
	}
	return nil
}

// Close writes what Pebble holds in memory to disk and closes the store.
// Closing it again does nothing.
func (s *Store) Close() error {
	if s.db == nil {
		return nil
	}
	defer func() { s.db = nil }()
	if s.batch != nil {
		s.batch.Close()
		s.batch = nil
	}
	err := s.db.Flush()
	if cerr := s.db.Close(); err == nil {
		err = cerr
	}
	return err
}

// Memory returns the bytes Pebble holds outside the Go heap's accounting
// or besides it: its block cache in use, and its memtables.
func (s *Store) Memory() (cache, memtables int64) {
	m := s.db.Metrics()
	return m.BlockCache.Size, int64(m.MemTable.Size)
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// Saved returns the sequence of the last Commit; 0 for an empty store.
func (s *Store) Saved() uint64 { return s.saved }

// Reset empties the store: every key is deleted, and the space given
// back by a compaction. The directory and any other file in it are left
// as they are. The logs handed out before are not to be used again.
func (s *Store) Reset() error {
	if s.batch != nil {
		s.batch.Close()
		s.batch = nil
	}
	start, end := []byte{0}, []byte{0xff}
	if err := s.db.DeleteRange(start, end, pebble.NoSync); err != nil {
		return fmt.Errorf("empty the projection store: %w", err)
	}
	if err := s.db.Compact(context.Background(), start, end, true); err != nil {
		return fmt.Errorf("empty the projection store: %w", err)
	}
	s.saved = 0
	return nil
}

var metaKey = []byte{'m'}

// Commit writes the checkpoint lastSeq in the batch of the records and
// defects appended since the last, and commits it.
func (s *Store) Commit(lastSeq uint64) error {
	b := s.writes()
	var v [12]byte
	binary.BigEndian.PutUint32(v[:], format)
	binary.BigEndian.PutUint64(v[4:], lastSeq)
	if err := b.Set(metaKey, v[:], nil); err != nil {
		return err
	}
	if err := s.commit(); err != nil {
		return err
	}
	s.saved = lastSeq
	return nil
}

// writes returns the batch of the writes in progress. It is indexed, so
// that the records appended are read before they are committed.
func (s *Store) writes() *pebble.Batch {
	if s.batch == nil {
		s.batch = s.db.NewIndexedBatch()
	}
	return s.batch
}

func (s *Store) commit() error {
	b := s.batch
	if b == nil {
		return nil
	}
	s.batch = nil
	defer b.Close()
	if err := b.Commit(pebble.NoSync); err != nil {
		return fmt.Errorf("write to the projection store: %w", err)
	}
	return nil
}

// reader is where reads go: the batch in progress, which reads through to
// the database, or the database.
func (s *Store) reader() pebble.Reader {
	if s.batch != nil {
		return s.batch
	}
	return s.db
}

// AppendDefect keeps a defect, under its sequence.
func (s *Store) AppendDefect(d eventlog.Entry) error {
	js, err := json.Marshal(d.Defect)
	if err != nil {
		return err
	}
	if err := s.writes().Set(seqKey('d', d.Seq), js, nil); err != nil {
		return err
	}
	return s.maybeCommit()
}

// maybeCommit commits a batch that grew past batchBytes, without a
// checkpoint.
func (s *Store) maybeCommit() error {
	if s.batch.Len() < batchBytes {
		return nil
	}
	return s.commit()
}

// Defects yields the defects kept, in stream order.
func (s *Store) Defects() iter.Seq2[eventlog.Entry, error] {
	return func(yield func(eventlog.Entry, error) bool) {
		it := s.iter([]byte{'d'}, []byte{'d' + 1})
		defer it.Close()
		for ok := it.First(); ok; ok = it.Next() {
			d := new(eventlog.Defect)
			if err := json.Unmarshal(it.Value(), d); err != nil {
				yield(eventlog.Entry{}, fmt.Errorf("the projection store's defect at sequence %d: %w", binary.BigEndian.Uint64(it.Key()[1:]), err))
				return
			}
			if !yield(eventlog.Entry{Seq: binary.BigEndian.Uint64(it.Key()[1:]), Defect: d}, nil) {
				return
			}
		}
		check(it)
	}
}

// Acts yields every act that has records, in identifier order.
func (s *Store) Acts() iter.Seq[events.ActID] {
	return func(yield func(events.ActID) bool) {
		it := s.iter([]byte{'r'}, []byte{'r' + 1})
		defer it.Close()
		for ok := it.First(); ok; {
			k := it.Key()
			end := bytes.IndexByte(k, 0)
			if end < 0 {
				panic(fmt.Sprintf("pebblestore: a record key without its act's end: %q", k))
			}
			act := events.ActID(k[1:end])
			if !yield(act) {
				return
			}
			ok = it.SeekGE(actEnd(act))
		}
		check(it)
	}
}

// BySeq yields every record, with its act, in stream order.
func (s *Store) BySeq() iter.Seq2[events.ActID, projections.Record] {
	return func(yield func(events.ActID, projections.Record) bool) {
		it := s.iter([]byte{'s'}, []byte{'s' + 1})
		defer it.Close()
		recs := s.iter([]byte{'r'}, []byte{'r' + 1})
		defer recs.Close()
		for ok := it.First(); ok; ok = it.Next() {
			v := it.Value()
			l := place(it.Key(), v)
			act := l.Act
			key := recordKey(nil, act, l.Index)
			if !recs.SeekGE(key) || !bytes.Equal(recs.Key(), key) {
				check(recs)
				panic(fmt.Sprintf("pebblestore: the record at sequence %d is not under %q", binary.BigEndian.Uint64(it.Key()[1:]), key))
			}
			if !yield(act, decodeRecord(recs.Value())) {
				return
			}
		}
		check(it)
	}
}

// PutSummary writes an act's summary in the batch in progress: it reaches
// the disk with the next Commit.
func (s *Store) PutSummary(act events.ActID, data []byte) error {
	s.key = append(append(s.key[:0], 'a'), act...)
	return s.writes().Set(s.key, data, nil)
}

var summarizedKey = []byte{'u'}

// CommitSummaries is Commit, with a note that every act's summary covers
// its records up to lastSeq, in the same batch.
func (s *Store) CommitSummaries(lastSeq uint64) error {
	if err := s.writes().Set(summarizedKey, binary.BigEndian.AppendUint64(nil, lastSeq), nil); err != nil {
		return err
	}
	return s.Commit(lastSeq)
}

// SummarizedAt returns the lastSeq of the last CommitSummaries; 0 when
// none (a store emptied, or written before it was kept).
func (s *Store) SummarizedAt() uint64 {
	v, closer, err := s.reader().Get(summarizedKey)
	if errors.Is(err, pebble.ErrNotFound) {
		return 0
	}
	if err != nil {
		panic(fmt.Sprintf("pebblestore: read %s: %v", s.dir, err))
	}
	defer closer.Close()
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

// Summaries yields every act's summary, in identifier order. A summary's
// bytes are valid only until the next.
func (s *Store) Summaries() iter.Seq2[events.ActID, []byte] {
	return func(yield func(events.ActID, []byte) bool) {
		it := s.iter([]byte{'a'}, []byte{'a' + 1})
		defer it.Close()
		for ok := it.First(); ok; ok = it.Next() {
			if !yield(events.ActID(it.Key()[1:]), it.Value()) {
				return
			}
		}
		check(it)
	}
}

// Scan yields every record, act by act in identifier order, with one
// iterator over the records' keys.
func (s *Store) Scan() iter.Seq2[events.ActID, projections.Record] {
	return func(yield func(events.ActID, projections.Record) bool) {
		it := s.iter([]byte{'r'}, []byte{'r' + 1})
		defer it.Close()
		var act events.ActID
		for ok := it.First(); ok; ok = it.Next() {
			k := it.Key()
			end := len(k) - 5 // 'r' act 0x00 index
			if end < 1 || k[end] != 0 {
				panic(fmt.Sprintf("pebblestore: a record key without its act's end: %q", k))
			}
			if string(k[1:end]) != string(act) {
				act = events.ActID(k[1:end])
			}
			if !yield(act, decodeRecord(it.Value())) {
				return
			}
		}
		check(it)
	}
}

// Leaves yields the place and hash of every record at sequence from or
// later, in stream order, from one scan of the places.
func (s *Store) Leaves(from uint64) iter.Seq[projections.Leaf] {
	return func(yield func(projections.Leaf) bool) {
		it := s.iter(seqKey('s', from), []byte{'s' + 1})
		defer it.Close()
		for ok := it.First(); ok; ok = it.Next() {
			if !yield(place(it.Key(), it.Value())) {
				return
			}
		}
		check(it)
	}
}

// CommittedLeaves is Leaves over what was committed, without the batch in
// progress: unlike the store's other reads it may run while the store is
// written (Append, Commit), though not once it is closed. Package
// projector indexes the leaves of a reopened tree with it, beside Apply.
func (s *Store) CommittedLeaves(from uint64) iter.Seq[projections.Leaf] {
	return func(yield func(projections.Leaf) bool) {
		it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: seqKey('s', from), UpperBound: []byte{'s' + 1}})
		if err != nil {
			panic(fmt.Sprintf("pebblestore: read %s: %v", s.dir, err))
		}
		defer it.Close()
		for ok := it.First(); ok; ok = it.Next() {
			if !yield(place(it.Key(), it.Value())) {
				return
			}
		}
		check(it)
	}
}

var treeKey = []byte{'t'}

// MarkTree keeps where a Merkle tree of the records stood at sequence
// seq, a checkpoint already committed: its size and root. It commits at
// once, with whatever the batch in progress holds, so it is called right
// after a Commit. The caller makes the tree's own files durable first:
// the mark then never names a tree that a crash lost (package projector
// reopens its tree's files from it).
func (s *Store) MarkTree(seq, size uint64, root [32]byte) error {
	v := make([]byte, 0, 48)
	v = binary.BigEndian.AppendUint64(v, seq)
	v = binary.BigEndian.AppendUint64(v, size)
	v = append(v, root[:]...)
	if err := s.writes().Set(treeKey, v, nil); err != nil {
		return err
	}
	return s.commit()
}

// TreeMark returns the last mark MarkTree kept; false when there is none
// (a store emptied, or written before marks were kept).
func (s *Store) TreeMark() (seq, size uint64, root [32]byte, ok bool) {
	v, closer, err := s.reader().Get(treeKey)
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, 0, root, false
	}
	if err != nil {
		panic(fmt.Sprintf("pebblestore: read %s: %v", s.dir, err))
	}
	defer closer.Close()
	if len(v) != 48 {
		return 0, 0, root, false
	}
	copy(root[:], v[16:])
	return binary.BigEndian.Uint64(v), binary.BigEndian.Uint64(v[8:]), root, true
}

// placeTail is the length of a place's value after its act: index(4)
// id(16) hash(32).
const placeTail = 4 + 16 + 32

// place decodes the place of the record at a 's' key.
func place(k, v []byte) projections.Leaf {
	seq := binary.BigEndian.Uint64(k[1:])
	if len(v) < placeTail {
		panic(fmt.Sprintf("pebblestore: the place of sequence %d is %d bytes long", seq, len(v)))
	}
	n := len(v) - placeTail
	l := projections.Leaf{Seq: seq, Act: events.ActID(v[:n]), Index: int(binary.BigEndian.Uint32(v[n:]))}
	copy(l.ID[:], v[n+4:])
	copy(l.Hash[:], v[n+20:])
	return l
}

// Log returns the log of act id, which holds n records.
func (s *Store) Log(id events.ActID, n int) projections.ActLog {
	return &actLog{s: s, act: id, n: n}
}

// Act returns the log of act id, with the records the store holds.
func (s *Store) Act(id events.ActID) projections.ActLog {
	l := &actLog{s: s, act: id}
	it := s.iter(actPrefix(id), actEnd(id))
	if it.Last() {
		k := it.Key()
		l.n = int(binary.BigEndian.Uint32(k[len(k)-4:])) + 1
	}
	check(it)
	it.Close()
	return l
}

// lastSeq returns the last sequence of a record the store holds.
func (s *Store) lastSeq() uint64 {
	it := s.iter([]byte{'s'}, []byte{'s' + 1})
	defer it.Close()
	if it.Last() {
		return binary.BigEndian.Uint64(it.Key()[1:])
	}
	check(it)
	return 0
}

// iter returns an iterator over [lower, upper). Reads do not fail
// (projections.Store): an error panics.
func (s *Store) iter(lower, upper []byte) *pebble.Iterator {
	it, err := s.reader().NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		panic(fmt.Sprintf("pebblestore: read %s: %v", s.dir, err))
	}
	return it
}

// check panics if an iterator stopped on an error.
func check(it *pebble.Iterator) {
	if err := it.Error(); err != nil {
		panic(fmt.Sprintf("pebblestore: read: %v", err))
	}
}

// actLog is the records of one act.
type actLog struct {
	s   *Store
	act events.ActID
	n   int
}

func (l *actLog) Len() int { return l.n }

// Append writes the record in the batch in progress, with its place
// under its sequence.
func (l *actLog) Append(r projections.Record) error {
	s := l.s
	if l.n > 1<<32-1 {
		return fmt.Errorf("act %s has %d events: the store counts them in 32 bits", l.act, l.n)
	}
	s.key = recordKey(s.key[:0], l.act, l.n)
	s.val = appendRecord(s.val[:0], &r)
	b := s.writes()
	if err := b.Set(s.key, s.val, nil); err != nil {
		return err
	}
	s.val = binary.BigEndian.AppendUint32(append(s.val[:0], l.act...), uint32(l.n))
	s.val = append(append(s.val, r.ID[:]...), r.Hash[:]...)
	if err := b.Set(seqKey('s', r.Seq), s.val, nil); err != nil {
		return err
	}
	l.n++
	return s.maybeCommit()
}

func (l *actLog) Records(from, to int) iter.Seq[projections.Record] {
	return func(yield func(projections.Record) bool) {
		from, to := max(from, 0), min(to, l.n)
		if from >= to {
			return
		}
		it := l.s.iter(recordKey(nil, l.act, from), recordKey(nil, l.act, to))
		defer it.Close()
		for ok := it.First(); ok; ok = it.Next() {
			if !yield(decodeRecord(it.Value())) {
				return
			}
		}
		check(it)
	}
}

// KnownAt searches the records by their KnownFrom, which does not
// decrease: a seek a step.
func (l *actLog) KnownAt(t time.Time) int {
	if l.n == 0 {
		return 0
	}
	it := l.s.iter(recordKey(nil, l.act, 0), recordKey(nil, l.act, l.n))
	defer it.Close()
	key := make([]byte, 0, len(l.act)+6)
	lo, hi := 0, l.n // the answer is in [lo, hi]
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		key = recordKey(key[:0], l.act, mid)
		if !it.SeekGE(key) {
			check(it)
			panic(fmt.Sprintf("pebblestore: record %d of %s is missing", mid, l.act))
		}
		if decodeRecord(it.Value()).KnownFrom.After(t) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// actPrefix returns 'r' act 0x00.
func actPrefix(act events.ActID) []byte {
	p := make([]byte, 0, len(act)+6)
	p = append(p, 'r')
	p = append(p, act...)
	return append(p, 0)
}

// actEnd returns 'r' act 0x01: the first key after the act's records.
func actEnd(act events.ActID) []byte {
	p := actPrefix(act)
	p[len(p)-1] = 1
	return p
}

// recordKey appends the key of record i of act to dst.
func recordKey(dst []byte, act events.ActID, i int) []byte {
	dst = append(dst, 'r')
	dst = append(dst, act...)
	dst = append(dst, 0)
	return binary.BigEndian.AppendUint32(dst, uint32(i))
}

// seqKey returns kind seq.
func seqKey(kind byte, seq uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{kind}, seq)
}

const hasData = 1

// appendRecord appends a record's value to dst.
func appendRecord(dst []byte, r *projections.Record) []byte {
	dst = binary.BigEndian.AppendUint64(dst, r.Seq)
	dst = append(dst, r.ID[:]...)
	var flags byte
	if r.Data != nil {
		flags |= hasData
	}
	kt, err := r.KnownFrom.MarshalBinary()
	if err != nil {
		// A record time outside the years time.Time marshals is not one
		// the ledger writes: kept as the zero time's.
		kt, _ = time.Time{}.MarshalBinary()
	}
	dst = append(dst, flags, byte(len(kt)))
	dst = append(dst, kt...)
	return append(dst, r.Data...)
}

// decodeRecord reads a record's value; its Data is v's.
func decodeRecord(v []byte) projections.Record {
	var r projections.Record
	if len(v) < 8+16+2 {
		panic(fmt.Sprintf("pebblestore: a record of %d bytes", len(v)))
	}
	r.Seq = binary.BigEndian.Uint64(v)
	copy(r.ID[:], v[8:24])
	flags, n := v[24], int(v[25])
	v = v[26:]
	if len(v) < n {
		panic(fmt.Sprintf("pebblestore: the record at sequence %d is cut short", r.Seq))
	}
	if err := r.KnownFrom.UnmarshalBinary(v[:n]); err != nil {
		panic(fmt.Sprintf("pebblestore: the record time of sequence %d: %v", r.Seq, err))
	}
	if flags&hasData != 0 {
		r.Data = v[n:]
	}
	return r
}

// pebbleLogger sends Pebble's messages to a slog.Logger.
type pebbleLogger struct{ l *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...any) {
	p.l.Debug(fmt.Sprintf(format, args...), "component", "pebble")
}

func (p pebbleLogger) Errorf(format string, args ...any) {
	p.l.Error(fmt.Sprintf(format, args...), "component", "pebble")
}

func (p pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.l.Error(msg, "component", "pebble")
	panic("pebble: " + msg)
}
