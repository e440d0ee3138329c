package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lexledger/lexledger/events"
)

// steadyStream is part of the end-to-end test: on the jurisdiction page,
// a clerk records an event every 80 ms for 3 s. The page must refresh
// while the events keep coming (a debounce never would), at least twice,
// and show the last event once they stop. Refreshes are counted by the
// page itself (data-refreshes), not guessed from timings.
func steadyStream(t *testing.T, b context.Context, base string) {
	t.Helper()
	// The second page of five acts in force: a live refresh must keep it.
	step(t, b, "open the jurisdiction kz, five acts a page", chromedp.Navigate(base+"/ui/jurisdiction?country=kz&as_of=2010-01-01&limit=5"),
		chromedp.WaitVisible(chromedp.ID("in-force")))
	step(t, b, "follow the next page's link", chromedp.Click(chromedp.CSS(`#in-force a[rel=next]`)),
		chromedp.WaitVisible(chromedp.CSS(`#in-force a[rel=prev]`)))
	waitUntil(t, b, "the jurisdiction page listens to live events", `document.body.dataset.listening === 'true'`)
	const firstRow = `document.querySelector('#in-force tbody code.id').textContent`
	second := eval[string](t, b, firstRow)
	if !strings.Contains(eval[string](t, b, `location.search`), "cursor=") {
		t.Fatalf("the next page's URL has no cursor")
	}
	refreshes := func() int { return eval[int](t, b, `Number(document.body.dataset.refreshes || 0)`) }
	before := refreshes()

	post := func(i int) uint64 {
		t.Helper()
		body := fmt.Sprintf(`{"event": {"id": %q, "act": %q, "type": "corrigendum", "date": "2009-12-20",
			"body": {"gazette": "Kazakhstanskaya Pravda", "note": "steady stream %d"}}}`, events.NewID(), refugees, i)
		resp, err := client.Post(base+"/v1/events", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var receipt struct {
			Seq uint64 `json:"sequence"`
		}
		json.NewDecoder(resp.Body).Decode(&receipt)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("POST /v1/events: %d, want 201", resp.StatusCode)
		}
		return receipt.Seq
	}
	tick := time.NewTicker(80 * time.Millisecond)
	defer tick.Stop()
	var last uint64
	n := 0
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); n++ {
		last = post(n)
		<-tick.C
	}
	during := refreshes() - before
	t.Logf("%d events in 3s: the page refreshed %d times while they came, %d of them answered 304 (parts unchanged)",
		n, during, eval[int](t, b, `Number(document.body.dataset.unchanged || 0)`))
	if during < 2 {
		t.Errorf("the page refreshed %d times during a steady stream of %d events over 3s, want at least 2", during, n)
	}
	// After the last event, a last refresh shows it.
	waitUntil(t, b, "the page shows the last event's sequence", fmt.Sprintf(`document.getElementById('seq').textContent === '%d'`, last))
	if got := eval[string](t, b, firstRow); got != second || !strings.Contains(eval[string](t, b, `location.search`), "cursor=") {
		t.Errorf("after live refreshes the page starts at %s (URL %s), want the second page still, from %s", got, eval[string](t, b, `location.search`), second)
	}
	if n := eval[int](t, b, `document.querySelectorAll('#in-force tbody tr').length`); n != 5 {
		t.Errorf("after live refreshes the page lists %d acts, want 5", n)
	}
}
