package projections_test

import (
	"fmt"
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
// direction; and DiffPageUncounted's pages are their items and next
// cursors, without Start or Prev (DiffPage's own page for a cursor
// Before), with no next cursor on the last page only.
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
						if want := diffTotals(all); total != want {
							t.Fatalf("%+v: DiffPage counts %+v, Diff has %+v", f, total, want)
						}
						if !samePage(got, want) {
							t.Fatalf("%+v, known at %v, limit %d, cursor %+v: DiffPage gave %+v, want %+v", f, kt != nil, limit, c, got, want)
						}
						early, err := l.p.DiffPageUncounted(from, to, f, kt, c, limit)
						if err != nil {
							t.Fatal(err)
						}
						wantEarly := got
						if !before {
							wantEarly = projections.Page[projections.Change]{Items: want.Items, Start: -1, Next: want.Next}
						}
						if !samePage(early, wantEarly) {
							t.Fatalf("%+v, known at %v, limit %d, cursor %+v: DiffPageUncounted gave %+v, want %+v", f, kt != nil, limit, c, early, wantEarly)
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

// samePage reports whether two pages of changes have the same items (an
// empty page as a nil one), start and cursors.
func samePage(a, b projections.Page[projections.Change]) bool {
	return (reflect.DeepEqual(a.Items, b.Items) || len(a.Items) == 0 && len(b.Items) == 0) &&
		a.Start == b.Start && a.Prev == b.Prev && a.Next == b.Next
}

// checkDiffPages walks DiffPageUncounted's pages by their next cursors,
// with each limit, and fails unless each is PageOf's page of all (the
// whole Diff) after the same cursor, the pages hold all, and only the
// last has no next cursor. It also asks for the page after each key of
// keys (acts that may not have changed, or keys between acts).
func checkDiffPages(t *testing.T, p *projections.Projection, from, to events.Date, f projections.Filter, kt *time.Time, all []projections.Change, keys []string, limits ...int) {
	t.Helper()
	key := func(c projections.Change) string { return string(c.Act) }
	where := func(c projections.Cursor, limit int) string {
		return fmt.Sprintf("%+v, %s to %s, known at %v, limit %d, after %q", f, from, to, kt != nil, limit, c.Key)
	}
	// page asks for the page of c and checks it against PageOf's.
	page := func(c projections.Cursor, limit int) projections.Page[projections.Change] {
		t.Helper()
		got, err := p.DiffPageUncounted(from, to, f, kt, c, limit)
		if err != nil {
			t.Fatal(err)
		}
		pg := projections.PageOf(all, key, c, limit)
		if want := (projections.Page[projections.Change]{Items: pg.Items, Start: -1, Next: pg.Next}); !samePage(got, want) {
			t.Fatalf("%s: DiffPageUncounted gave %+v, want %+v", where(c, limit), got, want)
		}
		return got
	}
	for _, limit := range limits {
		var c projections.Cursor
		var walked []projections.Change
		for pages := 1; ; pages++ {
			got := page(c, limit)
			walked = append(walked, got.Items...)
			if c = got.Next; c.IsZero() {
				if n := max(1, (len(all)+limit-1)/limit); pages != n {
					t.Fatalf("%s: the walk ended after %d pages, want %d for %d changes", where(c, limit), pages, n, len(all))
				}
				break
			}
			if pages > len(all) {
				t.Fatalf("%s: page %d of %d changes has a next cursor", where(c, limit), pages, len(all))
			}
		}
		if len(walked) != len(all) || len(all) > 0 && !reflect.DeepEqual(walked, all) {
			t.Fatalf("%s: the pages hold %d changes, Diff %d:\n%s", where(c, limit), len(walked), len(all), diffOf(walked, all))
		}
		for _, k := range keys {
			page(projections.Cursor{Key: k}, limit)
		}
	}
}

func diffTotals(all []projections.Change) projections.DiffTotals {
	t := projections.DiffTotals{Changes: len(all)}
	for _, c := range all {
		if c.EnteredForce {
			t.Entered++
		}
		if c.LeftForce {
			t.Left++
		}
	}
	return t
}

// SelectPage's pages are PageOf's pages of List filtered by status, with
// their number, and Tally counts List's acts by status, for every filter.
func TestSelectPageAndTally(t *testing.T) {
	l, beforeRepeal := listLedger(t)
	key := func(a projections.ActState) string { return string(a.Act) }
	for _, f := range []projections.Filter{{}, {Country: "kz"}, {Kind: events.Law}, {Country: "none"}} {
		for _, d := range []string{"2001-06-01", "2009-06-01", "2010-06-01"} {
			for _, kt := range []*time.Time{nil, beforeRepeal} {
				q := projections.Query{AsOf: events.MustDate(d), KnownAt: kt}
				all, err := l.p.List(f, q)
				if err != nil {
					t.Fatal(err)
				}
				want := map[projections.Status]int{}
				var inForce []projections.ActState
				for _, a := range all {
					want[a.Status]++
					if a.Status.InForceOn() {
						inForce = append(inForce, a)
					}
				}
				got, err := l.p.Tally(f, q)
				if err != nil || !reflect.DeepEqual(got, want) {
					t.Errorf("Tally(%+v, %s, known %v) = %v, %v; want %v", f, d, kt != nil, got, err, want)
				}
				for limit := 1; limit <= len(inForce)+1; limit++ {
					c := projections.Cursor{}
					for range len(inForce) + 2 {
						want := projections.PageOf(inForce, key, c, limit)
						pg, n, err := l.p.SelectPage(f, q, projections.Status.InForceOn, c, limit)
						if err != nil {
							t.Fatal(err)
						}
						if n != len(inForce) || !reflect.DeepEqual(rows(pg.Items), rows(want.Items)) || pg.Next != want.Next || pg.Prev != want.Prev || pg.Start != want.Start {
							t.Fatalf("SelectPage(%+v, %s, known %v, limit %d, %+v) = %v (%d of %d), want %v (%d of %d)", f, d, kt != nil, limit, c, rows(pg.Items), pg.Start, n, rows(want.Items), want.Start, len(inForce))
						}
						if c = pg.Next; c.IsZero() {
							break
						}
					}
				}
			}
		}
	}
}

// ListRange is a slice of List with its length, and CountByCountry counts
// List's acts by jurisdiction, now and as known at a past time.
func TestListRangeAndCountByCountry(t *testing.T) {
	l, beforeRepeal := listLedger(t)
	for _, kt := range []*time.Time{nil, beforeRepeal} {
		for _, f := range []projections.Filter{{}, {Country: "kz"}, {Status: projections.InForce}, {Kind: events.Law}} {
			q := projections.Query{AsOf: events.MustDate("2009-06-01"), KnownAt: kt}
			all, err := l.p.List(f, q)
			if err != nil {
				t.Fatal(err)
			}
			for from := 0; from <= len(all)+1; from++ {
				for to := from; to <= len(all)+2; to += 2 {
					got, n, err := l.p.ListRange(f, q, from, to)
					want := all[min(from, len(all)):min(to, len(all))]
					if err != nil || n != len(all) || !reflect.DeepEqual(rows(got), rows(want)) {
						t.Fatalf("ListRange(%+v, %d, %d) = %v of %d (%v), want %v of %d", f, from, to, rows(got), n, err, rows(want), len(all))
					}
				}
			}
		}
		all, _ := l.p.List(projections.Filter{}, projections.Query{AsOf: events.MustDate("2009-06-01"), KnownAt: kt})
		want := map[string]int{}
		for _, a := range all {
			want[a.Country]++
		}
		if got := l.p.CountByCountry(kt); !reflect.DeepEqual(got, want) {
			t.Errorf("CountByCountry(known %v) = %v, want %v", kt != nil, got, want)
		}
	}
}
