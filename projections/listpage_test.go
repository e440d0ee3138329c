package projections_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// ListPage's pages, followed by their cursors, are PageOf's pages of the
// whole List, for every filter and limit: the same acts in the same order,
// the same next cursors.
func TestListPageIsPageOfList(t *testing.T) {
	l, beforeRepeal := listLedger(t)
	// Countries of which one is a prefix of another: "/akn/za-cpt/" sorts
	// before "/akn/za/".
	for _, id := range []events.ActID{"/akn/za/act/2001-01-01/1", "/akn/za-cpt/act/2001-01-01/1", "/akn/zb/act/2001-01-01/1", "/akn/za/act/2001-01-01/2"} {
		l.add(id, `{"type":"drafted","date":"2001-01-01","body":{"title":"Bill","kind":"law"}}`)
	}
	key := func(a projections.ActState) string { return string(a.Act) }
	for _, f := range []projections.Filter{
		{},
		{Country: "kz"},
		{Country: "uz"},
		{Status: projections.InForce},
		{Country: "kz", Kind: "law"},
		{Country: "none"},
		{Country: "za"},
		{Kind: "law"},
	} {
		for _, q := range []projections.Query{{AsOf: events.MustDate("2009-06-01")}, {AsOf: events.MustDate("2009-06-01"), KnownAt: beforeRepeal}} {
			all, err := l.p.List(f, q)
			if err != nil {
				t.Fatal(err)
			}
			if n, err := l.p.Count(f, q); err != nil || n != len(all) {
				t.Errorf("%+v: Count is %d (%v), want the %d acts of List", f, n, err, len(all))
			}
			for limit := 1; limit <= len(all)+1; limit++ {
				var c projections.Cursor
				for range len(all) + 2 {
					want := projections.PageOf(all, key, c, limit)
					got, err := l.p.ListPage(f, q, c, limit)
					if err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(rows(got.Items), rows(want.Items)) || got.Next != want.Next {
						t.Fatalf("%+v, known at %v, limit %d, after %q: ListPage gave %v next %q, want %v next %q",
							f, q.KnownAt != nil, limit, c.Key, rows(got.Items), got.Next.Key, rows(want.Items), want.Next.Key)
					}
					if c = got.Next; c.IsZero() {
						break
					}
				}
			}
		}
	}
}

// DiffPage's pages are PageOf's pages of the whole Diff, each with the
// number of changes of the whole list, for every filter, limit and cursor
// direction.
func TestDiffPageIsPageOfDiff(t *testing.T) {
	l, beforeRepeal := listLedger(t)
	key := func(c projections.Change) string { return string(c.Act) }
	from, to := events.MustDate("2001-06-01"), events.MustDate("2010-06-01")
	for _, f := range []projections.Filter{{}, {Country: "kz"}, {Kind: events.Law}, {Country: "none"}} {
		for _, kt := range []*time.Time{nil, beforeRepeal} {
			all, err := l.p.Diff(from, to, f, kt)
			if err != nil {
				t.Fatal(err)
			}
			if len(all) == 0 && f.Country != "none" {
				t.Fatalf("%+v: no change between %s and %s: the test needs some", f, from, to)
			}
			for limit := 1; limit <= len(all)+1; limit++ {
				for _, before := range []bool{false, true} {
					c := projections.Cursor{}
					if before {
						c = projections.Cursor{Key: "/akn/zz", Before: true}
					}
					for range len(all) + 2 {
						want := projections.PageOf(all, key, c, limit)
						got, total, err := l.p.DiffPage(from, to, f, kt, c, limit)
						if err != nil {
							t.Fatal(err)
						}
						if total != len(all) {
							t.Fatalf("%+v: DiffPage counts %d changes, Diff has %d", f, total, len(all))
						}
						if !reflect.DeepEqual(got.Items, want.Items) && !(len(got.Items) == 0 && len(want.Items) == 0) || got.Next != want.Next || got.Prev != want.Prev || got.Start != want.Start {
							t.Fatalf("%+v, known at %v, limit %d, cursor %+v: DiffPage gave %+v, want %+v", f, kt != nil, limit, c, got, want)
						}
						if before {
							c = got.Prev
						} else {
							c = got.Next
						}
						if c.IsZero() {
							break
						}
					}
				}
			}
		}
	}
}
