package projections_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// Diff for the record as it now stands, which reads the rows of the acts
// that the day index says change in between (or every row), answers as
// Diff as known at a time after every event, which folds every act's
// model: for narrow and wide spans of days, in both orders, with queries
// between the events so that the index is built, then met by acts added
// (a merge) and acts changed (rows written again). DiffPageUncounted's
// pages, walked by cursor, are the pages of each Diff, now and as known
// later, and so are its pages after random acts and keys between them.
func TestDiffByDayIndexIsDiffByModels(t *testing.T) {
	later := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	for seed := range uint64(4) {
		r := rand.New(rand.NewPCG(seed, 15))
		h := generate(r, genOptions{acts: 150, events: 900})
		p := newProjection(t)
		for k, e := range h.entries {
			if _, err := p.Apply(e); err != nil {
				t.Fatalf("Apply(%d): %v", e.Seq, err)
			}
			if k%40 != 39 && k != len(h.entries)-1 {
				continue
			}
			for range 12 {
				d1 := events.MustDate("1996-01-01").Earliest() + events.DayNum(r.IntN(20*365))
				d2 := d1 + events.DayNum(r.IntN(5)*r.IntN(3*365)) - events.DayNum(r.IntN(2)*r.IntN(365))
				from, to := d1.Date(), d2.Date()
				for _, f := range []projections.Filter{{}, {Country: "kz"}, {Country: "za"}, {Kind: events.Law}} {
					got, err := p.Diff(from, to, f, nil)
					if err != nil {
						t.Fatal(err)
					}
					want, err := p.Diff(from, to, f, &later)
					if err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(got, want) {
						t.Fatalf("seed %d, after %d events, %+v, %s to %s: Diff now gave %d changes, known later %d:\n%s",
							seed, k+1, f, from, to, len(got), len(want), diffOf(got, want))
					}
					acts := p.Acts()
					var keys []string
					for range 3 {
						id := string(acts[r.IntN(len(acts))])
						keys = append(keys, id, id+"0", id[:len(id)-1])
					}
					checkDiffPages(t, p, from, to, f, nil, got, keys, 1, 3, 100)
					checkDiffPages(t, p, from, to, f, &later, want, keys, 2, 7)
				}
			}
		}
	}
}

// diffOf names the first change where two lists of changes part.
func diffOf(got, want []projections.Change) string {
	for i := range max(len(got), len(want)) {
		var g, w projections.Change
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			return fmt.Sprintf("at %d: got %+v, want %+v", i, g, w)
		}
	}
	return ""
}
