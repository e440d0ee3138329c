package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/projections"
	"github.com/lexledger/lexledger/projector"
)

// pagedAct is the identifier of the i-th act of recordActs.
func pagedAct(name string) events.ActID {
	return events.ActID("/akn/kz/act/2020-01-01/" + name)
}

// recordActs drafts an act of each name, in one atomic batch, and returns
// the last receipt's sequence.
func recordActs(t testing.TB, l *ledger.Ledger, names ...string) uint64 {
	t.Helper()
	var cmds []ledger.Command
	for _, n := range names {
		cmds = append(cmds, ledger.Command{Event: events.Event{ID: events.NewID(), Act: pagedAct(n), Type: events.Drafted,
			Date: events.MustDate("2020-01-01"), Body: events.Body{Title: "Law " + n, Kind: events.Law}}})
	}
	var last uint64
	for i := 0; i < len(cmds); i += 1000 {
		rs, err := l.AppendAtomic(context.Background(), "clerk@test", cmds[i:min(i+1000, len(cmds))])
		if err != nil {
			t.Fatalf("draft %d acts: %v", len(cmds), err)
		}
		last = rs[len(rs)-1].Seq
	}
	return last
}

// names returns n act names from first, zero-padded so that they sort as
// numbers.
func names(first, n int) []string {
	var out []string
	for i := first; i < first+n; i++ {
		out = append(out, fmt.Sprintf("%05d", i))
	}
	return out
}

// actsPage asks one page of the acts of 2021-01-01.
func actsPage(t *testing.T, base string, kv ...string) httpapi.ActsPage {
	t.Helper()
	var pg httpapi.ActsPage
	mustGet(t, base, "/v1/acts", append([]string{"as_of", "2021-01-01"}, kv...)...).decode(t, &pg)
	return pg
}

// Paging through 250 acts by 100 gives every act once, in identifier
// order, in pages of 100, 100 and 50; only the last has no next_cursor.
// Acts recorded between two requests do not shift or repeat the pages
// after the cursor: those after it come on a later page, those before it
// do not.
func TestActsArePagedByCursor(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env)
	last := recordActs(t, l, names(0, 250)...)
	r := startService(t, env.Store, env.Conn, projector.Options{})
	r.waitFor(t, last)

	t.Run("OK", func(t *testing.T) {
		var got []events.ActID
		var sizes []int
		cursor := ""
		for range 10 {
			pg := actsPage(t, r.url, "limit", "100", "cursor", cursor)
			// The total is counted on the first page, not the later.
			if first := cursor == ""; first && (pg.Total == nil || *pg.Total != 250) || !first && pg.Total != nil {
				t.Errorf("the page after %q has total %v, want 250 on the first page only", cursor, totalOf(pg.Total))
			}
			sizes = append(sizes, len(pg.Acts))
			for _, a := range pg.Acts {
				got = append(got, a.Act)
			}
			if cursor = pg.NextCursor; cursor == "" {
				break
			}
		}
		if want := []int{100, 100, 50}; !slices.Equal(sizes, want) {
			t.Errorf("the pages held %v acts, want %v", sizes, want)
		}
		checkEveryActOnce(t, got, names(0, 250))
	})

	t.Run("DefaultIsTheFirstPage", func(t *testing.T) {
		// A client that knows nothing of paging gets the first page and a
		// cursor, not the whole list.
		pg := actsPage(t, r.url)
		if len(pg.Acts) != projections.DefaultLimit || pg.NextCursor == "" || totalOf(pg.Total) != "250" {
			t.Errorf("without limit: %d acts, next_cursor %q, total %s; want %d, a cursor, 250", len(pg.Acts), pg.NextCursor, totalOf(pg.Total), projections.DefaultLimit)
		}
	})

	t.Run("AppendedBetweenPages", func(t *testing.T) {
		first := actsPage(t, r.url, "limit", "100")
		// New acts: before the cursor (00050a sorts after 00050, before
		// 00051), and after it.
		added := []string{"00050a", "00150a", "00300"}
		r.waitFor(t, recordActs(t, l, added...))
		got := slices.Collect(func(yield func(events.ActID) bool) {
			for _, a := range first.Acts {
				yield(a.Act)
			}
		})
		cursor := first.NextCursor
		for cursor != "" {
			pg := actsPage(t, r.url, "limit", "100", "cursor", cursor)
			for _, a := range pg.Acts {
				got = append(got, a.Act)
			}
			cursor = pg.NextCursor
		}
		// Every act once; of the new ones, those after the first page's
		// cursor, and not the one before it.
		checkEveryActOnce(t, got, append(names(0, 250), "00150a", "00300"))
	})
}

// totalOf is a page's total as text: "none" when absent.
func totalOf(n *int) string {
	if n == nil {
		return "none"
	}
	return fmt.Sprint(*n)
}

// checkEveryActOnce checks that got holds the acts of want, each once, in
// identifier order.
func checkEveryActOnce(t *testing.T, got []events.ActID, want []string) {
	t.Helper()
	var w []events.ActID
	for _, n := range want {
		w = append(w, pagedAct(n))
	}
	slices.Sort(w)
	if !slices.Equal(got, w) {
		seen := map[events.ActID]int{}
		for _, a := range got {
			seen[a]++
		}
		for _, a := range w {
			if seen[a] != 1 {
				t.Errorf("%s came %d times, want once", a, seen[a])
			}
		}
		t.Fatalf("the pages gave %d acts, want %d in identifier order", len(got), len(w))
	}
}

// The changes between two days come in pages too, in identifier order,
// each once, and together the whole list; the total is on the first page
// only, absent from the JSON of the pages after it.
func TestDiffIsPaged(t *testing.T) {
	_, r, _ := seeded(t)
	var whole httpapi.DiffPage
	mustGet(t, r.url, "/v1/diff", "from", "2000-01-01", "to", "2015-01-01", "limit", "1000").decode(t, &whole)
	if len(whole.Changes) < 2 || whole.NextCursor != "" || whole.Total == nil || *whole.Total != len(whole.Changes) {
		t.Fatalf("the whole diff: %d changes, total %s, next_cursor %q; want at least 2 on one page, counted", len(whole.Changes), totalOf(whole.Total), whole.NextCursor)
	}
	var got []projections.Change
	cursor := ""
	for i := range 100 {
		a := mustGet(t, r.url, "/v1/diff", "from", "2000-01-01", "to", "2015-01-01", "limit", "1", "cursor", cursor)
		var pg httpapi.DiffPage
		a.decode(t, &pg)
		var fields map[string]json.RawMessage
		a.decode(t, &fields)
		_, hasTotal := fields["total"]
		if first := cursor == ""; first && totalOf(pg.Total) != fmt.Sprint(len(whole.Changes)) || !first && hasTotal {
			t.Fatalf("page %d (cursor %q) has total %s, want %d on the first page only", i+1, cursor, fields["total"], len(whole.Changes))
		}
		if len(pg.Changes) != 1 {
			t.Fatalf("page %d of limit=1 held %d changes, want 1", i+1, len(pg.Changes))
		}
		got = append(got, pg.Changes...)
		if (pg.NextCursor == "") != (i == len(whole.Changes)-1) {
			t.Fatalf("page %d of %d has next_cursor %q: only the last has none", i+1, len(whole.Changes), pg.NextCursor)
		}
		if cursor = pg.NextCursor; cursor == "" {
			break
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(whole.Changes) {
		t.Errorf("the pages of one change gave\n%v\nwant the whole list\n%v", got, whole.Changes)
	}
}

// An act's history over the ledger's API comes in pages in stream order,
// with the act's version on every page; events recorded between two
// requests come after the cursor.
func TestHistoryIsPaged(t *testing.T) {
	a := startAPI(t)
	loadSeed(t, a.ledger)
	var cmds []ledger.Command
	for i := range 230 {
		cmds = append(cmds, ledger.Command{Event: amendment(i)})
	}
	if _, err := a.ledger.AppendAtomic(context.Background(), "clerk@test", cmds); err != nil {
		t.Fatal(err)
	}
	whole := historyPages(t, a, "1000")
	if len(whole) != 1 {
		t.Fatalf("limit=1000 gave %d pages, want 1", len(whole))
	}
	n := len(whole[0].Events)
	if n < 230 || whole[0].Version != uint64(n) {
		t.Fatalf("the whole history holds %d events at version %d, want more than 230, at its count", n, whole[0].Version)
	}
	pages := historyPages(t, a, "100")
	var seqs []uint64
	for i, pg := range pages {
		if pg.Version != uint64(n) {
			t.Errorf("page %d says version %d, want the act's %d", i+1, pg.Version, n)
		}
		if (pg.NextCursor == "") != (i == len(pages)-1) {
			t.Errorf("page %d of %d has next_cursor %q: only the last has none", i+1, len(pages), pg.NextCursor)
		}
		for _, e := range pg.Events {
			seqs = append(seqs, e.Seq)
		}
	}
	increasing := true
	for i := 1; i < len(seqs); i++ {
		increasing = increasing && seqs[i-1] < seqs[i]
	}
	if len(pages) != (n+99)/100 || len(seqs) != n || !increasing {
		t.Errorf("%d pages of 100 gave %d events (in stream order, each once: %v), want %d pages of the %d events", len(pages), len(seqs), increasing, (n+99)/100, n)
	}
}

// historyPages follows the history of the Criminal Code from the first
// page to the last, limit events a page.
func historyPages(t *testing.T, a *api, limit string) []ledger.HistoryJSON {
	t.Helper()
	var out []ledger.HistoryJSON
	cursor := ""
	for range 100 {
		v := url.Values{"act": {string(criminalCode)}, "limit": {limit}, "cursor": {cursor}}
		status, data, _ := a.do(t, "GET", "/v1/history?"+v.Encode(), nil)
		if status != http.StatusOK {
			t.Fatalf("GET /v1/history: %d %s", status, data)
		}
		var h ledger.HistoryJSON
		answer{body: data}.decode(t, &h)
		out = append(out, h)
		if cursor = h.NextCursor; cursor == "" {
			break
		}
	}
	return out
}

// A bad limit or cursor is refused with 400 and a message that names the
// parameter, on every paged list.
func TestBadPagingIs400(t *testing.T) {
	_, r, _ := seeded(t)
	a := startAPI(t)
	loadSeed(t, a.ledger)
	historyCursor := projections.Cursor{Key: projections.SeqKey(3)}.String()
	actCursor := projections.Cursor{Key: string(refugees)}.String()
	for _, tc := range []struct {
		name, base, path, param string
		kv                      []string
	}{
		{"acts, limit 0", r.url, "/v1/acts", "limit", []string{"limit", "0"}},
		{"acts, limit over the most", r.url, "/v1/acts", "limit", []string{"limit", "1001"}},
		{"acts, limit not a number", r.url, "/v1/acts", "limit", []string{"limit", "ten"}},
		{"acts, cursor not one", r.url, "/v1/acts", "cursor", []string{"cursor", "not-a-cursor"}},
		{"acts, cursor of a history", r.url, "/v1/acts", "cursor", []string{"cursor", historyCursor}},
		{"diff, limit", r.url, "/v1/diff", "limit", []string{"from", "2000-01-01", "to", "2010-01-01", "limit", "-1"}},
		{"diff, cursor", r.url, "/v1/diff", "cursor", []string{"from", "2000-01-01", "to", "2010-01-01", "cursor", "%%%"}},
		{"history, limit", a.srv.URL, "/v1/history", "limit", []string{"act", string(refugees), "limit", "5000"}},
		{"history, cursor", a.srv.URL, "/v1/history", "cursor", []string{"act", string(refugees), "cursor", "eA"}},
		{"history, cursor of acts", a.srv.URL, "/v1/history", "cursor", []string{"act", string(refugees), "cursor", actCursor}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ans := get(t, tc.base, tc.path, tc.kv...)
			if ans.status != http.StatusBadRequest {
				t.Fatalf("answered %d %s, want 400", ans.status, ans.body)
			}
			var e errorBody
			ans.decode(t, &e)
			if e.Error.Code != string(events.CodeInvalid) || !strings.HasPrefix(e.Error.Message, tc.param+"=") {
				t.Errorf("the error is %s %q, want invalid, naming %s=", e.Error.Code, e.Error.Message, tc.param)
			}
		})
	}
}
