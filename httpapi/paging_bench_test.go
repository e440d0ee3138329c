package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/projections"
	"github.com/lexledger/lexledger/projector"
)

// BenchmarkActs measures GET /v1/acts over 10,000 acts: the first page of
// 100 (the default) and of 1,000 (the most), a page of 100 after a cursor
// halfway, every page of 100 and of 1,000 followed to the end, and the
// whole list in one answer as the API gave it before paging
// (the same fold, encoded whole). B/answer is the bytes of one answer (of
// all of them, for every page).
//
//	go test -run '^$' -bench BenchmarkActs -benchtime 20x ./httpapi
func BenchmarkActs(b *testing.B) {
	env := natstest.MustStart(b, natstest.Options{})
	last := recordActs(b, mustLedger(b, env), names(0, 10000)...)
	r := startService(b, env.Store, env.Conn, projector.Options{})
	r.waitFor(b, last)
	// The answer before paging: the whole list, as query.go wrote it.
	whole := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		p, _ := projections.ParseParams(req.URL.Query(), events.MustDate("2021-01-01"))
		var out []projections.ActState
		r.svc.Read(func(pr *projections.Projection) { out, _ = pr.List(p.Filter, p.Query()) })
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.Encode(map[string]any{"as_of": p.AsOf, "known_at": p.KnownAt, "acts": out})
	}))
	b.Cleanup(whole.Close)

	fetch := func(b *testing.B, u string) (int, string) {
		resp, err := http.Get(u)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: %d %v", u, resp.StatusCode, err)
		}
		var pg httpapi.ActsPage
		if err := json.Unmarshal(body, &pg); err != nil {
			b.Fatal(err)
		}
		if pg.Acts == nil || (pg.Total != nil && *pg.Total != 10000) {
			b.Fatalf("GET %s: %d acts of %v", u, len(pg.Acts), pg.Total)
		}
		return len(body), pg.NextCursor
	}
	page := func(limit, cursor string) string {
		return r.url + "/v1/acts?" + url.Values{"as_of": {"2021-01-01"}, "limit": {limit}, "cursor": {cursor}}.Encode()
	}
	// every follows the pages of limit to the end; it returns the bytes
	// of all of them.
	every := func(limit string) int {
		total, cursor := 0, ""
		for {
			n, next := fetch(b, page(limit, cursor))
			total += n
			if cursor = next; cursor == "" {
				return total
			}
		}
	}
	mid := projections.Cursor{Key: string(pagedAct("05000"))}.String() // halfway
	for _, bc := range []struct {
		name string
		run  func(b *testing.B) int
	}{
		{"page=100", func(b *testing.B) int { n, _ := fetch(b, page("100", "")); return n }},
		{"page=1000", func(b *testing.B) int { n, _ := fetch(b, page("1000", "")); return n }},
		{"page=100-after-a-cursor", func(b *testing.B) int { n, _ := fetch(b, page("100", mid)); return n }},
		{"every-page-of-100", func(b *testing.B) int { return every("100") }},
		{"every-page-of-1000", func(b *testing.B) int { return every("1000") }},
		{"whole-list-before-paging", func(b *testing.B) int { n, _ := fetch(b, whole.URL+"?as_of=2021-01-01"); return n }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var n int
			for b.Loop() {
				n = bc.run(b)
			}
			b.ReportMetric(float64(n), "B/answer")
		})
	}
}
