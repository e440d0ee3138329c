package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// draftedActs are n acts drafted on 2020-01-01, in identifier order.
func draftedActs(n int) ([]events.Event, []events.ActID) {
	var evs []events.Event
	var ids []events.ActID
	for i := range n {
		id := events.ActID(fmt.Sprintf("/akn/kz/act/2020-01-01/%05d", i))
		evs = append(evs, events.Event{ID: events.NewID(), Act: id, Type: events.Drafted, Date: events.MustDate("2020-01-01"),
			Body: events.Body{Title: fmt.Sprintf("Law %d", i), Kind: events.Law}})
		ids = append(ids, id)
	}
	return evs, ids
}

// asof follows the pages of the list to the end: 250 acts asked 100 at a
// time are printed each once, in order, under one heading; --limit stops
// early and says so; --json prints one document of them all.
func TestAsOfPrintsEveryPage(t *testing.T) {
	evs, ids := draftedActs(250)
	url, asked := serveEvents(t, evs)

	checkEveryPage(t, url, asked, []string{"asof", "2021-01-01"}, "250 acts on 2021-01-01", "STATUS", ids)

	t.Run("JSON", func(t *testing.T) {
		out, errs, err := runCmd(t, "asof", "2021-01-01", "--server", url, "--page-size", "100", "--json")
		if err != nil {
			t.Fatalf("asof --json: %v\n%s", err, errs)
		}
		var got struct {
			Acts []projections.ActState `json:"acts"`
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("asof --json prints no one JSON document: %v\n%.300s", err, out)
		}
		if len(got.Acts) != 250 || got.Acts[0].Act != ids[0] || got.Acts[249].Act != ids[249] {
			t.Errorf("asof --json gave %d acts, want the 250 in order", len(got.Acts))
		}
	})

	t.Run("Diff", func(t *testing.T) {
		// Drafted acts change no status between two days; the answer is an
		// empty list, one page.
		out, errs, err := runCmd(t, "diff", "2019-01-01", "2021-01-01", "--server", url, "--page-size", "100", "--json")
		if err != nil {
			t.Fatalf("diff --json: %v\n%s", err, errs)
		}
		var got struct {
			Changes []projections.Change `json:"changes"`
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("diff --json prints no one JSON document: %v\n%.300s", err, out)
		}
	})

	t.Run("ErrBadFlags", func(t *testing.T) {
		for _, args := range [][]string{{"--limit", "-1"}, {"--page-size", "0"}, {"--page-size", "1001"}} {
			if _, _, err := runCmd(t, append([]string{"asof", "2021-01-01", "--server", url}, args...)...); err == nil {
				t.Errorf("asof %v succeeded", args)
			}
		}
	})
}

// diff follows the pages of the changes to the end under one heading with
// their number, which only the first page carries; --limit stops early
// and says how many of how many it printed.
func TestDiffPrintsEveryPage(t *testing.T) {
	var evs []events.Event
	var ids []events.ActID
	for i := range 250 {
		id := events.ActID(fmt.Sprintf("/akn/kz/act/2020-01-01/%05d", i))
		adopted := events.Event{ID: events.NewID(), Act: id, Type: events.Adopted, Date: events.MustDate("2020-01-01"),
			Body: events.Body{Title: fmt.Sprintf("Law %d", i), Kind: events.Law}}
		commenced := events.Event{ID: events.NewID(), Act: id, Type: events.Commenced, Date: events.MustDate("2020-01-01"),
			EffectiveFrom: events.MustDate("2020-06-01")}
		evs = append(evs, adopted, commenced)
		ids = append(ids, id)
	}
	url, asked := serveEvents(t, evs)

	checkEveryPage(t, url, asked, []string{"diff", "2019-01-01", "2021-01-01"}, "250 acts changed status between 2019-01-01 and 2021-01-01", "BEFORE", ids)
}

// checkEveryPage runs cmd against url with pages of 100 over the 250 ids:
// three pages asked, one heading that begins with heading and names column
// once, each of ids printed once in order, no word of stopping early; and
// with --limit 120, the first 120 and a word that it stopped there.
func checkEveryPage(t *testing.T, url string, asked *atomic.Int64, cmd []string, heading, column string, ids []events.ActID) {
	t.Helper()
	name := strings.Join(cmd, " ")
	args := append(cmd[:len(cmd):len(cmd)], "--server", url, "--page-size", "100")
	t.Run("OK", func(t *testing.T) {
		before := asked.Load()
		out, errs, err := runCmd(t, args...)
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, errs)
		}
		if n := asked.Load() - before; n != 3 {
			t.Errorf("%s asked %d pages of 100 for 250, want 3", name, n)
		}
		if !strings.HasPrefix(out, heading) || strings.Count(out, column) != 1 {
			t.Errorf("%s prints no single heading of 250:\n%.300s", name, out)
		}
		checkPrintedOnce(t, out, ids)
		if strings.Contains(out, "--limit") {
			t.Errorf("%s of every one says it stopped early:\n%s", name, out[len(out)-200:])
		}
	})

	t.Run("Limit", func(t *testing.T) {
		out, errs, err := runCmd(t, append(args[:len(args):len(args)], "--limit", "120")...)
		if err != nil {
			t.Fatalf("%s --limit 120: %v\n%s", name, err, errs)
		}
		checkPrintedOnce(t, out, ids[:120])
		if lineWith(out, string(ids[120])) != "" || !strings.Contains(out, "(the first 120 of 250") {
			t.Errorf("%s --limit 120 printed past 120 or did not say it stopped:\n%s", name, out[len(out)-200:])
		}
	})
}

// checkPrintedOnce checks that out has a line of each of ids, once, in
// their order.
func checkPrintedOnce(t *testing.T, out string, ids []events.ActID) {
	t.Helper()
	at := 0
	for _, id := range ids {
		if n := strings.Count(out, string(id)+" "); n != 1 {
			t.Fatalf("%s is printed %d times, want once", id, n)
		}
		i := strings.Index(out, string(id)+" ")
		if i < at {
			t.Fatalf("%s is printed before the act before it", id)
		}
		at = i
	}
}

// A projector from before paging answers the whole list, without total
// or next_cursor: asof prints it whole and counts it.
func TestAsOfAgainstAServerBeforePaging(t *testing.T) {
	old := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"as_of":"2021-01-01","known_at":null,"acts":[{"act":"/akn/kz/act/2020-01-01/1","status":"drafted"},{"act":"/akn/kz/act/2020-01-01/2","status":"drafted"}]}`)
	}))
	t.Cleanup(old.Close)
	out, errs, err := runCmd(t, "asof", "2021-01-01", "--server", old.URL)
	if err != nil {
		t.Fatalf("asof: %v\n%s", err, errs)
	}
	if !strings.HasPrefix(out, "2 acts on 2021-01-01") || lineWith(out, "/akn/kz/act/2020-01-01/2") == "" {
		t.Errorf("asof against a server from before paging:\n%s", out)
	}
}
