package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/nats-io/nats.go/jetstream"
)

// The act page, server-rendered, needs no JavaScript: the status on the
// day, the provisions and their texts, the events with who recorded them,
// the timeline chart, the verification and the export link are all in the
// HTML.
func TestActPageWithoutJavaScript(t *testing.T) {
	s := mustSite(t)
	if _, err := s.svc.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	p := s.mustPage(t, "/ui/act", "act", string(criminalCode), "as_of", "2009-06-15")
	p.has(t,
		"<h1>Criminal Code of the Republic of Kazakhstan</h1>",
		`<form class="controls" method="get" action="/ui/act"`,
		`<label for="as_of">As of</label>`, `<label for="known_at">As known at</label>`,
		`name="as_of" value="2009-06-15"`,
		"in force from 1998-01-01",
		"Only terrorist acts that cause loss of human life", // art_49's text on the day (2007 reform)
		`<svg class="timeline"`, `role="img"`, "as of 2009-06-15",
		`id="ev-01KZSEED000000000000000008"`, "seed@test", // the moratorium, and who recorded it
		`data-chain="true"`, "it covers every event of this act",
		`href="/v1/export?act=%2Fakn%2Fkz%2Fact%2Fcode%2F1997-07-16%2F167&amp;as_of=2009-06-15"`,
	)
	p.hasNot(t, "<script>", "style=") // one external script, no inline script or style
	if got := p.actStatus(t); got != "in_force" {
		t.Errorf("the Criminal Code on 2009-06-15 is %s, want in_force", got)
	}
	if got := p.provisionStatus(t, "art_49"); got != "suspended" {
		t.Errorf("art_49 (the death penalty) on 2009-06-15 is %s, want suspended: the moratorium runs from 2003-12 to 2009-07", got)
	}
	// Seven events of the act, each a row with its record time.
	if n := strings.Count(p.body, `<tr id="ev-`); n != 7 {
		t.Errorf("the events table has %d rows, want the Criminal Code's 7 events", n)
	}
	if p.header.Get("Lex-Projection-Seq") != "44" {
		t.Errorf("Lex-Projection-Seq is %q, want 44", p.header.Get("Lex-Projection-Seq"))
	}

	after := s.mustPage(t, "/ui/act", "act", string(criminalCode), "as_of", "2009-08-01")
	if got := after.provisionStatus(t, "art_49"); got != "in_force" {
		t.Errorf("art_49 on 2009-08-01 is %s, want in_force: the abolition law lifted the moratorium in 2009-07", got)
	}
	after.has(t, "The death penalty is abolished")
}

// A day inside a boundary known only to the month says that the status is
// uncertain.
func TestActPageSaysUncertain(t *testing.T) {
	s := mustSite(t)
	p := s.mustPage(t, "/ui/act", "act", string(criminalCode), "as_of", "2009-07-10")
	p.has(t, "<strong>Uncertain:</strong>", "2009-07 (a date known only to the month)")
	p = s.mustPage(t, "/ui/act", "act", string(criminalCode), "as_of", "2009-08-10")
	p.hasNot(t, "<strong>Uncertain:</strong>")
}

// "As known at" shows the record as it stood: events recorded later are
// not there, and a time before the ledger began is refused with a reason.
func TestActPageAsKnownAt(t *testing.T) {
	s := mustSite(t)
	first := s.recordedAt(criminalCode, 1) // event 8, of the first batch
	p := s.mustPage(t, "/ui/act", "act", string(criminalCode), "as_of", "2009-08-01", "known_at", first.Format(time.RFC3339Nano))
	p.has(t, `id="ev-01KZSEED000000000000000001"`, `id="ev-01KZSEED000000000000000008"`, ", as known at ")
	p.hasNot(t, `id="ev-01KZSEED000000000000000022"`) // the abolition, recorded in a later batch
	// The Code's commencement (event 38) was recorded in a later batch: as
	// the record stood then, the Code was adopted and not in force.
	if got := p.actStatus(t); got != "adopted_not_in_force" {
		t.Errorf("the Criminal Code on 2009-08-01 as known after the first batch is %s, want adopted_not_in_force", got)
	}
	if got := p.provisionStatus(t, "art_49"); got != "not_in_force" {
		t.Errorf("art_49 on 2009-08-01 as known after the first batch is %s, want not_in_force", got)
	}
	before := s.get(t, "/ui/act", "act", string(criminalCode), "known_at", "2001-01-01")
	if before.status != http.StatusBadRequest || !strings.Contains(before.body, "before the ledger began") {
		t.Errorf("known_at before the ledger: %d %s, want 400 saying it is before the ledger began", before.status, before.body)
	}
}

// Titles, texts and identities are data, never markup.
func TestHostileTextIsEscaped(t *testing.T) {
	s := mustSite(t)
	const hostile = `<script>alert("x")</script><img src=x onerror=alert(1)>`
	act := events.ActID("/akn/kz/act/2011-05-01/hostile")
	s.record(t, events.Event{ID: events.NewID(), Act: act, Type: events.Adopted, Date: events.MustDate("2011-05-01"),
		Body: events.Body{Title: "Law " + hostile, Kind: events.Law, Texts: map[string]string{"art_1": "</blockquote>" + hostile}}})
	for _, p := range []page{
		s.mustPage(t, "/ui/act", "act", string(act), "as_of", "2011-06-01"),
		s.mustPage(t, "/", "as_of", "2011-06-01", "q", "law <script>"),
		s.mustPage(t, "/ui/jurisdiction", "country", "kz", "from", "2011-01-01", "to", "2011-06-01"),
		s.mustPage(t, "/ui/text", "act", string(act), "as_of", "2011-06-01"),
		s.mustPage(t, "/ui/textdiff", "act", string(act), "from", "2011-05-01", "to", "2011-06-01"),
	} {
		p.hasNot(t, "<script>alert", "<img src=x", "</blockquote><script>")
		p.has(t, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;")
	}
	p := s.mustPage(t, "/ui/act", "act", string(act), "as_of", "2011-06-01")
	p.has(t, `<title id="tl-title">Timeline of Law &lt;script&gt;`) // inside the SVG too
}

// The home page lists acts with their status on the day, filtered by a GET
// form.
func TestBrowse(t *testing.T) {
	s := mustSite(t)
	p := s.mustPage(t, "/")
	p.has(t, "All acts on 2010-01-01", "1–20 of 20 acts", `<form class="controls" method="get" action="/"`,
		`<label for="country">Jurisdiction</label>`, `<label for="kind">Kind</label>`, `<label for="status">Status on the day</label>`,
		`href="/ui/jurisdiction?as_of=2010-01-01&amp;country=kz"`)
	cases := []struct {
		name string
		kv   []string
		want string
		n    int
	}{
		{"codes", []string{"kind", "code"}, "Criminal Procedure Code", 3},
		{"words", []string{"q", "refugees"}, "Law on Refugees", 1},
		{"identifier", []string{"q", "/akn/kz/act/code/1997-07-16"}, "Criminal Code", 1},
		{"suspended in 2005", []string{"as_of", "2005-01-01", "status", "in_force"}, "Criminal Code", 5},
		{"another jurisdiction", []string{"country", "za"}, "No act matches", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := s.mustPage(t, "/", c.kv...)
			p.has(t, c.want)
			if n := strings.Count(p.body, `<th scope="row" data-label="Act">`); n != c.n {
				t.Errorf("%v lists %d acts, want %d", c.kv, n, c.n)
			}
		})
	}
	bad := s.get(t, "/", "status", "alive")
	if bad.status != http.StatusBadRequest || !strings.Contains(bad.body, "give one of [not_adopted") {
		t.Errorf("status=alive: %d, want 400 with a message", bad.status)
	}
}

// A jurisdiction: its acts in force on a day, and what changed between two.
func TestJurisdiction(t *testing.T) {
	s := mustSite(t)
	p := s.mustPage(t, "/ui/jurisdiction", "country", "kz", "as_of", "2008-06-01", "from", "2008-06-01", "to", "2010-01-01")
	p.has(t, "In force on 2008-06-01", "What changed from 2008-06-01 to 2010-01-01",
		"International Covenant on Civil and Political Rights", "entered into force")
	inForce := p.body[:strings.Index(p.body, `id="changes"`)]
	if strings.Contains(inForce, "on Refugees") {
		t.Errorf("the Law on Refugees is listed in force on 2008-06-01; it entered into force on 2009-12-04")
	}
	changes := p.body[strings.Index(p.body, `id="changes"`):]
	if !strings.Contains(changes, "Law on Refugees") {
		t.Errorf("the changes between 2008-06-01 and 2010-01-01 do not list the Law on Refugees")
	}
	for _, kv := range [][]string{{}, {"country", "KZ!"}, {"country", "kz", "from", "2008-13-01"}} {
		if p := s.get(t, "/ui/jurisdiction", kv...); p.status != http.StatusBadRequest {
			t.Errorf("GET /ui/jurisdiction %v: %d, want 400", kv, p.status)
		}
	}
}

// partial=1 answers the page's parts only: what the script puts in place.
func TestPartial(t *testing.T) {
	s := mustSite(t)
	p := s.mustPage(t, "/ui/act", "act", string(criminalCode), "as_of", "2009-08-01", "partial", "1")
	p.hasNot(t, "<html", "<form")
	for _, id := range []string{"act-head", "status", "timeline", "provisions", "amendments", "events", "verification", "record-times"} {
		p.has(t, `id="`+id+`" data-part`)
	}
	bad := s.get(t, "/ui/act", "act", string(criminalCode), "as_of", "2009-02-30", "partial", "1")
	if bad.status != http.StatusBadRequest || !strings.Contains(bad.body, `role="alert"`) || strings.Contains(bad.body, "<html") {
		t.Errorf("a bad day in a partial answer: %d %s, want 400 with only an alert", bad.status, bad.body)
	}
}

// Requests that cannot be answered say why, as a page, with the status of
// the query API.
func TestErrorPages(t *testing.T) {
	s := mustSite(t)
	cases := []struct {
		kv     []string
		status int
		says   string
	}{
		{nil, http.StatusBadRequest, "name the act with act="},
		{[]string{"act", "criminal code"}, http.StatusBadRequest, "must start with /akn/"},
		{[]string{"act", "/akn/kz/act/2099-01-01/none"}, http.StatusNotFound, "is not in the ledger"},
		{[]string{"act", string(criminalCode), "as_of", "2009-07"}, http.StatusBadRequest, "give a day as YYYY-MM-DD"},
		{[]string{"act", string(criminalCode), "known_at", "yesterday"}, http.StatusBadRequest, "give a record time"},
	}
	for _, c := range cases {
		p := s.get(t, "/ui/act", c.kv...)
		if p.status != c.status || !strings.Contains(p.body, c.says) || !strings.Contains(p.body, "<h1>Cannot show this page</h1>") {
			t.Errorf("GET /ui/act %v: %d, want %d and a page that says %q:\n%s", c.kv, p.status, c.status, c.says, p.body)
		}
	}
	// Other paths keep the JSON API's 404.
	if p := s.get(t, "/ui/nothing"); p.status != http.StatusNotFound || !strings.Contains(p.header.Get("Content-Type"), "json") {
		t.Errorf("GET /ui/nothing: %d %s, want the API's JSON 404", p.status, p.header.Get("Content-Type"))
	}
}

// The style sheet and the script are embedded, and cached for good under
// their versioned URLs.
func TestStaticAssets(t *testing.T) {
	s := mustSite(t)
	home := s.mustPage(t, "/")
	for _, c := range []struct{ name, ctype string }{{"style.css", "text/css"}, {"app.js", "javascript"}} {
		i := strings.Index(home.body, "/ui/static/"+c.name+"?v=")
		if i < 0 {
			t.Fatalf("the page does not link /ui/static/%s with a version", c.name)
		}
		u := home.body[i:]
		u = u[:strings.IndexByte(u, '"')]
		resp, err := client.Get(s.url + u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), c.ctype) {
			t.Errorf("GET %s: %d %s, want 200 %s", u, resp.StatusCode, resp.Header.Get("Content-Type"), c.ctype)
		}
		if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("GET %s: Cache-Control %q, want immutable", u, cc)
		}
	}
}

// Every control of every page has a label, so that a screen reader names
// it and a click on the label focuses it.
func TestEveryControlHasALabel(t *testing.T) {
	s := mustSite(t)
	control := regexp.MustCompile(`<(input|select)\b[^>]*>`)
	id := regexp.MustCompile(`\bid="([^"]+)"`)
	for _, path := range []string{
		"/",
		"/ui/act?act=" + url.QueryEscape(string(criminalCode)),
		"/ui/jurisdiction?country=kz",
	} {
		p := s.mustPage(t, path)
		n := 0
		for _, c := range control.FindAllString(p.body, -1) {
			if strings.Contains(c, `type="hidden"`) {
				continue
			}
			n++
			m := id.FindStringSubmatch(c)
			if m == nil {
				t.Errorf("%s: the control %s has no id for a label", path, c)
				continue
			}
			if !strings.Contains(p.body, `<label for="`+m[1]+`">`) {
				t.Errorf("%s: the control %s has no label", path, c)
			}
		}
		if n < 2 {
			t.Errorf("%s: found %d controls, want the page's form", path, n)
		}
	}
}

// A message in the stream that is not a sealed event of its act (here
// garbage on the Law on Refugees' subject) is named on every page, and
// left out of the act's page.
func TestPagesNameDefects(t *testing.T) {
	s := mustSite(t)
	const notice = "that is not a sealed event of its act (defects)"
	s.mustPage(t, "/").hasNot(t, notice)

	js, err := jetstream.New(s.env.Conn)
	if err != nil {
		t.Fatal(err)
	}
	ack, err := js.Publish(testContext(t, 30*time.Second), "lex.events.kz.act.2009-12-04.216", []byte("garbage"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.WaitFor(testContext(t, 30*time.Second), ack.Sequence); err != nil {
		t.Fatalf("the projector did not pass the defect at %d: %v", ack.Sequence, err)
	}
	s.mustPage(t, "/").has(t, "The stream holds 1 message "+notice)
	act := s.mustPage(t, "/ui/act", "act", string(refugees))
	act.has(t, notice)
	if got := act.actStatus(t); got != "in_force" {
		t.Errorf("the Law on Refugees is %q after a defect on its subject, want in_force", got)
	}
}
