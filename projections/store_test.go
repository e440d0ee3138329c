package projections_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/pebblestore"
	"github.com/lexledger/lexledger/projections"
)

// The contract of projections.Store: the projection's tests, run once on
// each store. The tests build their projections with newProjection, which
// asks storeFor which store the test runs on: the store of the top-level
// test it runs under (TestPebbleStore, ...), or the memory store of New.

// contractStores are the stores other than memory, by the top-level test
// that runs the suite on them.
var contractStores = map[string]func(tb testing.TB) projections.Store{
	"TestPebbleStore":      func(tb testing.TB) projections.Store { return openPebble(tb, tb.TempDir()) },
	"TestNoModelCache":     func(tb testing.TB) projections.Store { return projections.NewMemStore() },
	"TestFrozenModelsOnly": func(tb testing.TB) projections.Store { return projections.NewMemStore() },
}

// uncached are the top-level tests whose projections keep no model but
// the one in use, each with how it keeps the models it drops: none, so
// that every answer folds its acts again from their records, or every
// one frozen, so that every answer decodes them.
var uncached = map[string]func(*projections.Projection){
	"TestNoModelCache":     func(p *projections.Projection) { p.SetModelCache(0); p.SetFrozenModels(0) },
	"TestFrozenModelsOnly": func(p *projections.Projection) { p.SetModelCache(0) },
}

// contractSuite is the tests every store must pass: the property test
// against the naive fold, the edge-case tables, the snapshots, the known
// defects, and the seed's answers.
var contractSuite = []struct {
	name string
	test func(*testing.T)
}{
	{"Property", TestProperty},
	{"EdgeCases", TestEdgeCases},
	{"StateErrors", TestStateErrors},
	{"AmendmentsMade", TestAmendmentsMade},
	{"RecordTimeRunningMax", TestRecordTimeRunningMax},
	{"ToleratesABrokenCorrection", TestToleratesABrokenCorrection},
	{"SnapshotRoundTrip", TestSnapshotRoundTrip},
	{"SnapshotBytesIdentical", TestSnapshotBytesIdentical},
	{"ApplyOutOfOrder", TestApplyOutOfOrder},
	{"ConcurrentReads", TestConcurrentReads},
	{"SnapshotIsEventsByAct", TestSnapshotIsEventsByAct},
	{"TimelineFullLife", TestTimelineFullLife},
	{"TimelineUncertainBoundaries", TestTimelineUncertainBoundaries},
	{"TimelinePartialCommencement", TestTimelinePartialCommencement},
	{"TimelineOfADraft", TestTimelineOfADraft},
	{"BugSameDayReenactment", TestBugSameDayReenactment},
	{"BugPostponementOfSomeProvisions", TestBugPostponementOfSomeProvisions},
	{"BugLiftOfAnEndedSuspension", TestBugLiftOfAnEndedSuspension},
	{"BugTextVersionsByDate", TestBugTextVersionsByDate},
	{"BugFirstInForceOfAnActNeverInForce", TestBugFirstInForceOfAnActNeverInForce},
	{"BugListOrderAcrossSubdivisions", TestBugListOrderAcrossSubdivisions},
	{"BugAmendmentsMadeAfterInstrumentCorrection", TestBugAmendmentsMadeAfterInstrumentCorrection},
	{"BugLawDateByRecordOrder", TestBugLawDateByRecordOrder},
	{"BugUncertainBoundariesOfOneFirstDay", TestBugUncertainBoundariesOfOneFirstDay},
	{"List", TestList},
	{"Diff", TestDiff},
	{"ListEmptyProjection", TestListEmptyProjection},
	{"Seed", TestSeedAnswers},
	{"ListPageIsPageOfList", TestListPageIsPageOfList},
	{"DiffPageIsPageOfDiff", TestDiffPageIsPageOfDiff},
	{"SelectPageAndTally", TestSelectPageAndTally},
	{"EachLeaf", TestEachLeaf},
	{"ListRangeAndCountByCountry", TestListRangeAndCountByCountry},
}

// TestPebbleStore runs the contract suite with the records in
// pebblestore, each projection in a directory of its own.
func TestPebbleStore(t *testing.T) {
	for _, c := range contractSuite {
		t.Run(c.name, c.test)
	}
}

// TestNoModelCache runs the contract suite on projections that keep no
// act's model but the one in use (SetModelCache(0)): a model dropped and
// folded again from its records, and the spans that lists read instead,
// answer as the model held did.
func TestNoModelCache(t *testing.T) {
	for _, c := range contractSuite {
		if raceEnabled && c.name == "Property" {
			// Under the race detector the property test, which folds
			// every act again for every question without a cache, would
			// take most of the package's time: it runs without it.
			continue
		}
		t.Run(c.name, c.test)
	}
}

// TestFrozenModelsOnly runs the contract suite on projections that keep
// no act's model but the one in use, and keep every model they drop
// frozen (frozen.go): an answer about an act not in use decodes its
// model, which must answer as the model held and the model folded again.
func TestFrozenModelsOnly(t *testing.T) {
	for _, c := range contractSuite {
		if raceEnabled && c.name == "Property" {
			continue // as in TestNoModelCache
		}
		t.Run(c.name, c.test)
	}
}

// configure sets the model cache of a projection of tb's.
func configure(tb testing.TB, p *projections.Projection) *projections.Projection {
	top, _, _ := strings.Cut(tb.Name(), "/")
	if set := uncached[top]; set != nil {
		set(p)
	}
	return p
}

// storeFor returns a new empty store for a projection of tb's.
func storeFor(tb testing.TB) projections.Store {
	top, _, _ := strings.Cut(tb.Name(), "/")
	if open := contractStores[top]; open != nil {
		return open(tb)
	}
	return projections.NewMemStore()
}

// newProjection returns an empty projection on tb's store.
func newProjection(tb testing.TB) *projections.Projection {
	return configure(tb, projections.NewWith(storeFor(tb)))
}

// readSnapshot restores a snapshot into tb's store.
func readSnapshot(tb testing.TB, r io.Reader) (*projections.Projection, error) {
	p, err := projections.ReadSnapshotWith(r, storeFor(tb))
	if err == nil {
		configure(tb, p)
	}
	return p, err
}

// openPebble opens a store in dir with a small cache, closed when tb ends.
func openPebble(tb testing.TB, dir string) *pebblestore.Store {
	tb.Helper()
	s, err := pebblestore.Open(dir, pebblestore.Options{CacheSize: 1 << 20})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// seedEntries reads examples/seed.jsonl as the ledger records it: schema 2,
// a record time a minute apart, chained per act.
func seedEntries(tb testing.TB) []eventlog.Entry {
	tb.Helper()
	data, err := os.ReadFile("../examples/seed.jsonl")
	if err != nil {
		tb.Fatal(err)
	}
	var out []eventlog.Entry
	tips := map[events.ActID]events.Digest{}
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), events.MaxEventBytes+1)
	for sc.Scan() {
		e, err := events.Decode(bytes.TrimSpace(sc.Bytes()))
		if err != nil {
			tb.Fatal(err)
		}
		clock = clock.Add(time.Minute)
		if e.ID == (events.ID{}) {
			e.ID = events.NewID()
		}
		e.Schema, e.RecordedAt, e.RecordedBy, e.PrevHash = 2, clock, "import@test", tips[e.Act]
		sealed, err := e.Seal()
		if err != nil {
			tb.Fatal(err)
		}
		stored, err := events.Decode(sealed)
		if err != nil {
			tb.Fatal(err)
		}
		tips[e.Act] = stored.Hash
		out = append(out, eventlog.Entry{Seq: uint64(len(out) + 1), Event: stored})
	}
	return out
}

// TestSeedAnswers folds the seed into the test's store and into memory,
// and asks both the same questions: every act's state, timeline, lists
// and diffs on a grid of days, now and as known at times in between.
func TestSeedAnswers(t *testing.T) {
	entries := seedEntries(t)
	got, want := project(t, entries), projections.New()
	for _, e := range entries {
		if _, err := want.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	if got.Digest() != want.Digest() {
		t.Fatalf("the seed's digest is %s on this store, %s in memory", got.Digest(), want.Digest())
	}
	days := []string{"1995-01-01", "2003-12-15", "2005-01-01", "2008-06-01", "2009-06-30", "2010-01-01", "2026-01-01"}
	knowns := []*time.Time{nil}
	for _, i := range []int{1, len(entries) / 3, len(entries) / 2, len(entries) - 1} {
		k := entries[i].Event.RecordedAt
		knowns = append(knowns, &k)
	}
	answer := func(p *projections.Projection) []any {
		var out []any
		for _, k := range knowns {
			for _, id := range p.Acts() {
				tl, err := p.Timeline(id, k)
				out = append(out, tl, errString(err))
				for _, d := range days {
					st, err := p.State(id, projections.Query{AsOf: events.MustDate(d), KnownAt: k})
					out = append(out, st, errString(err))
				}
			}
			for i, d := range days {
				l, err := p.List(projections.Filter{}, projections.Query{AsOf: events.MustDate(d), KnownAt: k})
				out = append(out, l, errString(err))
				if i > 0 {
					c, err := p.Diff(events.MustDate(days[i-1]), events.MustDate(d), projections.Filter{}, k)
					out = append(out, c, errString(err))
				}
			}
		}
		return out
	}
	if g, w := answer(got), answer(want); !equalJSON(t, g, w) {
		t.Errorf("the seed's answers differ between this store and memory")
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// equalJSON reports whether got and want marshal alike, naming the first
// answer that differs.
func equalJSON(t *testing.T, got, want []any) bool {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d answers, want %d", len(got), len(want))
		return false
	}
	for i := range got {
		g, err := json.Marshal(got[i])
		if err != nil {
			t.Fatal(err)
		}
		w, err := json.Marshal(want[i])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(g, w) {
			t.Errorf("answer %d:\n got %s\nwant %s", i, g, w)
			return false
		}
	}
	return true
}

// TestPebbleReopen: a Pebble store closed in the middle of a stream and
// reopened (projections.Open) answers every question as the projection
// of memory that applied the same events, and again once it has applied
// the rest.
func TestPebbleReopen(t *testing.T) {
	// every: how many acts Apply marks before it writes their summaries
	// (0: the default, so that most acts are folded by Open; 1: every act
	// read from its summary); cache: the models kept (1: every model
	// dropped, its summary encoded then).
	cases := []struct{ every, cache int }{{0, 0}, {1, 0}, {3, 1}, {1, 1}}
	if raceEnabled {
		cases = []struct{ every, cache int }{{0, 0}, {3, 1}} // the race detector's time
	}
	for _, c := range cases {
		seeds := []uint64{1, 2, 3}
		if c != (struct{ every, cache int }{}) || raceEnabled {
			// The summaries' cases, and every case under the race
			// detector (each question grid takes seconds): one history.
			seeds = seeds[:1]
		}
		for _, seed := range seeds {
			h := snapshotHistory(seed)
			for _, k := range []int{1, len(h.entries) / 3, len(h.entries) - 1} {
				name := fmt.Sprintf("summaries every %d, cache %d, seed %d, %d events", c.every, c.cache, seed, k)
				configure := func(p *projections.Projection) *projections.Projection {
					if c.every > 0 {
						p.SetSummaryEvery(c.every)
					}
					if c.cache > 0 {
						p.SetModelCache(c.cache)
					}
					return p
				}
				dir := t.TempDir()
				s := openPebble(t, dir)
				head := configure(projections.NewWith(s))
				for _, e := range h.entries[:k] {
					if _, err := head.Apply(e); err != nil {
						t.Fatal(err)
					}
				}
				reopen := func() *projections.Projection {
					t.Helper()
					if err := s.Close(); err != nil {
						t.Fatal(err)
					}
					s = openPebble(t, dir)
					p, err := projections.Open(s)
					if err != nil {
						t.Fatalf("%s: Open: %v", name, err)
					}
					return configure(p)
				}
				p := reopen()
				if held, _, _ := p.ModelCacheStats(); c.every == 1 && held != 0 {
					t.Fatalf("%s: Open folded acts of %d events though every act's summary was written", name, held)
				}
				want := projections.New()
				for _, e := range h.entries[:k] {
					if _, err := want.Apply(e); err != nil {
						t.Fatal(err)
					}
				}
				if p.Digest() != want.Digest() || !equalJSON(t, questions(t, p, h), questions(t, want, h)) {
					t.Fatalf("%s: reopened, the answers differ from memory's", name)
				}
				for _, e := range h.entries[k:] {
					if _, err := p.Apply(e); err != nil {
						t.Fatal(err)
					}
					if _, err := want.Apply(e); err != nil {
						t.Fatal(err)
					}
				}
				if p.Digest() != want.Digest() || !equalJSON(t, questions(t, p, h), questions(t, want, h)) {
					t.Fatalf("%s: reopened then the rest, the answers differ from memory's", name)
				}
				// Once more, from what the reopened projection wrote.
				if p = reopen(); p.Digest() != want.Digest() || !equalJSON(t, questions(t, p, h), questions(t, want, h)) {
					t.Fatalf("%s: reopened twice, the answers differ from memory's", name)
				}
				// The ids each act used came back with it: an event that
				// reuses one is a defect.
				dup := h.entries[0]
				dup.Seq = p.LastSeq() + 1
				for _, q := range []*projections.Projection{p, want} {
					if _, err := q.Apply(dup); err != nil {
						t.Fatal(err)
					}
					if d, ok := q.LastDefect(); !ok || d.Seq != dup.Seq || d.Defect.Reason != eventlog.ReasonDuplicateID {
						t.Fatalf("%s: an event reusing the id of the first is %+v, want a duplicate_id defect", name, d.Defect)
					}
				}
			}
		}
	}
}

// countingStore is a Durable store that counts the records read through
// it: by Scan, and by the logs it hands out.
type countingStore struct {
	*pebblestore.Store
	read int
}

func (c *countingStore) Scan() iter.Seq2[events.ActID, projections.Record] {
	return func(yield func(events.ActID, projections.Record) bool) {
		for id, r := range c.Store.Scan() {
			c.read++
			if !yield(id, r) {
				return
			}
		}
	}
}

func (c *countingStore) Log(id events.ActID, n int) projections.ActLog {
	return countingLog{c.Store.Log(id, n), c}
}

func (c *countingStore) Act(id events.ActID) projections.ActLog {
	return countingLog{c.Store.Act(id), c}
}

type countingLog struct {
	projections.ActLog
	c *countingStore
}

func (l countingLog) Records(from, to int) iter.Seq[projections.Record] {
	return func(yield func(projections.Record) bool) {
		for r := range l.ActLog.Records(from, to) {
			l.c.read++
			if !yield(r) {
				return
			}
		}
	}
}

// TestOpenReadsSummariesOnly: a store whose every act's summary is whole
// (written at the last checkpoint) reopens without reading a record; the
// acts changed after the summaries were last written are read and folded,
// and only they. An act's records are read when its next event comes, to
// check its id, once.
func TestOpenReadsSummariesOnly(t *testing.T) {
	entries := seedEntries(t)
	dir := t.TempDir()
	s := openPebble(t, dir)
	p := projections.NewWith(s)
	p.SetSummaryEvery(1) // every act's summary written at every checkpoint
	k := len(entries) - 3
	for _, e := range entries[:k] {
		if _, err := p.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	want := p.Digest()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	c := &countingStore{Store: openPebble(t, dir)}
	q, err := projections.Open(c)
	if err != nil {
		t.Fatal(err)
	}
	if c.read != 0 {
		t.Errorf("Open read %d records of a store whose summaries are whole; want none", c.read)
	}
	if got := q.Digest(); got != want {
		t.Fatalf("reopened from the summaries: digest %s, want %s", got, want)
	}
	// The next event of an act: its records are read, once.
	next := entries[k]
	n := c.Store.Act(next.Event.Act).Len()
	c.read = 0
	if _, err := q.Apply(next); err != nil {
		t.Fatal(err)
	}
	if n == 0 || c.read < n {
		t.Errorf("the next event of %s read %d records; want its %d records read for their ids", next.Event.Act, c.read, n)
	}

	// With the default batch (q's), the summaries of the acts changed
	// since are behind: those acts, and only they, are read.
	s2 := c.Store
	for _, e := range entries[k+1:] {
		if _, err := q.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	want = q.Digest()
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	c = &countingStore{Store: openPebble(t, dir)}
	q, err = projections.Open(c)
	if err != nil {
		t.Fatal(err)
	}
	behind := map[events.ActID]bool{}
	for _, e := range entries[k:] {
		behind[e.Event.Act] = true
	}
	wantRead := 0
	for a := range behind {
		// Its records, folded, and its first again, for the record time
		// its summary keeps as it is written anew.
		wantRead += c.Store.Act(a).Len() + 1
	}
	if c.read != wantRead {
		t.Errorf("Open read %d records; want %d: the acts changed since the summaries were written, and the first of each", c.read, wantRead)
	}
	if got := q.Digest(); got != want {
		t.Fatalf("reopened with acts behind their summaries: digest %s, want %s", got, want)
	}
}

// TestOpenUpgradesVersion1Summaries: a store written before the summaries
// kept their acts' record times (version 1) and before they were noted
// whole at a checkpoint is read in one scan without folding an act, its
// summaries written again with the times; the next Open reads no record.
func TestOpenUpgradesVersion1Summaries(t *testing.T) {
	entries := seedEntries(t)
	// The summaries of this version, from a store that wrote them all.
	v2 := map[events.ActID][]byte{}
	whole := openPebble(t, t.TempDir())
	p := projections.NewWith(whole)
	p.SetSummaryEvery(1)
	for _, e := range entries {
		if _, err := p.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	want := p.Digest()
	for id, data := range whole.Summaries() {
		v2[id] = slices.Clone(data)
	}
	// A store of the same events with none, given those of version 1:
	// this version's without the two record times at their end (a UTC
	// time marshals to 15 bytes, after its length).
	dir := t.TempDir()
	s := openPebble(t, dir)
	old := projections.NewWith(s)
	old.SetSummaryEvery(1 << 30)
	for _, e := range entries {
		if _, err := old.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	for id, data := range v2 {
		if n := len(data); n < 33 || data[n-32] != 15 || data[n-16] != 15 {
			t.Fatalf("the summary of %s does not end with two record times of 15 bytes: %x", id, data)
		}
		v1 := append([]byte{1}, data[1:len(data)-32]...)
		if err := s.PutSummary(id, v1); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Commit(s.Saved()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openPebble(t, dir)
	if s.SummarizedAt() != 0 {
		t.Fatalf("the store of version 1 summaries is noted whole at %d", s.SummarizedAt())
	}
	q, err := projections.Open(s)
	if err != nil {
		t.Fatal(err)
	}
	if held, _, _ := q.ModelCacheStats(); held != 0 {
		t.Errorf("Open folded acts of %d events, though every act had a summary of version 1", held)
	}
	if q.Digest() != want {
		t.Fatalf("opened from version 1 summaries: digest %s, want %s", q.Digest(), want)
	}
	if s.SummarizedAt() != s.Saved() {
		t.Errorf("after the summaries were written again, they are noted whole at %d, want %d", s.SummarizedAt(), s.Saved())
	}
	for id, data := range s.Summaries() {
		if !bytes.Equal(data, v2[id]) {
			t.Errorf("the summary of %s written again is %x, want %x", id, data, v2[id])
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	c := &countingStore{Store: openPebble(t, dir)}
	if q, err = projections.Open(c); err != nil {
		t.Fatal(err)
	}
	if c.read != 0 || q.Digest() != want {
		t.Errorf("opened again: %d records read (want none), digest %s (want %s)", c.read, q.Digest(), want)
	}
}
