package projections

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// pageCut's pages are PageOf's over the same items, for every length,
// limit and cursor: before, on and after each item, in both directions,
// and past the end.
func TestPageCutIsPageOf(t *testing.T) {
	key := func(s string) string { return s }
	for n := range 9 {
		var items []string
		for i := range n {
			items = append(items, fmt.Sprintf("k%02d", 2*i+1))
		}
		keys := []string{""}
		for i := range 2*n + 3 {
			keys = append(keys, fmt.Sprintf("k%02d", i))
		}
		if n > 0 {
			keys = append(keys, items[n-1]+"\x00")
		}
		for limit := 0; limit <= n+2; limit++ {
			for _, k := range keys {
				for _, before := range []bool{false, true} {
					c := Cursor{Key: k, Before: before}
					want := PageOf(items, key, c, limit)
					pc := newPageCut(key, c, limit)
					for _, x := range items {
						pc.add(x, strings.Compare(x, k))
					}
					got := pc.page()
					if !reflect.DeepEqual(got.Items, want.Items) && !(len(got.Items) == 0 && len(want.Items) == 0) ||
						got.Start != want.Start || got.Prev != want.Prev || got.Next != want.Next {
						t.Fatalf("%d items, limit %d, cursor %+v: pageCut gave %+v, PageOf %+v", n, limit, c, got, want)
					}
				}
			}
		}
	}
}
