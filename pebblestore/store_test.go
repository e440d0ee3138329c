package pebblestore_test

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/pebblestore"
	"github.com/lexledger/lexledger/projections"
)

// The projections' own suite runs on this store (projections,
// TestPebbleStore); these tests are of what only a durable store does:
// reopen at its checkpoint, and refuse a state that is not the stream's.

func mustOpen(t *testing.T, dir string) *pebblestore.Store {
	t.Helper()
	s, err := pebblestore.Open(dir, pebblestore.Options{CacheSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// seed returns the events of examples/seed.jsonl as the ledger stores
// them, with a defect (an event off its act's chain) at sequence 20.
func seed(t *testing.T) []eventlog.Entry {
	t.Helper()
	data, err := os.ReadFile("../examples/seed.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var out []eventlog.Entry
	tips := map[events.ActID]events.Digest{}
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), events.MaxEventBytes+1)
	for sc.Scan() {
		e, err := events.Decode(bytes.TrimSpace(sc.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(time.Minute)
		if e.ID == (events.ID{}) {
			e.ID = events.NewID()
		}
		e.Schema, e.RecordedAt, e.RecordedBy, e.PrevHash = 2, clock, "import@test", tips[e.Act]
		if len(out) == 19 {
			e.PrevHash = events.Digest{1} // off the chain: a defect
		}
		sealed, err := e.Seal()
		if err != nil {
			t.Fatal(err)
		}
		stored, err := events.Decode(sealed)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != 19 {
			tips[e.Act] = stored.Hash
		}
		out = append(out, eventlog.Entry{Seq: uint64(len(out) + 1), Event: stored})
	}
	return out
}

func apply(t *testing.T, p *projections.Projection, entries []eventlog.Entry) {
	t.Helper()
	for _, e := range entries {
		if _, err := p.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReopen: a store closed after part of the stream reopens at its
// checkpoint with the projection it held, defects included, and follows
// the rest of the stream to the projection of the whole.
func TestReopen(t *testing.T) {
	entries := seed(t)
	k := len(entries) / 2
	want, whole := projections.New(), projections.New()
	apply(t, want, entries[:k])
	apply(t, whole, entries)
	if want.DefectCount() != 1 {
		t.Fatalf("%d defects in the first half of the seed, want 1", want.DefectCount())
	}

	dir := t.TempDir()
	s := mustOpen(t, dir)
	apply(t, projections.NewWith(s), entries[:k])
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = mustOpen(t, dir)
	defer s.Close()
	if s.Saved() != uint64(k) {
		t.Fatalf("the store reopens at sequence %d, want %d", s.Saved(), k)
	}
	p, err := projections.Open(s)
	if err != nil {
		t.Fatal(err)
	}
	if p.Digest() != want.Digest() || p.LastSeq() != want.LastSeq() || p.Events() != want.Events() || p.DefectCount() != 1 {
		t.Fatalf("reopened: digest %s at %d with %d events and %d defects, want %s at %d with %d and 1",
			p.Digest(), p.LastSeq(), p.Events(), p.DefectCount(), want.Digest(), want.LastSeq(), want.Events())
	}
	if got, wantFirst := p.FirstRecord(); !got.Equal(must(want.FirstRecord())) || !wantFirst {
		t.Errorf("reopened: first record %s, want %s", got, must(want.FirstRecord()))
	}
	apply(t, p, entries[k:])
	if p.Digest() != whole.Digest() {
		t.Fatalf("reopened, then the rest of the stream: digest %s, want %s", p.Digest(), whole.Digest())
	}
}

func must(t time.Time, _ bool) time.Time { return t }

// TestReadSnapshotIntoTheStore: a snapshot read into the store is kept
// with its checkpoint, and the store reopens to it.
func TestReadSnapshotIntoTheStore(t *testing.T) {
	entries := seed(t)
	want := projections.New()
	apply(t, want, entries)
	var snap bytes.Buffer
	if err := want.WriteSnapshot(&snap); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := mustOpen(t, dir)
	if _, err := projections.ReadSnapshotWith(&snap, s); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = mustOpen(t, dir)
	defer s.Close()
	p, err := projections.Open(s)
	if err != nil {
		t.Fatal(err)
	}
	if p.Digest() != want.Digest() || p.LastSeq() != want.LastSeq() {
		t.Fatalf("reopened after a snapshot: digest %s at %d, want %s at %d", p.Digest(), p.LastSeq(), want.Digest(), want.LastSeq())
	}
}

// TestRecordsPastTheCheckpoint: a store whose records go past its
// checkpoint holds no state of the stream: Open empties it.
func TestRecordsPastTheCheckpoint(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir)
	entries := seed(t)
	apply(t, projections.NewWith(s), entries[:10])
	if err := s.Commit(5); err != nil { // as if the last batches were written without their checkpoint
		t.Fatal(err)
	}
	s.Close()
	s = mustOpen(t, dir)
	defer s.Close()
	if s.Saved() != 0 {
		t.Errorf("a store with records past its checkpoint reopens at %d, want 0 (emptied)", s.Saved())
	}
	for act := range s.Acts() {
		t.Errorf("the emptied store still holds %s", act)
	}
}

// TestReset: a store reset is empty, and takes a new projection.
func TestReset(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir)
	defer s.Close()
	entries := seed(t)
	apply(t, projections.NewWith(s), entries)
	other := filepath.Join(dir, "not-the-store's")
	if err := os.WriteFile(other, []byte("kept"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Reset(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("Reset removed a file of the directory that is not the store's: %v", err)
	}
	if s.Saved() != 0 {
		t.Errorf("after Reset, Saved is %d, want 0", s.Saved())
	}
	p, err := projections.Open(s)
	if err != nil {
		t.Fatal(err)
	}
	if p.Events() != 0 || len(p.Acts()) != 0 || p.DefectCount() != 0 {
		t.Errorf("after Reset the store holds %d events of %d acts and %d defects, want none", p.Events(), len(p.Acts()), p.DefectCount())
	}
	apply(t, p, entries)
	want := projections.New()
	apply(t, want, entries)
	if p.Digest() != want.Digest() {
		t.Errorf("the stream applied after Reset: digest %s, want %s", p.Digest(), want.Digest())
	}
}

// TestOpenOtherVersion: a store whose records are off their acts' chains
// is refused by projections.Open, as another derivation's.
func TestOpenOtherVersion(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	defer s.Close()
	entries := seed(t)
	log := s.Act(entries[0].Event.Act)
	e := entries[0].Event
	data, err := events.AppendEncode(nil, &e)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 { // the same event twice: the second is off the chain
		if err := log.Append(projections.Record{Seq: uint64(i + 1), ID: e.ID, KnownFrom: e.RecordedAt, Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Commit(2); err != nil {
		t.Fatal(err)
	}
	if _, err := projections.Open(s); !errors.Is(err, projections.ErrOtherVersion) {
		t.Errorf("Open of a store with an event off its chain: %v, want ErrOtherVersion", err)
	}
}

// Scan yields what each act's log yields, act by act in identifier
// order, and Log with the count Scan found is that act's log.
func TestScanIsEveryActsRecords(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	defer s.Close()
	p := projections.NewWith(s)
	apply(t, p, seed(t))
	type rec struct {
		act events.ActID
		seq uint64
		id  events.ID
		n   int
	}
	var want []rec
	var acts []events.ActID
	for act := range s.Acts() {
		acts = append(acts, act)
		for r := range s.Act(act).Records(0, s.Act(act).Len()) {
			want = append(want, rec{act, r.Seq, r.ID, len(r.Data)})
		}
	}
	var got []rec
	for act, r := range s.Scan() {
		got = append(got, rec{act, r.Seq, r.ID, len(r.Data)})
	}
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Fatalf("Scan yields %d records, the acts' logs %d, or they differ", len(got), len(want))
	}
	for _, act := range acts {
		n := s.Act(act).Len()
		l := s.Log(act, n)
		var a, b []uint64
		for r := range l.Records(0, l.Len()) {
			a = append(a, r.Seq)
		}
		for r := range s.Act(act).Records(0, n) {
			b = append(b, r.Seq)
		}
		if l.Len() != n || !slices.Equal(a, b) {
			t.Errorf("%s: Log(%d) holds %v, Act %v", act, n, a, b)
		}
	}
}

// TestTreeMark: a mark of the projector's tree is kept across a reopen,
// with its sequence, size and root, and is gone after Reset; a store
// never marked has none.
func TestTreeMark(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir)
	if _, _, _, ok := s.TreeMark(); ok {
		t.Fatal("a new store holds a mark of the tree")
	}
	entries := seed(t)
	apply(t, projections.NewWith(s), entries)
	root := [32]byte{1, 2, 3}
	if err := s.MarkTree(uint64(len(entries)), 40, root); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, dir)
	defer s.Close()
	seq, size, got, ok := s.TreeMark()
	if !ok || seq != uint64(len(entries)) || size != 40 || got != root {
		t.Fatalf("reopened, the mark is %d, %d, %x, %v; want %d, 40, %x, true", seq, size, got, ok, len(entries), root)
	}
	if s.Saved() != uint64(len(entries)) {
		t.Errorf("after a mark the store reopens at %d, want %d", s.Saved(), len(entries))
	}
	if err := s.Reset(); err != nil {
		t.Fatal(err)
	}
	if _, _, _, ok := s.TreeMark(); ok {
		t.Error("after Reset the store still holds a mark of the tree")
	}
}

// TestLeavesFrom: Leaves(from) yields the places of the records at from
// and after, in stream order: the end of what Leaves(0) yields.
func TestLeavesFrom(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	defer s.Close()
	apply(t, projections.NewWith(s), seed(t))
	var all []uint64
	for l := range s.Leaves(0) {
		all = append(all, l.Seq)
	}
	if len(all) < 30 || !slices.IsSorted(all) {
		t.Fatalf("Leaves(0) yields %d sequences, sorted %v", len(all), slices.IsSorted(all))
	}
	for _, from := range []uint64{1, 20, 21, all[len(all)-1], all[len(all)-1] + 1} {
		var got []uint64
		for l := range s.Leaves(from) {
			got = append(got, l.Seq)
		}
		i, _ := slices.BinarySearch(all, from)
		if !slices.Equal(got, all[i:]) {
			t.Errorf("Leaves(%d) yields %v; want %v", from, got, all[i:])
		}
	}
}
