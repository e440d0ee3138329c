package projections_test

import (
	"reflect"
	"testing"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// A projection whose model cache holds fewer events than the ledger keeps
// at most its bound (beyond the act in use), drops and folds models again,
// and answers every question as one that holds them all. A count, and a
// list's acts that the filter passes over, fold no model: they read the
// spans decided when the model was dropped.
func TestModelCacheBound(t *testing.T) {
	l, _ := listLedger(t)
	full := l.p
	const bound = 4
	small := newProjection(t)
	small.SetModelCache(bound)
	for _, e := range entriesOf(t, full) {
		if _, err := small.Apply(e); err != nil {
			t.Fatal(err)
		}
		// No act of the ledger holds more than 4 events: the bound plus
		// the act in use.
		if held, _, _ := small.ModelCacheStats(); held > bound+5 {
			t.Fatalf("after sequence %d the cache holds models of %d events, over its bound of %d and the act in use", e.Seq, held, bound)
		}
	}
	if _, dropped, _ := small.ModelCacheStats(); dropped == 0 {
		t.Fatal("no model was dropped from a cache smaller than the ledger")
	}

	// Asking moves an act to the front of the cache, and changes nothing
	// it holds.
	heldBefore, _, _ := full.ModelCacheStats()
	for range 2 {
		for _, id := range full.Acts() {
			if _, err := full.State(id, projections.Query{AsOf: events.MustDate("2009-06-01")}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if held, dropped, _ := full.ModelCacheStats(); held != heldBefore || dropped != 0 {
		t.Errorf("asking every act twice changed the events the cache holds from %d to %d (%d dropped): a touch must only move an act", heldBefore, held, dropped)
	}

	// Before any other question: the spans were decided as the models
	// were dropped.
	_, _, before := small.ModelCacheStats()
	for _, d := range []string{"2005-06-01", "2009-06-01"} {
		if _, err := small.Count(projections.Filter{Status: projections.InForce}, projections.Query{AsOf: events.MustDate(d)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, after := small.ModelCacheStats(); after > before+1 {
		// The last act applied keeps its model; its spans are decided
		// from it, without a fold. Every other act's were decided as its
		// model was dropped.
		t.Errorf("a count by status folded %d models again: it reads the acts' spans", after-before)
	}

	days := []string{"1999-01-01", "2003-06-01", "2005-06-01", "2008-06-01", "2009-06-01", "2010-06-01"}
	for _, d := range days {
		q := projections.Query{AsOf: events.MustDate(d)}
		for _, id := range full.Acts() {
			want, _ := full.State(id, q)
			got, _ := small.State(id, q)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("State(%s, %s): the small cache answers %+v, the full one %+v", id, d, got, want)
			}
			wt, _ := full.Timeline(id, nil)
			gt, _ := small.Timeline(id, nil)
			if !reflect.DeepEqual(gt, wt) {
				t.Errorf("Timeline(%s): the small cache answers %+v, the full one %+v", id, gt, wt)
			}
		}
		for _, f := range []projections.Filter{{}, {Country: "kz"}, {Status: projections.InForce}, {Kind: events.Law, Status: projections.Repealed}} {
			want, _ := full.List(f, q)
			heldBefore, droppedBefore, _ := small.ModelCacheStats()
			got, _ := small.List(f, q)
			if held, dropped, _ := small.ModelCacheStats(); held != heldBefore || dropped != droppedBefore {
				t.Errorf("List(%+v, %s) changed the models held (%d events, then %d; %d dropped): a list folds the acts it passes without keeping them", f, d, heldBefore, held, dropped-droppedBefore)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("List(%+v, %s): the small cache answers %v, the full one %v", f, d, rows(got), rows(want))
			}
			_, _, before := small.ModelCacheStats()
			n, err := small.Count(f, q)
			if _, _, after := small.ModelCacheStats(); after != before {
				t.Errorf("Count(%+v, %s) folded %d models again: a count reads the acts' spans", f, d, after-before)
			}
			if err != nil || n != len(want) {
				t.Errorf("Count(%+v, %s) = %d, %v; want %d", f, d, n, err, len(want))
			}
		}
		for _, d2 := range days {
			want, _ := full.Diff(events.MustDate(d), events.MustDate(d2), projections.Filter{}, nil)
			got, _ := small.Diff(events.MustDate(d), events.MustDate(d2), projections.Filter{}, nil)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Diff(%s, %s): the small cache answers %+v, the full one %+v", d, d2, got, want)
			}
		}
	}
	// Every act but the one in use was asked after its model was dropped:
	// each was decoded from its frozen model, not folded again.
	if bytes, thaws := small.FrozenModelStats(); thaws == 0 || bytes == 0 {
		t.Errorf("a cache of %d events kept %d bytes of frozen models and thawed %d: the dropped models were not frozen", bound, bytes, thaws)
	}
}

// entriesOf returns the events and defects p applied, in stream order.
func entriesOf(t *testing.T, p *projections.Projection) []eventlog.Entry {
	t.Helper()
	var out []eventlog.Entry
	p.EachBySeq(func(e *eventlog.Entry) { out = append(out, *e) })
	return out
}

// EachLeaf yields every event and defect as EachBySeq does, with each
// event's hash: read from the bytes of a sealed event, computed for one of
// schema 1.
func TestEachLeaf(t *testing.T) {
	h := snapshotHistory(2)
	sealed := make([]eventlog.Entry, 0, len(h.entries))
	tips := map[events.ActID]events.Digest{}
	for _, e := range h.entries {
		ev := e.Event
		ev.Schema, ev.PrevHash = 2, tips[ev.Act]
		if _, err := ev.Seal(); err != nil {
			t.Fatal(err)
		}
		tips[ev.Act] = ev.Hash
		sealed = append(sealed, eventlog.Entry{Seq: e.Seq, Event: ev})
	}
	for name, entries := range map[string][]eventlog.Entry{"schema 1": h.entries, "sealed": sealed} {
		p := newProjection(t)
		for _, e := range entries {
			if _, err := p.Apply(e); err != nil {
				t.Fatal(err)
			}
		}
		type leaf struct {
			seq  uint64
			id   events.ID
			hash events.Digest
			bad  bool
		}
		var want, got []leaf
		p.EachBySeq(func(e *eventlog.Entry) {
			if e.Defect != nil {
				want = append(want, leaf{seq: e.Seq, hash: e.Defect.Digest, bad: true})
				return
			}
			h := e.Event.Hash
			if h.IsZero() {
				h, _ = e.Event.ComputeHash()
			}
			want = append(want, leaf{e.Seq, e.Event.ID, h, false})
		})
		p.EachLeaf(func(seq uint64, act events.ActID, id events.ID, hash events.Digest, err error, d *eventlog.Defect) {
			if err != nil {
				t.Fatalf("%s: sequence %d: %v", name, seq, err)
			}
			if d != nil {
				got = append(got, leaf{seq: seq, hash: d.Digest, bad: true})
				return
			}
			got = append(got, leaf{seq, id, hash, false})
		})
		if len(want) != len(entries) || !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: EachLeaf yields %d leaves, EachBySeq %d of %d entries, or they differ", name, len(got), len(want), len(entries))
		}
	}
}
