package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/lexledger/lexledger/events"
)

// notaries is a law recorded with its text (a chapter of three articles),
// in force from 2011-01-01, amended in its text from 2011-02-01 (words
// substituted, an article repealed, one inserted), by an amendment recorded
// without its changes from 2011-03-01, and prospectively from 2012-01-01.
const notaries events.ActID = "/akn/kz/act/2010-12-01/300"

// The instruments that amend it.
const (
	notariesAmendment   events.ActID = "/akn/kz/act/2011-01-15/310"
	notariesUndetailed  events.ActID = "/akn/kz/act/2011-02-20/320"
	notariesProspective events.ActID = "/akn/kz/act/2011-06-01/330"
)

// recordNotaries records the law and its amendments on s.
func recordNotaries(t *testing.T, s *site) {
	t.Helper()
	s.record(t, events.Event{ID: events.NewID(), Act: notaries, Type: events.Adopted, Date: events.MustDate("2010-12-01"),
		Body: events.Body{Title: "Law on Notaries", Kind: events.Law, Structure: []events.Node{
			{EID: "chp_1", Num: "1", Heading: "General provisions", Children: []events.Node{
				{EID: "chp_1__art_1", Num: "1", Heading: "Notaries", Text: "A notary certifies deeds."},
				{EID: "chp_1__art_2", Num: "2", Heading: "Fees", Children: []events.Node{
					{EID: "chp_1__art_2__para_1", Num: "1", Text: "A notary charges the fee set by the Ministry of Justice."},
					{EID: "chp_1__art_2__para_2", Num: "2", Text: "The fee is paid before the deed is certified."},
				}},
				{EID: "chp_1__art_3", Num: "3", Heading: "Seals", Text: "A notary keeps a seal."},
			}},
		}}})
	s.record(t, events.Event{ID: events.NewID(), Act: notaries, Type: events.Commenced, Date: events.MustDate("2011-01-01"),
		EffectiveFrom: events.MustDate("2011-01-01")})
	s.record(t, events.Event{ID: events.NewID(), Act: notaries, Type: events.Amended, Date: events.MustDate("2011-01-20"),
		EffectiveFrom: events.MustDate("2011-02-01"), Instrument: notariesAmendment,
		Body: events.Body{Effect: events.Substitution, Changes: []events.Change{
			{Op: events.OpSubstitute, Target: "chp_1__art_2__para_1", Words: "the Ministry of Justice", With: "the Chamber of Notaries", Source: "art_1"},
			{Op: events.OpRepeal, Target: "chp_1__art_3", Source: "art_2"},
			{Op: events.OpInsert, Target: "chp_1__art_2", Node: &events.Node{EID: "chp_1__art_2-1", Num: "2-1", Heading: "Records",
				Text: "A notary keeps a register of deeds."}, Source: "art_3"},
		}}})
	s.record(t, events.Event{ID: events.NewID(), Act: notaries, Type: events.Amended, Date: events.MustDate("2011-02-20"),
		EffectiveFrom: events.MustDate("2011-03-01"), Instrument: notariesUndetailed, Provisions: []string{"chp_1__art_1"},
		Body: events.Body{Effect: events.Unspecified}})
	s.record(t, events.Event{ID: events.NewID(), Act: notaries, Type: events.Amended, Date: events.MustDate("2011-06-01"),
		EffectiveFrom: events.MustDate("2012-01-01"), Instrument: notariesProspective,
		Body: events.Body{Effect: events.Substitution, Changes: []events.Change{
			{Op: events.OpSubstitute, Target: "chp_1__art_1", With: "A notary certifies deeds and copies.", Source: "art_5"},
		}}})
}

// The reading view shows the whole text on a day as a reader expects it:
// nested provisions with their numbers and headings, a repealed one as
// "Repealed", each change as a note naming the instrument and its
// provision, the changes not shown and those to come, and the version in
// force with the previous and next.
func TestTextReadingView(t *testing.T) {
	s := mustSite(t)
	recordNotaries(t, s)
	act := string(notaries)

	p := s.mustPage(t, "/ui/text", "act", act, "as_of", "2011-02-15")
	p.has(t,
		"<h1>Law on Notaries</h1>",
		`<form class="controls" method="get" action="/ui/text" data-live-form>`,
		`id="p-chp_1" data-eid="chp_1"`, `<span class="num">Chapter 1</span> <span class="heading">General provisions</span>`,
		`<span class="num">Article 2</span> <span class="heading">Fees</span>`,
		`<p class="words"><span class="num">1.</span> A notary charges the fee set by the Chamber of Notaries.`,
		`<span class="num">Article 2-1</span> <span class="heading">Records</span>`, "A notary keeps a register of deeds.",
		`<span class="repealed-note">Repealed</span>`,
		// The notes: which change, by which instrument and provision, from when.
		`<a id="ref-F1" href="#note-F1" aria-label="note F1">F1</a>`,
		`Words substituted with effect from 2011-02-01 by <a href="/ui/act?act=%2Fakn%2Fkz%2Fact%2F2011-01-15%2F310&amp;as_of=2011-02-15"><code>/akn/kz/act/2011-01-15/310</code></a>, <code>art_1</code>`,
		"Inserted with effect from 2011-02-01", "Repealed with effect from 2011-02-01",
		// The version in force, its neighbours and the comparison.
		`<p data-version="2011-02-01">The version of <strong>2011-02-01</strong>`,
		`<a rel="prev" href="/ui/text?act=%2Fakn%2Fkz%2Fact%2F2010-12-01%2F300&amp;as_of=2011-01-01">← Previous version: the version of 2011-01-01</a>`,
		`<a rel="next" href="/ui/text?act=%2Fakn%2Fkz%2Fact%2F2010-12-01%2F300&amp;as_of=2011-03-01">Next version: the version of 2011-03-01 →</a>`,
		`href="/ui/textdiff?act=%2Fakn%2Fkz%2Fact%2F2010-12-01%2F300&amp;from=2011-01-31&amp;to=2011-02-15" data-compare>Compare with the previous version</a>`,
		// The prospective amendment; nothing outstanding yet.
		"No outstanding changes", "Prospective amendments", "<code>/akn/kz/act/2011-06-01/330</code>",
		`<tr class="current" aria-current="true">`,
	)
	p.hasNot(t, "A notary keeps a seal.", "Ministry of Justice", "<script>", "style=")
	// The repealed article keeps its place, without its words.
	if i, j := strings.Index(p.body, `id="p-chp_1__art_2-1"`), strings.Index(p.body, `id="p-chp_1__art_3"`); i < 0 || j < i {
		t.Errorf("article 2-1 is not before the repealed article 3 (at %d and %d)", i, j)
	}

	// From 2011-03-01 an amendment recorded without its changes is
	// outstanding: the panel says the text does not show it.
	p = s.mustPage(t, "/ui/text", "act", act, "as_of", "2011-06-01")
	p.has(t, "1 change in effect by 2011-06-01 is not shown in this text", "<code>/akn/kz/act/2011-02-20/320</code>",
		"changes not detailed of chp_1__art_1, with effect from 2011-03-01", "recorded without its textual changes")

	// Before commencement every provision is prospective, and no version
	// is in force yet.
	p = s.mustPage(t, "/ui/text", "act", act, "as_of", "2010-12-15")
	p.has(t, `id="p-chp_1__art_1" data-eid="chp_1__art_1" data-status="prospective"`, `<span class="badge ps-prospective" data-status="prospective">prospective</span>`,
		"The text as recorded: no change of its text or force took effect by 2010-12-15", "Ministry of Justice")
	p.hasNot(t, `rel="prev"`, "data-compare")

	// The act's page links to the reading view.
	a := s.mustPage(t, "/ui/act", "act", act, "as_of", "2011-02-15")
	a.has(t, `<a href="/ui/text?act=%2Fakn%2Fkz%2Fact%2F2010-12-01%2F300&amp;as_of=2011-02-15" data-read-text>Read the whole text on 2011-02-15</a>`)
}

// An act without a recorded text: its page has no link to the reading
// view, and the reading view says that none is recorded and how to record
// one.
func TestTextReadingViewWithoutText(t *testing.T) {
	s := mustSite(t)
	act := events.ActID("/akn/kz/act/2011-05-01/401")
	s.record(t, events.Event{ID: events.NewID(), Act: act, Type: events.Adopted, Date: events.MustDate("2011-05-01"),
		Body: events.Body{Title: "Law without text", Kind: events.Law}})
	a := s.mustPage(t, "/ui/act", "act", string(act), "as_of", "2011-06-01")
	a.hasNot(t, "data-read-text")
	p := s.get(t, "/ui/text", "act", string(act), "as_of", "2011-06-01")
	if p.status != http.StatusNotFound {
		t.Fatalf("the text of an act without one: %d, want 404", p.status)
	}
	p.has(t, "<h1>Law without text</h1>", "No text recorded", "no text of /akn/kz/act/2011-05-01/401 is recorded",
		"<code>body.structure</code>", "docs/TEXT.md")
	d := s.get(t, "/ui/textdiff", "act", string(act), "from", "2011-05-01", "to", "2011-06-01")
	if d.status != http.StatusNotFound || !strings.Contains(d.body, "no text of /akn/kz/act/2011-05-01/401 is recorded") {
		t.Errorf("the diff of an act without text: %d, want 404 saying none is recorded", d.status)
	}
	for _, c := range []struct{ path, act string }{{"/ui/text", "/akn/kz/act/2011-05-01/999"}, {"/ui/textdiff", "/akn/kz/act/2011-05-01/999"}} {
		if p := s.get(t, c.path, "act", c.act, "from", "2011-01-01", "to", "2011-06-01"); p.status != http.StatusNotFound {
			t.Errorf("%s of an unknown act: %d, want 404", c.path, p.status)
		}
	}
}

// The diff view compares the text on two days provision by provision:
// words removed and added marked, with the changes that made them.
func TestTextDiffView(t *testing.T) {
	s := mustSite(t)
	recordNotaries(t, s)
	act := string(notaries)
	p := s.mustPage(t, "/ui/textdiff", "act", act, "from", "2011-01-15", "to", "2011-06-01")
	p.has(t,
		`<form class="controls" method="get" action="/ui/textdiff" data-live-form>`,
		"3 provisions changed from 2011-01-15 to 2011-06-01",
		`Chapter 1, article 2, paragraph 1 <code class="id">chp_1__art_2__para_1</code>`,
		`id="d-chp_1__art_2__para_1" data-eid="chp_1__art_2__para_1" data-change="changed"`,
		"A notary charges the fee set by the <del>Ministry </del><ins>Chamber </ins>of <del>Justice.</del><ins>Notaries.</ins>",
		`data-change="added"`, "<ins>A notary keeps a register of deeds.</ins>", "<ins>Records</ins>",
		`data-change="repealed"`, "<del>A notary keeps a seal.</del>",
		"Words substituted with effect from 2011-02-01 by", "<code>art_1</code>",
		`<a href="/ui/text?act=%2Fakn%2Fkz%2Fact%2F2010-12-01%2F300&amp;as_of=2011-01-15">the text on 2011-01-15</a> (the version of 2011-01-01)`,
	)
	// Article 1 is untouched: the amendment without changes does not show.
	p.hasNot(t, `id="d-chp_1__art_1"`)

	same := s.mustPage(t, "/ui/textdiff", "act", act, "from", "2011-03-01", "to", "2011-06-01")
	same.has(t, "The text reads the same on both days.")

	if p := s.get(t, "/ui/textdiff", "act", act, "from", "2011-01-15"); p.status != http.StatusBadRequest || !strings.Contains(p.body, "give two days") {
		t.Errorf("a diff without to=: %d, want 400 saying to give two days", p.status)
	}
	if p := s.get(t, "/ui/textdiff", "act", act, "from", "2011-01", "to", "2011-06-01"); p.status != http.StatusBadRequest {
		t.Errorf("a diff from a month: %d, want 400", p.status)
	}
}

// A change dated to the month only: the reading view inside that month says
// the text on the day may differ, and after it says nothing.
func TestTextReadingViewUncertain(t *testing.T) {
	s := mustSite(t)
	const code = "/akn/kz/act/code/1997-07-16/167" // the seed's, with art_49 amended in 2009-07
	p := s.mustPage(t, "/ui/text", "act", code, "as_of", "2009-07-10")
	p.has(t, `data-uncertain="2009-07"`, "A change here is dated 2009-07 only")
	s.mustPage(t, "/ui/text", "act", code, "as_of", "2009-08-10").hasNot(t, "data-uncertain")
}
