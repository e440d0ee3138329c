package projections_test

import (
	"reflect"
	"testing"

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
