package web_test

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// section is the part of a page's body from the element of id to the next
// part.
func (p page) section(t *testing.T, id string) string {
	t.Helper()
	i := strings.Index(p.body, `id="`+id+`" data-part`)
	if i < 0 {
		t.Fatalf("the page has no part %s", id)
	}
	s := p.body[i:]
	if j := strings.Index(s[len(id)+15:], "data-part"); j >= 0 {
		s = s[:len(id)+15+j]
	}
	return s
}

var actCode = regexp.MustCompile(`<code class="id">([^<]+)</code>`)

// acts lists the acts of a section's rows, in order.
func (p page) acts(t *testing.T, id string) []string {
	t.Helper()
	var out []string
	for _, m := range actCode.FindAllStringSubmatch(p.section(t, id), -1) {
		out = append(out, m[1])
	}
	return out
}

var relLink = regexp.MustCompile(`<a href="([^"]+)" rel="(prev|next)">`)

// link returns the href of a section's rel (prev or next) link, "" when
// none.
func (p page) link(t *testing.T, id, rel string) string {
	t.Helper()
	for _, m := range relLink.FindAllStringSubmatch(p.section(t, id), -1) {
		if m[2] == rel {
			return html.UnescapeString(m[1])
		}
	}
	return ""
}

// count returns the number a count of a status shows.
func (p page) count(t *testing.T, status string) string {
	t.Helper()
	m := regexp.MustCompile(`<li data-count="` + status + `">.*?<strong>(\d+)</strong>`).FindStringSubmatch(p.body)
	if m == nil {
		return "0"
	}
	return m[1]
}

// mustURL gets a page by its path and query, as a link gives it.
func (s *site) mustURL(t *testing.T, u string) page {
	t.Helper()
	path, query, _ := strings.Cut(u, "?")
	var kv []string
	for _, pair := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(pair, "=")
		k, _ = url.QueryUnescape(k)
		v, _ = url.QueryUnescape(v)
		kv = append(kv, k, v)
	}
	return s.mustPage(t, path, kv...)
}

// A jurisdiction of 250 acts in force and 50 repealed: pages of 100 acts
// in force, the counts by status on the day above them, and links that
// lead to the next page and back, and stay correct while acts are added.
func TestJurisdictionIsPaged(t *testing.T) {
	m := newMemProjector()
	for i := range 300 {
		m.addAct(t, "kz", 1000+i, i%6 == 5) // 50 repealed from 2005
	}
	m.addAct(t, "uz", 1, false) // another jurisdiction: not counted
	s := &site{url: memSite(t, m)}
	first := s.mustPage(t, "/ui/jurisdiction", "country", "kz", "as_of", "2009-01-01", "from", "2000-01-01", "to", "2009-01-01")
	if got := first.acts(t, "in-force"); len(got) != 100 || got[0] != "/akn/kz/act/2000-03-01/1000" {
		t.Fatalf("the first page lists %d acts from %v, want 100 from act 1000", len(got), got[:min(1, len(got))])
	}
	for status, want := range map[string]string{"in_force": "250", "repealed": "50", "not_adopted": "0"} {
		if got := first.count(t, status); got != want {
			t.Errorf("the count of %s on 2009-01-01 is %s, want %s", status, got, want)
		}
	}
	first.has(t, "300 acts of this jurisdiction on record", "1–100 of 250 acts in force", "1–100 of 300 acts that changed status: 250 entered into force, 0 left it.")
	if first.link(t, "in-force", "prev") != "" {
		t.Errorf("the first page links a previous page")
	}
	next := first.link(t, "in-force", "next")
	if next == "" || !strings.Contains(next, "as_of=2009-01-01") || !strings.Contains(next, "from=2000-01-01") {
		t.Fatalf("the first page's next link is %q, want one that keeps the days asked", next)
	}

	// Acts recorded after the first page was shown, before and after its
	// end: the next link still leads to the acts after the first page's
	// last, none skipped and none again.
	last := first.acts(t, "in-force")[99]
	m.addAct(t, "kz", 10000, false) // inside the first page: "10000" sorts between "1000" and "1001"
	m.addAct(t, "kz", 999, false)   // after every act: "999" sorts last
	second := s.mustURL(t, next)
	got := second.acts(t, "in-force")
	if len(got) != 100 || got[0] <= last {
		t.Fatalf("the second page starts at %v, want the act after %s", got[:min(1, len(got))], last)
	}
	second.has(t, "of 252 acts in force", "302 acts of this jurisdiction")
	if got := second.count(t, "in_force"); got != "252" {
		t.Errorf("after two acts more, the count in force is %s, want 252", got)
	}
	// And back: the page before the second's first act ends at it.
	back := s.mustURL(t, second.link(t, "in-force", "prev"))
	if b := back.acts(t, "in-force"); len(b) != 100 || b[99] >= got[0] {
		t.Errorf("the previous page of the second ends at %v, want the act before %s", b[len(b)-1:], got[0])
	}
	// The third page is the last: of 252 in force, 101 sort up to the
	// first page's last (act 10000 was added among them), 100 are on the
	// second page, 51 here; no next link.
	third := s.mustURL(t, second.link(t, "in-force", "next"))
	if n := len(third.acts(t, "in-force")); n != 51 || third.link(t, "in-force", "next") != "" {
		t.Errorf("the third page lists %d acts, next link %q; want the last 51 and no next", n, third.link(t, "in-force", "next"))
	}
	// The changes are paged by their own cursor, and keep the acts in
	// force's.
	ch := s.mustURL(t, third.link(t, "changes", "next"))
	if n := len(ch.acts(t, "changes")); n != 100 {
		t.Errorf("the second page of changes lists %d acts, want 100", n)
	}
	if n := len(ch.acts(t, "in-force")); n != 51 {
		t.Errorf("following the changes' next link moved the acts in force: %d acts, want the third page's 51", n)
	}

	// A cursor past the last act (a bookmark of a list that shrank): an
	// empty page that says so, and leads back to the last page.
	end := projections.Cursor{Key: "/akn/kz/act/2000-03-01/999"}.String()
	past := s.mustPage(t, "/ui/jurisdiction", "country", "kz", "as_of", "2009-01-01", "cursor", end)
	past.has(t, "No act in force after this page's start: go to the previous page.")
	if b := s.mustURL(t, past.link(t, "in-force", "prev")).acts(t, "in-force"); len(b) != 100 || b[99] != "/akn/kz/act/2000-03-01/999" {
		t.Errorf("the page before the end lists %d acts up to %v, want the last 100", len(b), b[len(b)-1:])
	}

	// limit= sets the page's size, and the links keep it.
	small := s.mustPage(t, "/ui/jurisdiction", "country", "kz", "as_of", "2009-01-01", "limit", "10")
	if n := len(small.acts(t, "in-force")); n != 10 || !strings.Contains(small.link(t, "in-force", "next"), "limit=10") {
		t.Errorf("limit=10: %d acts, next link %q; want 10 and a link with limit=10", n, small.link(t, "in-force", "next"))
	}
}

// A cursor that is not one the pages wrote, and a limit out of range, are
// refused with a page that says what to give instead.
func TestJurisdictionRefusesBadPaging(t *testing.T) {
	m := newMemProjector()
	m.addAct(t, "kz", 1, false)
	s := &site{url: memSite(t, m)}
	for _, c := range []struct {
		kv   []string
		says string
	}{
		{[]string{"cursor", "not-a-cursor"}, `cursor=&#34;not-a-cursor&#34; is not valid: give the cursor of a page&#39;s next or previous link as it was, or leave it out for the first page`},
		{[]string{"changes_cursor", "YWJj"}, `changes_cursor=&#34;YWJj&#34; is not valid`},
		{[]string{"limit", "0"}, `limit=&#34;0&#34; is not valid: give how many a page holds, from 1 to 1000`},
		{[]string{"limit", "5000"}, `limit=&#34;5000&#34; is not valid`},
	} {
		p := s.get(t, "/ui/jurisdiction", append([]string{"country", "kz"}, c.kv...)...)
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, "<h1>Cannot show this page</h1>") || !strings.Contains(p.body, c.says) {
			t.Errorf("GET /ui/jurisdiction %v: %d, want 400 and a page that says %s:\n%s", c.kv, p.status, c.says, p.body)
		}
	}
}

// A live stream of a page as known at a past time tells no event recorded
// later: such an event changes nothing the page shows.
func TestLiveAsKnownAtTellsNothingLater(t *testing.T) {
	m := newMemProjector()
	m.addAct(t, "kz", 1, false)
	s := &site{url: memSite(t, m)}
	past := s.stream(t, "?country=kz&known_at=2026-01-01T02:30:00Z")
	now := s.stream(t, "?country=kz")
	next(t, past) // hello
	next(t, now)
	m.addAct(t, "kz", 2, false)
	if ev := next(t, now); ev.name != "recorded" {
		t.Fatalf("the stream of the record as it stands told %+v, want the new act's event", ev)
	}
	select {
	case ev := <-past:
		t.Errorf("the stream as known at 02:30 told %+v, recorded later", ev)
	case <-time.After(200 * time.Millisecond):
	}
	if p := s.get(t, "/ui/events", "known_at", "yesterday"); p.status != http.StatusBadRequest {
		t.Errorf("GET /ui/events?known_at=yesterday: %d, want 400", p.status)
	}
}

// A live stream of a kind tells the events of acts of that kind only: the
// law's adoption is skipped, the code's told.
func TestLiveOfAKindTellsItsActsOnly(t *testing.T) {
	m := newMemProjector()
	s := &site{url: memSite(t, m)}
	codes := s.stream(t, "?country=kz&kind=code")
	next(t, codes)              // hello
	m.addAct(t, "kz", 1, false) // a law
	code := events.ActID("/akn/kz/act/code/2001-01-01/1")
	m.add(t, events.Event{Act: code, Type: events.Adopted, Date: events.MustDate("2001-01-01"),
		Body: events.Body{Title: "A Code", Kind: events.CodeKind}})
	if ev := next(t, codes); ev.name != "recorded" || !strings.Contains(ev.data, `"act":"`+string(code)+`"`) {
		t.Errorf("the stream of codes told %+v first, want the code's adoption", ev)
	}
	if p := s.get(t, "/ui/events", "kind", "bogus"); p.status != http.StatusBadRequest {
		t.Errorf("GET /ui/events?kind=bogus: %d, want 400", p.status)
	}
}

// A page's parts carry an ETag: asked again with it, parts unchanged are
// answered 304 without a body (an event elsewhere changed nothing shown),
// and changed parts in full.
func TestPartsUnchangedAre304(t *testing.T) {
	m := newMemProjector()
	m.addAct(t, "kz", 1, false)
	s := &site{url: memSite(t, m)}
	u := s.url + "/ui/jurisdiction?country=kz&as_of=2009-01-01&partial=1"
	get := func(tag string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		if tag != "" {
			req.Header.Set("If-None-Match", tag)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	first, _ := get("")
	tag := first.Header.Get("ETag")
	if first.StatusCode != http.StatusOK || tag == "" {
		t.Fatalf("the parts: %d, ETag %q; want 200 with an ETag", first.StatusCode, tag)
	}
	m.addAct(t, "uz", 1, false) // elsewhere
	same, body := get(tag)
	if same.StatusCode != http.StatusNotModified || body != "" || same.Header.Get("Lex-Projection-Seq") != "4" {
		t.Errorf("parts unchanged, asked with their ETag: %d, %d bytes, sequence %s; want 304, no body, sequence 4",
			same.StatusCode, len(body), same.Header.Get("Lex-Projection-Seq"))
	}
	m.addAct(t, "kz", 2, false)
	changed, body := get(tag)
	if changed.StatusCode != http.StatusOK || changed.Header.Get("ETag") == tag || !strings.Contains(body, "/akn/kz/act/2000-03-01/2") {
		t.Errorf("parts changed, asked with the old ETag: %d, ETag %q; want 200, a new ETag and the new act", changed.StatusCode, changed.Header.Get("ETag"))
	}
	// A whole page has no ETag: only the script's refreshes are compared.
	if whole := s.get(t, "/ui/jurisdiction", "country", "kz"); whole.header.Get("ETag") != "" {
		t.Errorf("a whole page has an ETag %q", whole.header.Get("ETag"))
	}
}
