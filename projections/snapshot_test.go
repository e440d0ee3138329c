package projections_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// snapshotHistory is a generated history over many acts and countries.
func snapshotHistory(seed uint64) *genHistory {
	r := rand.New(rand.NewPCG(seed, 7))
	return generate(r, genOptions{acts: 10, events: 250})
}

func writeSnapshot(t testing.TB, p *projections.Projection) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := p.WriteSnapshot(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// questions asks a projection a grid of questions and returns the answers,
// for comparing two projections.
func questions(t testing.TB, p *projections.Projection, h *genHistory) []any {
	t.Helper()
	var out []any
	knowns := []*time.Time{nil}
	for i := 0; i < len(h.entries); i += 17 {
		at := h.entries[i].Event.RecordedAt
		knowns = append(knowns, &at)
	}
	days := []events.Date{}
	for y := 1998; y <= 2014; y++ {
		days = append(days, events.MustDate(fmt.Sprintf("%d-01-01", y)), events.MustDate(fmt.Sprintf("%d-07-15", y)))
	}
	for _, kt := range knowns {
		for _, a := range h.acts {
			for _, d := range days {
				s, err := p.State(a.id, projections.Query{AsOf: d, KnownAt: kt})
				out = append(out, s, fmt.Sprint(err))
			}
			tl, err := p.Timeline(a.id, kt)
			out = append(out, tl, fmt.Sprint(err))
		}
		for _, d := range days {
			list, err := p.List(projections.Filter{}, projections.Query{AsOf: d, KnownAt: kt})
			out = append(out, list, fmt.Sprint(err))
			list, err = p.List(projections.Filter{Country: "kz", Status: projections.InForce}, projections.Query{AsOf: d, KnownAt: kt})
			out = append(out, list, fmt.Sprint(err))
		}
		ch, err := p.Diff(days[0], days[len(days)-1], projections.Filter{}, kt)
		out = append(out, ch, fmt.Sprint(err))
	}
	return out
}

func TestSnapshotRoundTrip(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		h := snapshotHistory(seed)
		p := project(t, h.entries)
		data := writeSnapshot(t, p)
		q, err := readSnapshot(t, bytes.NewReader(data))
		if err != nil {
			t.Fatalf("seed %d: ReadSnapshot: %v", seed, err)
		}
		if q.Digest() != p.Digest() || q.LastSeq() != p.LastSeq() || q.Events() != p.Events() {
			t.Fatalf("seed %d: restored digest %s seq %d events %d, want %s %d %d", seed, q.Digest(), q.LastSeq(), q.Events(), p.Digest(), p.LastSeq(), p.Events())
		}
		if !bytes.Equal(writeSnapshot(t, q), data) {
			t.Errorf("seed %d: the restored projection writes other bytes", seed)
		}
		f1, ok1 := p.FirstRecord()
		f2, ok2 := q.FirstRecord()
		if ok1 != ok2 || !f1.Equal(f2) {
			t.Errorf("seed %d: FirstRecord %v %v, restored %v %v", seed, f1, ok1, f2, ok2)
		}
		a, b := questions(t, p, h), questions(t, q, h)
		if len(a) != len(b) {
			t.Fatalf("seed %d: %d answers and %d", seed, len(a), len(b))
		}
		for i := range a {
			if !reflect.DeepEqual(a[i], b[i]) {
				t.Fatalf("seed %d: answer %d differs after a snapshot:\n %+v\n %+v", seed, i, a[i], b[i])
			}
		}
		// The header says what it holds.
		header, _, _ := strings.Cut(string(data), "\n")
		if want := fmt.Sprintf(`{"projection":%d,"last_seq":%d,"events":%d,"acts":%d}`, projections.Version, p.LastSeq(), p.Events(), len(h.acts)); header != want && len(h.acts) == countActs(h) {
			t.Errorf("seed %d: header %s, want %s", seed, header, want)
		}
		if lines := strings.Count(string(data), "\n"); lines != len(h.entries)+1 {
			t.Errorf("seed %d: %d lines, want a header and %d events", seed, lines, len(h.entries))
		}
	}
}

// countActs counts the acts that have events.
func countActs(h *genHistory) int {
	n := 0
	for _, a := range h.acts {
		if len(a.hist) > 0 {
			n++
		}
	}
	return n
}

// TestSnapshotBytesIdentical: two projections that applied the same events
// write the same bytes, whatever the order their acts were first seen in
// memory; a restored projection that follows the rest of the stream
// catches up with one that applied all of it.
func TestSnapshotBytesIdentical(t *testing.T) {
	h := snapshotHistory(9)
	p1, p2 := project(t, h.entries), project(t, h.entries)
	b1, b2 := writeSnapshot(t, p1), writeSnapshot(t, p2)
	if !bytes.Equal(b1, b2) || p1.Digest() != p2.Digest() {
		t.Fatal("two projections of the same events write different snapshots")
	}
	if len(p1.Digest()) != 64 {
		t.Errorf("digest %q is not SHA-256 hex", p1.Digest())
	}
	for _, k := range []int{0, 1, len(h.entries) / 3, len(h.entries) - 1, len(h.entries)} {
		mid := writeSnapshot(t, project(t, h.entries[:k]))
		q, err := readSnapshot(t, bytes.NewReader(mid))
		if err != nil {
			t.Fatalf("ReadSnapshot at %d: %v", k, err)
		}
		for _, e := range h.entries[k:] {
			if _, err := q.Apply(e); err != nil {
				t.Fatalf("Apply(%d) after a snapshot at %d: %v", e.Seq, k, err)
			}
		}
		if !bytes.Equal(writeSnapshot(t, q), b1) {
			t.Errorf("a snapshot at %d events followed by the rest differs from the whole", k)
		}
	}
	// A different stream, a different digest.
	if project(t, h.entries[:len(h.entries)-1]).Digest() == p1.Digest() {
		t.Error("one event fewer, the same digest")
	}
}

func TestSnapshotOfAnotherVersion(t *testing.T) {
	l, _ := listLedger(t)
	data := writeSnapshot(t, l.p)
	header := fmt.Sprintf(`{"projection":%d,`, projections.Version)
	if !bytes.HasPrefix(data, []byte(header)) {
		t.Fatalf("snapshot starts %q, want %q", data[:40], header)
	}
	for _, v := range []int{projections.Version + 1, 0} {
		other := bytes.Replace(data, []byte(header), []byte(fmt.Sprintf(`{"projection":%d,`, v)), 1)
		p, err := projections.ReadSnapshot(bytes.NewReader(other))
		if !errors.Is(err, projections.ErrOtherVersion) || p != nil {
			t.Errorf("ReadSnapshot of version %d = %v, %v; want ErrOtherVersion", v, p, err)
		}
	}
}

func TestSnapshotDamaged(t *testing.T) {
	l, _ := listLedger(t)
	data := writeSnapshot(t, l.p)
	header, rest, _ := strings.Cut(string(data), "\n")
	firstLine, _, _ := strings.Cut(rest, "\n")
	cases := map[string]string{
		"empty":            "",
		"header not JSON":  "projection 1\n" + rest,
		"event not JSON":   header + "\n{\"seq\":1,\"event\":\n" + rest,
		"bad act":          header + "\n" + strings.Replace(firstLine, `"act":"/akn/`, `"act":"akn/`, 1) + "\n",
		"fewer acts":       header + "\n" + firstLine + "\n",
		"line over limits": header + "\n" + `{"seq":1,"event":{"act":"/akn/kz/act/2000/1","note":"` + strings.Repeat("x", 2<<20) + `"}}` + "\n",
	}
	for name, s := range cases {
		if p, err := projections.ReadSnapshot(strings.NewReader(s)); err == nil || p != nil {
			t.Errorf("%s: ReadSnapshot = %v, %v; want an error", name, p, err)
		}
	}
	// An empty projection round-trips.
	empty := writeSnapshot(t, projections.New())
	p, err := projections.ReadSnapshot(bytes.NewReader(empty))
	if err != nil || p.LastSeq() != 0 || p.Digest() != projections.New().Digest() {
		t.Errorf("empty snapshot: %v, %v", p, err)
	}
}

type failingWriter struct{ after int }

func (w *failingWriter) Write(b []byte) (int, error) {
	if w.after -= len(b); w.after < 0 {
		return 0, errors.New("disk full")
	}
	return len(b), nil
}

func TestSnapshotWriteError(t *testing.T) {
	h := snapshotHistory(4)
	p := project(t, h.entries)
	if err := p.WriteSnapshot(&failingWriter{after: 10}); err == nil {
		t.Error("WriteSnapshot to a failing writer succeeded")
	}
}

// TestApplyOutOfOrder: an event at or before LastSeq is refused and
// changes nothing.
func TestApplyOutOfOrder(t *testing.T) {
	l, _ := listLedger(t)
	p := l.p
	digest, seq, n := p.Digest(), p.LastSeq(), p.Events()
	before := l.state(kzOld, "2009-01-01", nil)
	stale := l.entries[len(l.entries)-1]
	repeal := stale
	repeal.Event.ID = events.NewID()
	replay := []eventlog.Entry{
		stale,                           // the last event again
		l.entries[0],                    // the first one again
		{Seq: seq, Event: repeal.Event}, // a new event at the last sequence
		{Seq: 0, Event: repeal.Event},
	}
	for _, e := range replay {
		changed, err := p.Apply(e)
		if err == nil || changed != nil {
			t.Errorf("Apply(seq %d) after %d = %v, %v; want an error", e.Seq, seq, changed, err)
		} else if !strings.Contains(err.Error(), fmt.Sprint(seq)) {
			t.Errorf("Apply's error %q does not say the last sequence %d", err, seq)
		}
	}
	if p.Digest() != digest || p.LastSeq() != seq || p.Events() != n {
		t.Errorf("refused events changed the projection: seq %d events %d", p.LastSeq(), p.Events())
	}
	if after := l.state(kzOld, "2009-01-01", nil); !reflect.DeepEqual(after, before) {
		t.Errorf("refused events changed an answer: %+v, was %+v", after, before)
	}
	// Restored from a snapshot, the checkpoint holds too.
	q, err := projections.ReadSnapshot(bytes.NewReader(writeSnapshot(t, p)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Apply(stale); err == nil || q.Digest() != digest {
		t.Errorf("a restored projection accepted seq %d again (%v)", stale.Seq, err)
	}
	// A gap in sequences is fine: the stream may skip.
	next := eventlog.Entry{Seq: seq + 10, Event: events.Event{Schema: 1, ID: events.NewID(), Act: kzBill, Type: events.Lapsed,
		Date: events.MustDate("2010-01-01"), RecordedAt: hour(1000), RecordedBy: "clerk@test"}}
	if _, err := p.Apply(next); err != nil || p.LastSeq() != seq+10 || p.Events() != n+1 || p.Digest() == digest {
		t.Errorf("Apply after a gap: %v, seq %d, events %d", err, p.LastSeq(), p.Events())
	}
}

// TestConcurrentReads: reads may run together (the projector holds a read
// lock for them); answers from many goroutines are the sequential ones.
func TestConcurrentReads(t *testing.T) {
	h := snapshotHistory(5)
	p := project(t, h.entries)
	want := questions(t, project(t, h.entries), h)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got := questions(t, p, h)
			for i := range got {
				if !reflect.DeepEqual(got[i], want[i]) {
					errs <- fmt.Sprintf("answer %d differs when read concurrently", i)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestSnapshotIsEventsByAct: the snapshot holds each act's events in
// stream order, acts in identifier order.
func TestSnapshotIsEventsByAct(t *testing.T) {
	l, _ := listLedger(t)
	sc := bufio.NewScanner(bytes.NewReader(writeSnapshot(t, l.p)))
	sc.Scan()
	var prevAct events.ActID
	var prevSeq uint64
	n := 0
	for sc.Scan() {
		var e struct { // a snapshot line, as format Version writes it
			Seq   uint64       `json:"seq"`
			Event events.Event `json:"event"`
		}
		if err := jsonUnmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		if e.Event.Act < prevAct || (e.Event.Act == prevAct && e.Seq <= prevSeq) {
			t.Errorf("line %d: %s %d after %s %d", n, e.Event.Act, e.Seq, prevAct, prevSeq)
		}
		prevAct, prevSeq = e.Event.Act, e.Seq
		n++
	}
	if n != len(l.entries) {
		t.Errorf("%d events in the snapshot, want %d", n, len(l.entries))
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
