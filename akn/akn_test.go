package akn_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/akn"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const (
	refugees     = events.ActID("/akn/kz/act/2009-12-04/216")
	criminalCode = events.ActID("/akn/kz/act/code/1997-07-16/167")
)

// seedDates are the days on which every act of the seed is exported.
var seedDates = []string{"2005-01-01", "2008-06-01", "2010-01-01", "2013-06-01"}

// TestSeedExportsValidate exports every act of the seed on each of
// seedDates, as the whole seed is recorded and as the record stood halfway
// through it, and on the day of each of its versions, and validates every
// document against the official schema.
func TestSeedExportsValidate(t *testing.T) {
	l := seedLedger(t)
	d := newDocs(t)
	halfway := minute(l.seq / 2)
	for _, act := range l.acts() {
		for _, day := range seedDates {
			for _, knownAt := range []*time.Time{nil, &halfway} {
				q := projections.Query{AsOf: events.MustDate(day), KnownAt: knownAt}
				out, err := akn.Export(l.p, act, q, manifestation)
				if knownAt != nil && events.ErrorCode(err) == events.CodeNotFound {
					continue // not yet recorded halfway
				}
				if err != nil {
					t.Fatalf("Export(%s, %s, known at %v): %v", act, day, knownAt, err)
				}
				if err := checkRefs(parse(t, out)); err != nil {
					t.Errorf("%s on %s: %v", act, day, err)
				}
				label := day
				if knownAt != nil {
					label += "~known-halfway"
				}
				d.add(t, act, label, out)
			}
		}
	}
	// And each act's every version, on the day it took effect: the
	// expression of that version, named by it.
	for _, act := range l.acts() {
		vs, err := l.p.Versions(act, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			day := v.Date.Earliest().Date()
			out, err := akn.Export(l.p, act, projections.Query{AsOf: day}, manifestation)
			if err != nil {
				t.Fatalf("Export(%s, version %s): %v", act, v.Date, err)
			}
			doc := parse(t, out)
			if err := checkRefs(doc); err != nil {
				t.Errorf("%s, version %s: %v", act, v.Date, err)
			}
			if got, want := doc.one(t, "FRBRExpression").one(t, "FRBRuri").attr("value"), akn.ExpressionURI(act, v.Date); got != want {
				t.Errorf("the export of %s on %s is %s, want the version's %s", act, day, got, want)
			}
			d.add(t, act, "version-"+v.Date.String(), out)
		}
	}
	n := d.validate(t)
	t.Logf("%d exports of the seed's %d acts validate against the Akoma Ntoso 3.0 schema", n, len(l.acts()))
}

// TestHistoryExportsValidate exports the hand-written history on every
// boundary of valid time, the day before each, and as the record stood
// after each event, and validates every document.
func TestHistoryExportsValidate(t *testing.T) {
	f := history(t)
	days := map[string]bool{}
	for _, e := range f.all {
		for _, d := range []events.Date{e.Event.Date, e.Event.EffectiveFrom, e.Event.EffectiveTo} {
			if !d.IsZero() {
				days[d.Earliest().Date().String()] = true
				days[(d.Earliest() - 1).Date().String()] = true
			}
		}
	}
	sample := []string{"2010-12-01", "2011-05-01", "2011-07-15", "2012-07-01", "2012-09-01", "2013-06-01", "2014-08-01", "2015-06-01"}
	d := newDocs(t)
	for _, act := range f.acts() {
		for _, day := range sortedKeys(days) {
			out := mustExport(t, f.p, act, day, nil)
			if err := checkRefs(parse(t, out)); err != nil {
				t.Errorf("%s on %s: %v", act, day, err)
			}
			d.add(t, act, day, out)
		}
		for k := uint64(1); k <= f.seq; k++ {
			knownAt := minute(k)
			for _, day := range sample {
				q := projections.Query{AsOf: events.MustDate(day), KnownAt: &knownAt}
				out, err := akn.Export(f.p, act, q, knownAt)
				if events.ErrorCode(err) == events.CodeNotFound {
					continue
				}
				if err != nil {
					t.Fatalf("Export(%s, %s, known at %d): %v", act, day, k, err)
				}
				if err := checkRefs(parse(t, out)); err != nil {
					t.Errorf("%s on %s known at %d: %v", act, day, k, err)
				}
				d.add(t, act, fmt.Sprintf("%s~known-%02d", day, k), out)
			}
		}
	}
	n := d.validate(t)
	t.Logf("%d exports of the history's %d acts validate against the Akoma Ntoso 3.0 schema", n, len(f.acts()))
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestSchemaCatchesInvalid makes sure the validation is real: a document
// with an eventRef that lost its date does not validate.
func TestSchemaCatchesInvalid(t *testing.T) {
	l := seedLedger(t)
	out := mustExport(t, l.p, refugees, "2010-01-01", nil)
	broken := bytes.Replace(out, []byte(` date="2009-12-04" source="#original" type="generation"`), []byte(` source="#original" type="generation"`), 1)
	if bytes.Equal(broken, out) {
		t.Fatal("the test could not break the document")
	}
	path := filepath.Join(t.TempDir(), "broken.xml")
	if err := os.WriteFile(path, broken, 0o644); err != nil {
		t.Fatal(err)
	}
	if n, failed := lint(t, []string{path}); n != 0 || len(failed[path]) == 0 {
		t.Errorf("xmllint accepted an eventRef without a date (valid %d, messages %v)", n, failed[path])
	}
}

func TestElementFor(t *testing.T) {
	for _, c := range []struct{ eid, element, name, num string }{
		{"art_18", "article", "", "18"},
		{"art_347-1", "article", "", "347-1"},
		{"sec_2", "section", "", "2"},
		{"sec_2__subsec_1", "subsection", "", "1"},
		{"chp_1__art_5__para_2", "paragraph", "", "2"},
		{"para_2__subpara_a", "subparagraph", "", "a"},
		{"part_narrow", "part", "", "narrow"},
		{"part_all-serious", "part", "", "all-serious"},
		{"chp_IV", "chapter", "", "IV"},
		{"subchp_2", "subchapter", "", "2"},
		{"cl_3", "clause", "", "3"},
		{"dvs_1", "division", "", "1"},
		{"al_1", "alinea", "", "1"},
		{"lvl_1", "level", "", "1"},
		{"prov_1", "proviso", "", "1"},
		{"article_7", "article", "", "7"},
		{"transitional_1", "transitional", "", "1"},
		{"schedule_A", "hcontainer", "schedule", "A"},
		{"art_5__item_b", "hcontainer", "item", "b"},
		{"preamble", "hcontainer", "preamble", ""},
		{"part", "part", "", ""},
	} {
		el, name, num := akn.ElementFor(c.eid)
		if el != c.element || name != c.name || num != c.num {
			t.Errorf("ElementFor(%q) = %q, %q, %q; want %q, %q, %q", c.eid, el, name, num, c.element, c.name, c.num)
		}
	}
}

// TestBodyNesting checks that nested eIds become nested elements in
// natural order, that a named parent's own text goes into <intro>, and
// that an ancestor the record does not name is made for its children.
func TestBodyNesting(t *testing.T) {
	l := newLedger(t)
	act := events.ActID("/akn/kz/act/2020-01-01/1")
	l.add(ev(act, `"type":"adopted","date":"2020-01-01","body":{"title":"Nesting","kind":"law","texts":{
		"art_10":"Ten.","art_2":"Two.","art_2-1":"Two bis.","art_2__para_1":"Two, first paragraph.",
		"sec_1__subsec_10":"Ten.","sec_1__subsec_9":"Nine.","chp_1__art_5__para_2":"Deep."}}`))
	doc := parse(t, mustExport(t, l.p, act, "2020-06-01", nil))
	body := doc.one(t, "body")
	var order []string
	var walk func(n node, depth int)
	walk = func(n node, depth int) {
		if id := n.attr("eId"); id != "" {
			order = append(order, fmt.Sprintf("%s%s:%s", strings.Repeat(" ", depth), n.XMLName.Local, id))
			depth++
		}
		for _, c := range n.Nodes {
			walk(c, depth)
		}
	}
	walk(body, 0)
	want := []string{
		"article:art_2",
		" paragraph:art_2__para_1",
		"article:art_2-1",
		"article:art_10",
		"chapter:chp_1",
		" article:chp_1__art_5",
		"  paragraph:chp_1__art_5__para_2",
		"section:sec_1",
		" subsection:sec_1__subsec_9",
		" subsection:sec_1__subsec_10",
	}
	if !slices.Equal(order, want) {
		t.Errorf("the body is\n%s\nwant\n%s", strings.Join(order, "\n"), strings.Join(want, "\n"))
	}
	art2 := doc.byEID(t, "art_2")
	if got := art2.one(t, "intro").one(t, "p").Text; got != "Two." {
		t.Errorf("art_2's own text is %q in <intro>, want %q", got, "Two.")
	}
	if len(art2.all("content")) != 1 {
		t.Errorf("art_2 has %d <content>, want only its paragraph's", len(art2.all("content")))
	}
	if sec := doc.byEID(t, "sec_1"); len(sec.all("intro")) != 0 || sec.attr("period") != "" {
		t.Errorf("the unnamed ancestor sec_1 has its own text or period: %+v", sec)
	}
}

// TestHostileText checks that titles, names and texts are escaped: no
// markup gets through, and the parsed document gives back the text.
func TestHostileText(t *testing.T) {
	hostile := `<script>alert("x")</script> & 'quotes' "double" ]]> &amp;`
	l := newLedger(t)
	act := events.ActID("/akn/kz/act/2020-01-01/evil")
	l.add(ev(act, fmt.Sprintf(`"type":"drafted","date":"2020-01-01","body":{"title":%q,"kind":"law","drafting_body":%q,
		"texts":{"art_1":%q,"art_2":"bell \u0007 and nul \u0000 and \ud83d\ude00"}}`, hostile, hostile, hostile+"\n"+hostile)))
	l.add(ev(act, `"type":"adopted","date":"2020-01-02"`))
	l.add(ev(act, fmt.Sprintf(`"type":"signed","date":"2020-01-03","body":{"signatory":%q}`, hostile)))
	l.add(ev(act, fmt.Sprintf(`"type":"published","date":"2020-01-04","body":{"gazette":%q}`, hostile)))
	out := mustExport(t, l.p, act, "2020-06-01", nil)
	if bytes.Contains(out, []byte("<script>")) || bytes.Contains(out, []byte("\x00")) || bytes.Contains(out, []byte("\x07")) {
		t.Fatalf("the export carries raw markup or control characters:\n%s", out)
	}
	doc := parse(t, out)
	if err := checkRefs(doc); err != nil {
		t.Error(err)
	}
	if got := doc.one(t, "docTitle").Text; got != hostile {
		t.Errorf("docTitle is %q, want %q", got, hostile)
	}
	ps := doc.byEID(t, "art_1").all("p")
	if len(ps) != 2 || ps[0].Text != hostile || ps[1].Text != hostile {
		t.Errorf("art_1 holds %+v, want two paragraphs of %q", ps, hostile)
	}
	if got := doc.byEID(t, "art_2").one(t, "p").Text; got != "bell \uFFFD and nul \uFFFD and \U0001F600" {
		t.Errorf("art_2 is %q: control characters must become U+FFFD, other characters stay", got)
	}
	if got := doc.one(t, "publication").attr("showAs"); got != hostile {
		t.Errorf("publication showAs is %q, want %q", got, hostile)
	}
	var org string
	for _, o := range doc.all("TLCOrganization") {
		if o.attr("showAs") == hostile {
			org = o.attr("href")
		}
	}
	if org != "/ontology/organization/kz/script-alert-x-script-quotes-double-amp" {
		t.Errorf("the drafting body's href is %q", org)
	}
	d := newDocs(t)
	d.add(t, act, "hostile", out)
	d.validate(t)
}

// TestStableOutput checks that the same events give the same bytes: twice
// from one projection, from a projection rebuilt from the stream, and from
// one restored from its snapshot.
func TestStableOutput(t *testing.T) {
	f := history(t)
	rebuilt := projections.New()
	for _, e := range f.all {
		if _, err := rebuilt.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	var snap bytes.Buffer
	if err := f.p.WriteSnapshot(&snap); err != nil {
		t.Fatal(err)
	}
	restored, err := projections.ReadSnapshot(&snap)
	if err != nil {
		t.Fatal(err)
	}
	knownAt := minute(22)
	for _, act := range f.acts() {
		for _, day := range []string{"2011-07-15", "2012-09-01", "2015-06-01"} {
			for _, k := range []*time.Time{nil, &knownAt} {
				q := projections.Query{AsOf: events.MustDate(day), KnownAt: k}
				first, err := akn.Export(f.p, act, q, manifestation)
				if err != nil {
					continue // not recorded at known_at: the same for all
				}
				for name, p := range map[string]*projections.Projection{"same": f.p, "rebuilt": rebuilt, "restored": restored} {
					again, err := akn.Export(p, act, q, manifestation)
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					if !bytes.Equal(first, again) {
						t.Errorf("%s on %s from the %s projection differs from the first export", act, day, name)
					}
				}
			}
		}
	}
}

// TestExpressionURI checks the FRBR identifiers: the expression carries the
// as-of date, the manifestation the record date.
func TestExpressionURI(t *testing.T) {
	l := seedLedger(t)
	for _, day := range seedDates {
		doc := parse(t, mustExport(t, l.p, refugees, day, nil))
		expr := doc.one(t, "FRBRExpression")
		// The law has one version, its commencement on 2009-12-04; on the
		// days before it had any step, the day names the expression.
		version := "2009-12-04"
		if day < version {
			version = day
		}
		want := "/akn/kz/act/2009-12-04/216/eng@" + version
		if got := expr.one(t, "FRBRuri").attr("value"); got != want {
			t.Errorf("expression URI on %s is %q, want %q", day, got, want)
		}
		if got := expr.one(t, "FRBRthis").attr("value"); got != want+"/!main" {
			t.Errorf("expression FRBRthis on %s is %q", day, got)
		}
		if got := expr.one(t, "FRBRdate"); got.attr("date") != version || got.attr("name") != "version" {
			t.Errorf("expression date on %s is %v", day, got.Attrs)
		}
		if got := akn.ExpressionURI(refugees, events.MustDate(version)); got != want {
			t.Errorf("ExpressionURI = %q, want %q", got, want)
		}
		work := doc.one(t, "FRBRWork")
		if got := work.one(t, "FRBRuri").attr("value"); got != string(refugees) {
			t.Errorf("work URI is %q", got)
		}
		if got := work.one(t, "FRBRthis").attr("value"); got != string(refugees)+"/!main" {
			t.Errorf("work FRBRthis is %q", got)
		}
		if got := work.one(t, "FRBRdate"); got.attr("date") != "2009-12-04" || got.attr("name") != "adopted" {
			t.Errorf("work date is %+v", got.Attrs)
		}
		man := doc.one(t, "FRBRManifestation")
		if got := man.one(t, "FRBRuri").attr("value"); got != want+".akn" {
			t.Errorf("manifestation URI is %q", got)
		}
		if got := man.one(t, "FRBRthis").attr("value"); got != want+"/!main.xml" {
			t.Errorf("manifestation FRBRthis is %q", got)
		}
		if got := man.one(t, "FRBRdate"); got.attr("date") != "2026-02-03" || got.attr("name") != "recorded" {
			t.Errorf("manifestation date is %+v", got.Attrs)
		}
	}
}

// TestBillUntilAdopted: an act is a <bill> on the days before its
// adoption, an <act> from it.
func TestBillUntilAdopted(t *testing.T) {
	l := seedLedger(t)
	for _, c := range []struct {
		act       events.ActID
		day, root string
	}{
		{refugees, "2008-06-01", "bill"},
		{refugees, "2009-12-04", "act"},
		{"/akn/kz/bill/2010/torture-art-347-1", "2013-06-01", "bill"},
		{criminalCode, "2005-01-01", "act"},
	} {
		doc := parse(t, mustExport(t, l.p, c.act, c.day, nil))
		if len(doc.Nodes) != 1 || doc.Nodes[0].XMLName.Local != c.root {
			t.Errorf("%s on %s is not an <%s>", c.act, c.day, c.root)
		}
		if doc.XMLName.Space != akn.Namespace || doc.XMLName.Local != "akomaNtoso" {
			t.Errorf("the root is %v", doc.XMLName)
		}
	}
}

// TestSeedCriminalCode follows the death penalty's article through the
// seed: suspended by the moratorium, then amended.
func TestSeedCriminalCode(t *testing.T) {
	l := seedLedger(t)
	doc := parse(t, mustExport(t, l.p, criminalCode, "2005-01-01", nil))
	art := doc.byEID(t, "art_49")
	if art.attr("status") != "temporarilyRemoved" || art.attr("period") != "#tg_art_49" {
		t.Errorf("art_49 in 2005 has %v; want status temporarilyRemoved and its period", art.Attrs)
	}
	moratorium := doc.byEID(t, "evt_01KZSEED000000000000000008")
	if moratorium.attr("date") != "2003-12-01" || !strings.Contains(moratorium.attr("refersTo"), "#monthPrecision") {
		t.Errorf("the moratorium's eventRef is %v; want 2003-12-01 with #monthPrecision", moratorium.Attrs)
	}
	// The version in force in 2005 knows the suspension, not its end.
	intervals := doc.byEID(t, "tg_art_49").all("timeInterval")
	if len(intervals) != 2 || intervals[1].attr("start") != "#evt_01KZSEED000000000000000008" ||
		intervals[1].attr("end") != "" || intervals[1].attr("refersTo") != "#inForce #efficacySuspended" {
		t.Errorf("art_49's intervals are %+v", intervals)
	}
	if got := doc.one(t, "FRBRExpression").one(t, "FRBRuri").attr("value"); got != string(criminalCode)+"/eng@2003-12" {
		t.Errorf("the expression in force in 2005 is %q, want the version of the moratorium, 2003-12", got)
	}
	if mods := doc.all("textualMod"); len(mods) != 0 {
		t.Errorf("no amendment is in effect in 2005, found %d", len(mods))
	}

	doc = parse(t, mustExport(t, l.p, criminalCode, "2010-01-01", nil))
	if doc.byEID(t, "art_49").attr("status") != "" {
		t.Error("art_49 has a status in 2010, when it is in force")
	}
	if got := doc.byEID(t, "art_49").one(t, "p").Text; !strings.HasPrefix(got, "The death penalty is abolished") {
		t.Errorf("art_49 in 2010 reads %q", got)
	}
	// Three amendments in effect in 2010: the two of art_49, textual; the
	// judicial law's, a change the seed does not detail, has no
	// textualMod (no type of Akoma Ntoso fits it), only its eventRef.
	mods := doc.all("textualMod")
	if len(mods) != 2 {
		t.Fatalf("want the 2 textual amendments in effect in 2010, found %d", len(mods))
	}
	for _, m := range mods {
		if m.one(t, "source").attr("href") == "#ref_3" {
			t.Errorf("the judicial law's change not detailed has a textualMod: %+v", m)
		}
	}
	if r := doc.byEID(t, "evt_01KZSEED000000000000000030"); r.attr("type") != "amendment" || r.attr("source") != "#ref_3" {
		t.Errorf("the judicial law's amendment's eventRef is %v", r.Attrs)
	}
	if got := doc.byEID(t, "ref_3").attr("href"); got != "/akn/kz/act/2009-12-10/judicial-system-improvement" {
		t.Errorf("ref_3 points at %q", got)
	}
	if got := doc.Nodes[0].attr("contains"); got != "singleVersion" {
		t.Errorf("an amended code contains %q, want singleVersion", got)
	}
}

// TestHistoryDocument checks the history's assemblies law on chosen days.
func TestHistoryDocument(t *testing.T) {
	f := history(t)
	doc := parse(t, mustExport(t, f.p, assemblies, "2012-07-01", nil))

	author := doc.one(t, "FRBRWork").one(t, "FRBRauthor").attr("href")
	if got := doc.byEID(t, strings.TrimPrefix(author, "#")).attr("showAs"); got != "Parliament of the Republic of Kazakhstan" {
		t.Errorf("the work's author is %q, want the adopting chamber", got)
	}
	if got := doc.one(t, "FRBRalias"); got.attr("value") != "https://zan.kz/eli/kz/law/2011/42" || got.attr("name") != "eli" {
		t.Errorf("FRBRalias is %v", got.Attrs)
	}
	if got := doc.one(t, "publication"); got.attr("date") != "2011-03-05" || got.attr("showAs") != "Kazakhstanskaya Pravda No. 45 (26516)" {
		t.Errorf("publication is %v", got.Attrs)
	}
	var steps []string
	for _, s := range doc.one(t, "workflow").all("step") {
		by := doc.byEID(t, strings.TrimPrefix(s.attr("by"), "#"))
		steps = append(steps, s.attr("date")+" "+s.attr("refersTo")+" by "+by.XMLName.Local+" "+by.attr("showAs"))
	}
	wantSteps := []string{
		"2010-09-01 #drafted #monthPrecision by TLCOrganization Ministry of Justice of the Republic of Kazakhstan",
		"2010-10-05 #introduced by TLCOrganization Mazhilis of the Parliament",
		"2010-12-01 #passed by TLCOrganization Mazhilis of the Parliament",
		"2011-02-01 #passed by TLCOrganization Senate of the Parliament",
		"2011-02-15 #adopted by TLCOrganization Parliament of the Republic of Kazakhstan",
		"2011-02-20 #vetoed by TLCPerson President of the Republic of Kazakhstan",
		"2011-03-01 #vetoOverridden by TLCOrganization Parliament of the Republic of Kazakhstan",
		"2011-03-05 #published by TLCOrganization Not recorded in the ledger",
	}
	if !slices.Equal(steps, wantSteps) {
		t.Errorf("the workflow is\n%s\nwant\n%s", strings.Join(steps, "\n"), strings.Join(wantSteps, "\n"))
	}

	// Provisions on 2012-07-01: art_2 amended, art_2-1 inserted and in
	// force, sec_3__subsec_2 suspended, sec_3 a named parent without text.
	if got := doc.byEID(t, "art_2").one(t, "p").Text; got != "An assembly is notified five days in advance." {
		t.Errorf("art_2 reads %q", got)
	}
	if got := doc.byEID(t, "art_2-1"); got.attr("status") != "" || got.attr("period") != "#tg_art_2-1" {
		t.Errorf("the inserted art_2-1 has %v", got.Attrs)
	}
	if got := doc.byEID(t, "sec_3__subsec_2"); got.attr("status") != "temporarilyRemoved" || len(got.all("p")) != 2 {
		t.Errorf("the suspended sec_3__subsec_2 is %+v", got)
	}
	if got := doc.byEID(t, "sec_3__subsec_1").one(t, "p").Text; !strings.Contains(got, "public register") {
		t.Errorf("the corrigendum's text is not in force: %q", got)
	}
	if got := doc.byEID(t, "schedule_A"); got.XMLName.Local != "hcontainer" || got.attr("name") != "schedule" {
		t.Errorf("schedule_A is %v", got.Attrs)
	}
	var mods []string
	for _, m := range doc.all("textualMod") {
		mods = append(mods, m.attr("type")+" "+m.one(t, "destination").attr("href"))
	}
	if !slices.Equal(mods, []string{"substitution #art_2", "insertion #art_2-1"}) {
		t.Errorf("the amendments in effect are %v", mods)
	}

	// The whole act is suspended from 2012-08 until the lift on 2012-10-15.
	// The version of 2012-07-01 ends there: it knows its first period, and
	// not yet its end; the version of 2015 knows them all.
	periods := func(doc node) []string {
		var acts []string
		for _, g := range doc.all("temporalGroup") {
			if strings.HasPrefix(g.attr("eId"), "tg_whole-act_") {
				ti := g.one(t, "timeInterval")
				date := func(ref string) string {
					if ref == "" {
						return "open"
					}
					return doc.byEID(t, strings.TrimPrefix(ref, "#")).attr("date")
				}
				acts = append(acts, date(ti.attr("start"))+".."+date(ti.attr("end"))+" "+ti.attr("refersTo"))
			}
		}
		return acts
	}
	if got := periods(doc); !slices.Equal(got, []string{"2011-04-01..open #partiallyInForce"}) {
		t.Errorf("the act's periods in the version of 2012-07-01 are %v", got)
	}
	for _, r := range doc.one(t, "lifecycle").all("eventRef") {
		if r.attr("date") > "2012-07-01" {
			t.Errorf("the lifecycle of the version of 2012-07-01 lists %v", r.Attrs)
		}
	}
	wantActs := []string{
		"2011-04-01..2012-08-01 #partiallyInForce",
		"2012-08-01..2012-10-15 #inForce #efficacySuspended",
		"2012-10-15..2014-07-01 #partiallyInForce",
		"2015-01-01..open #partiallyInForce",
	}
	if acts := periods(parse(t, mustExport(t, f.p, assemblies, "2015-06-01", nil))); !slices.Equal(acts, wantActs) {
		t.Errorf("the act's periods are\n%s\nwant\n%s", strings.Join(acts, "\n"), strings.Join(wantActs, "\n"))
	}

	// From 2013: art_1 repealed by amendment.
	doc = parse(t, mustExport(t, f.p, assemblies, "2013-06-01", nil))
	if got := doc.byEID(t, "art_1"); got.attr("status") != "removed" {
		t.Errorf("art_1 after its repeal has %v", got.Attrs)
	}
	if got := doc.byEID(t, "sec_3__subsec_2").attr("status"); got != "" {
		t.Errorf("sec_3__subsec_2 after its suspension has status %q", got)
	}
	// Repealed whole in 2014: every provision removed; re-enacted in 2015.
	doc = parse(t, mustExport(t, f.p, assemblies, "2014-08-01", nil))
	for _, eid := range []string{"art_2", "art_2-1", "sec_3__subsec_1", "schedule_A"} {
		if got := doc.byEID(t, eid).attr("status"); got != "removed" {
			t.Errorf("%s of the repealed act has status %q", eid, got)
		}
	}
	if got := doc.one(t, "state").attr("status"); got != "repealed" {
		t.Errorf("the proprietary status in 2014 is %q", got)
	}
	doc = parse(t, mustExport(t, f.p, assemblies, "2015-06-01", nil))
	if got := doc.byEID(t, "art_2").attr("status"); got != "" {
		t.Errorf("art_2 after the re-enactment has status %q", got)
	}
	if got := doc.byEID(t, "art_1").attr("status"); got != "removed" {
		t.Errorf("art_1 stays repealed after the re-enactment, has status %q", got)
	}
}

// TestHistoryKnownAt checks the record-time dimension: the correction of
// schedule_A's commencement and the retraction of its renumbering show only
// in documents as known after them.
func TestHistoryKnownAt(t *testing.T) {
	f := history(t)
	start := func(doc node) string {
		ti := doc.byEID(t, "tg_schedule_A").all("timeInterval")[0]
		return doc.byEID(t, strings.TrimPrefix(ti.attr("start"), "#")).attr("date")
	}
	before := f.correction.RecordedAt.Add(-time.Second)
	doc := parse(t, mustExport(t, f.p, assemblies, "2013-06-01", &before))
	if got := start(doc); got != "2011-07-01" {
		t.Errorf("before the correction schedule_A starts on %s, want 2011-07-01", got)
	}
	if len(doc.all("textualMod")) != 4 {
		t.Errorf("before the retraction, want 4 amendments in effect, found %d", len(doc.all("textualMod")))
	}
	if got := doc.one(t, "state").attr("knownAt"); got != before.Format(time.RFC3339Nano) {
		t.Errorf("the proprietary knownAt is %q", got)
	}
	doc = parse(t, mustExport(t, f.p, assemblies, "2013-06-01", nil))
	if got := start(doc); got != "2011-08-01" {
		t.Errorf("after the correction schedule_A starts on %s, want 2011-08-01", got)
	}
	for _, m := range doc.all("textualMod") {
		if m.attr("type") == "renumbering" {
			t.Error("the retracted renumbering is still in the document")
		}
	}
	for _, r := range doc.all("eventRef") {
		if r.attr("eId") == "evt_"+f.renumbering.ID.String() || r.attr("eId") == "evt_"+f.correction.ID.String() {
			t.Errorf("eventRef %s is a retracted or record event", r.attr("eId"))
		}
	}
}

// TestGolden compares the Law on Refugees on 2010-01-01 (the seed's two
// events, in testdata) with the document in testdata; -update rewrites it.
func TestGolden(t *testing.T) {
	l := loadJSONL(t, filepath.Join("testdata", "refugees.jsonl"))
	out := mustExport(t, l.p, refugees, "2010-01-01", nil)
	golden := filepath.Join("testdata", "refugees-2010-01-01.xml")
	if *update {
		if err := os.WriteFile(golden, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./akn -run TestGolden -update to write it)", err)
	}
	if !bytes.Equal(out, want) {
		t.Errorf("the export differs from %s (run with -update if the change is intended):\n%s", golden, out)
	}
}

func TestErrors(t *testing.T) {
	l := seedLedger(t)
	early := minute(1)
	for _, c := range []struct {
		name    string
		act     events.ActID
		q       projections.Query
		mtime   time.Time
		code    events.Code
		message string
	}{
		{"unknown act", "/akn/kz/act/2099-01-01/1", projections.Query{AsOf: events.MustDate("2010-01-01")}, manifestation, events.CodeNotFound, "not in the ledger"},
		{"not yet recorded", refugees, projections.Query{AsOf: events.MustDate("2010-01-01"), KnownAt: &early}, manifestation, events.CodeNotFound, "not yet recorded"},
		{"as_of a month", refugees, projections.Query{AsOf: events.MustDate("2010-01")}, manifestation, events.CodeInvalid, "as_of must be a day"},
		{"no manifestation time", refugees, projections.Query{AsOf: events.MustDate("2010-01-01")}, time.Time{}, events.CodeInvalid, "manifestation time"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := akn.Export(l.p, c.act, c.q, c.mtime)
			if err == nil || out != nil {
				t.Fatalf("Export gave %d bytes and error %v; want an error", len(out), err)
			}
			var e *events.Error
			if !errors.As(err, &e) || e.Code != c.code || !strings.Contains(err.Error(), c.message) {
				t.Errorf("error %q (code %s); want code %s saying %q", err, events.ErrorCode(err), c.code, c.message)
			}
		})
	}
}

// TestProvisionStatuses: a provision not yet in force has no status and,
// never having been in force, no period; one repealed before it commenced
// is removed.
func TestProvisionStatuses(t *testing.T) {
	l := newLedger(t)
	act := events.ActID("/akn/kz/act/2020-01-15/3")
	l.add(ev(act, `"type":"adopted","date":"2020-01-15","body":{"title":"Statuses","kind":"law",
		"texts":{"art_1":"In force.","art_2":"Prospective.","art_3":"Repealed before it commenced."}}`))
	l.add(ev(act, `"type":"commenced","date":"2020-01-15","effective_from":"2020-02-01","provisions":["art_1"]`))
	l.add(ev(act, `"type":"commenced","date":"2020-01-15","effective_from":"2020-09-01","provisions":["art_2"]`))
	l.add(ev(act, `"type":"commencement_postponed","date":"2020-08-01","provisions":["art_2"],"body":{"reason":"no date yet"}`))
	l.add(ev(act, `"type":"repealed","date":"2020-02-20","effective_from":"2020-03-01","provisions":["art_3"]`))
	out := mustExport(t, l.p, act, "2020-06-01", nil)
	doc := parse(t, out)
	for _, c := range []struct{ eid, status, period string }{
		{"art_1", "", "#tg_art_1"},
		{"art_2", "", ""},
		{"art_3", "removed", ""},
	} {
		n := doc.byEID(t, c.eid)
		if n.attr("status") != c.status || n.attr("period") != c.period {
			t.Errorf("%s has status %q and period %q; want %q and %q", c.eid, n.attr("status"), n.attr("period"), c.status, c.period)
		}
	}
	if err := checkRefs(doc); err != nil {
		t.Error(err)
	}
	d := newDocs(t)
	d.add(t, act, "2020-06-01", out)
	d.validate(t)
}

// TestDuplicateEIDRefused: a provision whose eId is one of the metadata's
// ids cannot be exported validly; Export says so instead of writing an
// invalid document.
func TestDuplicateEIDRefused(t *testing.T) {
	l := newLedger(t)
	act := events.ActID("/akn/kz/act/2020-01-15/4")
	l.add(ev(act, `"type":"adopted","date":"2020-01-15","body":{"title":"Clash","kind":"law","texts":{"lexledger":"A provision named like the ledger."}}`))
	_, err := akn.Export(l.p, act, projections.Query{AsOf: events.MustDate("2020-06-01")}, manifestation)
	if err == nil || !strings.Contains(err.Error(), `eId "lexledger" is used twice`) {
		t.Errorf("Export gave error %v; want one naming the duplicate eId", err)
	}
}

// TestWorkDatePrecision: the work date of an act known to the month or the
// year is its first day, marked with its precision; a day is not marked.
func TestWorkDatePrecision(t *testing.T) {
	l := seedLedger(t)
	for _, c := range []struct {
		act             events.ActID
		date, precision string
	}{
		{"/akn/kz/act/2007-05/constitutional-reform", "2007-05-01", "month"},
		{"/akn/kz/act/institution/2002/human-rights-ombudsman", "2002-01-01", "year"},
		{refugees, "2009-12-04", ""},
	} {
		doc := parse(t, mustExport(t, l.p, c.act, "2010-01-01", nil))
		got := doc.one(t, "FRBRWork").one(t, "FRBRdate")
		precision := ""
		for _, a := range got.Attrs {
			if a.Name.Local == "precision" && a.Name.Space == akn.ProprietaryNamespace {
				precision = a.Value
			}
		}
		if got.attr("date") != c.date || precision != c.precision {
			t.Errorf("%s: work date %q with precision %q, want %q with %q", c.act, got.attr("date"), precision, c.date, c.precision)
		}
	}
}
