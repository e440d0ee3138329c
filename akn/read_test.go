package akn_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/lexledger/lexledger/akn"
	"github.com/lexledger/lexledger/events"
)

// The acts of the round trip: a code recorded with its structure, and the
// law that amends it by textual changes in 2010.
const (
	rtCode = events.ActID("/akn/kz/act/code/2001-01-30/155")
	rtLaw  = events.ActID("/akn/kz/act/2010-03-01/260")
)

const rtStructure = `[
	{"eid":"chp_1","num":"1","heading":"General provisions","children":[
		{"eid":"art_1","num":"1","heading":"Purpose","text":"This Code protects the rights of citizens."},
		{"eid":"art_2","num":"2","heading":"Fines","children":[
			{"eid":"art_2__para_1","num":"1","text":"A fine is set in monthly calculation indices."},
			{"eid":"art_2__para_2","num":"2","text":"A fine may not exceed one hundred indices."}]},
		{"eid":"art_3","num":"3","heading":"Warnings","text":"A warning is given in writing.\nIt is kept on file."}]}]`

// roundTripLedger records the code, its commencement, the amending law and
// its textual changes, and an amendment recorded without changes.
func roundTripLedger(t *testing.T) *ledger {
	l := newLedger(t)
	l.add(`{"act":"` + string(rtCode) + `","type":"adopted","date":"2001-01-30","body":{"title":"Code of Administrative Offences","kind":"code","chamber":"Parliament","structure":` + rtStructure + `}}`)
	l.add(`{"act":"` + string(rtCode) + `","type":"signed","date":"2001-02-05","body":{"signatory":"President"}}`)
	l.add(`{"act":"` + string(rtCode) + `","type":"published","date":"2001-02-10","body":{"gazette":"Official Gazette No. 12"}}`)
	l.add(`{"act":"` + string(rtCode) + `","type":"commenced","date":"2001-07-01","effective_from":"2001-07-01"}`)
	l.add(`{"act":"` + string(rtLaw) + `","type":"adopted","date":"2010-03-01","body":{"title":"Law amending the Code of Administrative Offences","kind":"law","chamber":"Parliament"}}`)
	l.add(`{"act":"` + string(rtLaw) + `","type":"commenced","date":"2010-04-01","effective_from":"2010-04-01"}`)
	l.add(`{"act":"` + string(rtCode) + `","type":"amended","date":"2010-03-01","effective_from":"2010-04-01","instrument":"` + string(rtLaw) + `","body":{"effect":"substitution","changes":[
		{"op":"substitute","target":"art_2__para_2","words":"one hundred","with":"two hundred"},
		{"op":"insert","target":"art_2","position":"after","node":{"eid":"art_2-1","num":"2-1","heading":"Community service","text":"Community service lasts at most forty hours."}},
		{"op":"repeal","target":"art_3"}]}}`)
	l.add(`{"act":"` + string(rtCode) + `","type":"amended","date":"2010-03-01","effective_from":"2010-04-15","instrument":"` + string(rtLaw) + `","provisions":["art_1"],"body":{"effect":"substitution","changes":[
		{"op":"substitute","target":"art_1","with":"This Code protects the rights and freedoms of citizens."}]}}`)
	l.add(`{"act":"` + string(rtCode) + `","type":"amended","date":"2010-03-01","effective_from":"2010-05-01","instrument":"` + string(rtLaw) + `","body":{"effect":"unspecified"}}`)
	return l
}

func mustRead(t *testing.T, doc []byte) []events.Event {
	t.Helper()
	evs, err := akn.Read(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("Read: %v\n%s", err, doc)
	}
	return evs
}

// replay checks every event read against those before it, as the ledger
// would, and applies them to a new ledger: the record a document gives.
func replay(t *testing.T, evs []events.Event) *ledger {
	t.Helper()
	l := newLedger(t)
	for _, e := range evs {
		e.Schema = 0
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		l.add(string(b))
	}
	return l
}

// The original version of an act exports and reads back as the events
// that record it: its id, title, kind and structure, its procedure with
// its agents and gazette, its commencement; each traced to its element.
func TestReadOriginalVersion(t *testing.T) {
	l := roundTripLedger(t)
	evs := mustRead(t, mustExport(t, l.p, rtCode, "2005-01-01", nil))
	var got []string
	for _, e := range evs {
		if e.Act != rtCode {
			t.Errorf("an event of %s, want %s", e.Act, rtCode)
		}
		got = append(got, string(e.Type)+" "+e.Date.String())
	}
	if want := "adopted 2001-01-30, signed 2001-02-05, published 2001-02-10, commenced 2001-07-01"; strings.Join(got, ", ") != want {
		t.Fatalf("the events read are %s, want %s", strings.Join(got, ", "), want)
	}
	a := evs[0]
	if a.Body.Title != "Code of Administrative Offences" || a.Body.Kind != events.CodeKind || a.Body.Chamber != "Parliament" {
		t.Errorf("the adoption reads %+v", a.Body)
	}
	var want []events.Node
	if err := json.Unmarshal([]byte(rtStructure), &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.Body.Structure, want) {
		g, _ := json.Marshal(a.Body.Structure)
		t.Errorf("the structure read is\n%s\nwant the one recorded\n%s", g, rtStructure)
	}
	if evs[1].Body.Signatory != "President" || evs[2].Body.Gazette != "Official Gazette No. 12" {
		t.Errorf("the signature and publication read %+v, %+v", evs[1].Body, evs[2].Body)
	}
	if c := evs[3]; c.EffectiveFrom != events.MustDate("2001-07-01") || len(c.Provisions) != 0 {
		t.Errorf("the commencement reads %+v", c)
	}
	for _, e := range evs {
		if !strings.HasPrefix(e.Body.Note, "akn: eventRef evt_") {
			t.Errorf("%s's note is %q, want the eventRef it comes from", e.Type, e.Body.Note)
		}
	}
	replay(t, evs)

	// Read again: the same events, ids included.
	again := mustRead(t, mustExport(t, l.p, rtCode, "2005-01-01", nil))
	for i := range evs {
		if again[i].ID != evs[i].ID {
			t.Errorf("event %d has id %s read again, %s the first time", i+1, again[i].ID, evs[i].ID)
		}
	}
}

// A later version reads back with its amendments: each textualMod an
// amended event by its instrument, from its effective day, its provisions
// the destinations, without text changes (outstanding); an amendment
// recorded without changes is one too, its effect unspecified.
func TestReadAmendedVersion(t *testing.T) {
	l := roundTripLedger(t)
	evs := mustRead(t, mustExport(t, l.p, rtCode, "2011-01-01", nil))
	var amended []string
	for _, e := range evs {
		if e.Type != events.Amended {
			continue
		}
		if len(e.Body.Changes) > 0 {
			t.Errorf("an amendment read with changes: %+v", e.Body.Changes)
		}
		amended = append(amended, fmt.Sprintf("%s from %s by %s %s %v (%s)", e.Date, e.EffectiveFrom, e.Instrument, e.Body.Effect, e.Provisions, strings.Fields(e.Body.Note)[1]))
	}
	want := []string{
		"2010-03-01 from 2010-04-01 by /akn/kz/act/2010-03-01/260 substitution [] (textualMod)",
		"2010-03-01 from 2010-04-15 by /akn/kz/act/2010-03-01/260 substitution [art_1] (textualMod)",
		"2010-03-01 from 2010-05-01 by /akn/kz/act/2010-03-01/260 unspecified [] (eventRef)",
	}
	if strings.Join(amended, "\n") != strings.Join(want, "\n") {
		t.Errorf("the amendments read:\n%s\nwant\n%s", strings.Join(amended, "\n"), strings.Join(want, "\n"))
	}
	a := evs[0]
	if !strings.Contains(a.Body.Note, "body of "+string(rtCode)+"/eng@2010-05-01") {
		t.Errorf("the adoption's note %q does not say its body is the version of 2010-05-01", a.Body.Note)
	}
	var got []string
	var walk func(ns []events.Node)
	walk = func(ns []events.Node) {
		for _, n := range ns {
			got = append(got, n.EID+"="+n.Text)
			walk(n.Children)
		}
	}
	walk(a.Body.Structure)
	wantText := "chp_1= art_1=This Code protects the rights and freedoms of citizens. art_2= art_2__para_1=A fine is set in monthly calculation indices. " +
		"art_2__para_2=A fine may not exceed two hundred indices. art_2-1=Community service lasts at most forty hours. art_3="
	if strings.Join(got, " ") != wantText {
		t.Errorf("the text read is\n%s\nwant the version's, art_3 repealed\n%s", strings.Join(got, " "), wantText)
	}
	replay(t, evs)
}

// doc wraps meta and body in a document of the act /akn/kz/act/2009-12-04/216.
func doc(name, meta, body string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<akomaNtoso xmlns="http://docs.oasis-open.org/legaldocml/ns/akn/3.0">
  <act name="` + name + `">
    <meta>
      <identification source="#source">
        <FRBRWork>
          <FRBRthis value="/akn/kz/act/2009-12-04/216/!main"/>
          <FRBRuri value="/akn/kz/act/2009-12-04/216"/>
          <FRBRalias value="Law on Refugees" name="short" showAs="Law on Refugees"/>
          <FRBRdate date="2009-12-04" name="Generation"/>
          <FRBRauthor href="#parliament"/>
          <FRBRcountry value="kz"/>
        </FRBRWork>
      </identification>` + meta + `
    </meta>
    <body>` + body + `
    </body>
  </act>
</akomaNtoso>
`
}

// A document from elsewhere, with Akoma Ntoso's own vocabulary: the
// generation is the adoption, the start of the period of force its
// commencement, an amendment eventRef and its textualMod one amended event.
func TestReadHandWritten(t *testing.T) {
	meta := `
      <lifecycle source="#source">
        <eventRef eId="e1" date="2009-12-04" source="#original" type="generation"/>
        <eventRef eId="e2" date="2011-01-01" source="#amendingAct" type="amendment"/>
        <eventRef eId="e3" date="2012-03-01" source="#amendingAct" type="amendment"/>
      </lifecycle>
      <analysis source="#source">
        <passiveModifications>
          <textualMod eId="pm1" type="replacement">
            <source href="#amendingAct"/>
            <destination href="#sec_1__subsec_2"/>
          </textualMod>
        </passiveModifications>
      </analysis>
      <temporalData source="#source">
        <temporalGroup eId="p1">
          <timeInterval start="#e1" refersTo="#inForce"/>
        </temporalGroup>
      </temporalData>
      <references source="#source">
        <original eId="original" href="/akn/kz/act/2009-12-04/216/eng@" showAs="Law on Refugees"/>
        <passiveRef eId="amendingAct" href="/akn/kz/act/2010-12-20/300/eng@2010-12-20" showAs="Law of 2010"/>
        <TLCConcept eId="inForce" href="/ontology/concept/inForce" showAs="In force"/>
      </references>`
	body := `
      <section eId="sec_1" period="#p1">
        <num>1.</num>
        <heading>Definitions</heading>
        <subsection eId="sec_1__subsec_1">
          <num>(1)</num>
          <content><p>A <term refersTo="#refugee">refugee</term> is a person
             who is not a citizen.</p></content>
        </subsection>
        <subsection eId="sec_1__subsec_2">
          <num>(2)</num>
          <intro><p>The following apply:</p></intro>
          <point eId="sec_1__subsec_2__point_a"><num>(a)</num><content><p>the Convention;</p></content></point>
        </subsection>
      </section>`
	evs := mustRead(t, []byte(doc("act", meta, body)))
	var got []string
	for _, e := range evs {
		got = append(got, fmt.Sprintf("%s %s %s %s %v %q", e.Type, e.Date, e.EffectiveFrom, e.Body.Effect, e.Provisions, e.Body.Note))
	}
	want := []string{
		`adopted 2009-12-04   [] "akn: eventRef e1, body of /akn/kz/act/2009-12-04/216"`,
		`commenced 2009-12-04 2009-12-04  [] "akn: timeInterval start e1"`,
		`amended 2010-12-20 2011-01-01 substitution [sec_1__subsec_2] "akn: textualMod pm1"`,
		`amended 2010-12-20 2012-03-01 unspecified [] "akn: eventRef e3"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the events read:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	a := evs[0]
	if a.Body.Title != "Law on Refugees" || a.Body.Kind != events.ActKind {
		t.Errorf("the adoption's title and kind are %q, %q", a.Body.Title, a.Body.Kind)
	}
	s := a.Body.Structure
	if len(s) != 1 || s[0].Num != "1." || s[0].Children[0].Text != "A refugee is a person who is not a citizen." ||
		s[0].Children[1].Text != "The following apply:" || s[0].Children[1].Children[0].Text != "the Convention;" {
		g, _ := json.Marshal(s)
		t.Errorf("the structure read is %s", g)
	}
	if evs[2].Instrument != "/akn/kz/act/2010-12-20/300" {
		t.Errorf("the amendment's instrument is %q", evs[2].Instrument)
	}
	replay(t, evs)
}

// What the ledger cannot record is refused, with the element, its line
// and what to do; nothing is returned.
func TestReadRefuses(t *testing.T) {
	good := `
      <article eId="art_1"><num>1</num><content><p>Text.</p></content></article>`
	for _, tc := range []struct {
		name, doc string
		want      []string
	}{
		{"NotXML", `<akomaNtoso><act>`, []string{"not well-formed XML"}},
		{"OtherRoot", `<html xmlns="http://www.w3.org/1999/xhtml"/>`, []string{"not an Akoma Ntoso 3.0 document"}},
		{"BadKind", doc("ordinance", "", good), []string{"ordinance", "constitution", "law", "decree"}},
		{"BadActID", strings.Replace(doc("law", "", good), `<FRBRuri value="/akn/kz/act/2009-12-04/216"/>`, `<FRBRuri value="/akn/kz/act/216"/>`, 1),
			[]string{"line 8", "/akn/kz/act/216", "4 or 5 components"}},
		{"Table", doc("law", "", `
      <article eId="art_1">
        <content><table eId="art_1__table_1"><tr><td><p>x</p></td></tr></table></content>
      </article>`), []string{"<table", "line 18", "not <table>"}},
		{"WrongPrefix", doc("law", "", `
      <article eId="sec_1"><content><p>x</p></content></article>`), []string{`<article eId="sec_1"> (line 17)`, "names a <section>"}},
		{"NoEID", doc("law", "", `
      <article><content><p>x</p></content></article>`), []string{"<article> (line 17) has no eId"}},
		{"Hcontainer", doc("law", "", `
      <hcontainer eId="hcontainer_1" name="schedule"><content><p>x</p></content></hcontainer>`), []string{"line 17", "not <hcontainer>"}},
		{"UnknownEventRef", doc("law", `
      <lifecycle source="#source">
        <eventRef eId="e1" date="2009-12-04" source="#original"/>
      </lifecycle>`, good), []string{`<eventRef eId="e1"> (line 16)`, "names no event"}},
		{"SignedBeforeAdopted", doc("law", `
      <lifecycle source="#source">
        <eventRef eId="e1" date="2009-12-04" source="#original" type="generation"/>
        <eventRef eId="e2" date="2009-12-01" source="#original" refersTo="#signed"/>
      </lifecycle>
      <references source="#source">
        <TLCEvent eId="signed" href="/ontology/event/lexledger/signed" showAs="Signed"/>
      </references>`, good), []string{`<eventRef eId="e2"> (line 17)`, "signed"}},
		{"AmendmentByNoAct", doc("law", `
      <lifecycle source="#source">
        <eventRef eId="e1" date="2009-12-04" source="#original" type="generation"/>
        <eventRef eId="e2" date="2010-12-01" source="#original" type="amendment"/>
      </lifecycle>`, good), []string{`<eventRef eId="e2"> (line 17)`, "amendment by no act"}},
		{"Preamble", strings.Replace(doc("law", "", good), "<body>", "<preamble><p>Whereas</p></preamble><body>", 1), []string{"<preamble>", "not its <preamble>"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := akn.Read(strings.NewReader(tc.doc))
			if err == nil {
				t.Fatalf("Read accepted the document, giving %d events", len(evs))
			}
			if evs != nil {
				t.Errorf("Read returned %d events with its error", len(evs))
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("the error %q does not say %q", err, w)
				}
			}
		})
	}
}

// Every act of the sample, exported as it stands today, reads back as
// events the ledger accepts, of the same act, kind and title, and the same
// steps: each of its events' type, effective day, provisions, instrument
// and effect.
func TestReadSample(t *testing.T) {
	l := seedLedger(t)
	steps := func(evs []events.Event) string {
		var out []string
		for _, e := range evs {
			out = append(out, fmt.Sprintf("%s %s %v %s %s", e.Type, e.EffectiveFrom, e.Provisions, e.Instrument, e.Body.Effect))
		}
		slices.Sort(out)
		return strings.Join(out, "\n")
	}
	for _, act := range l.acts() {
		doc := mustExport(t, l.p, act, "2026-01-01", nil)
		evs, err := akn.Read(bytes.NewReader(doc))
		if err != nil {
			t.Errorf("%s: %v", act, err)
			continue
		}
		first := l.byAct[act][0]
		if evs[0].Act != act || evs[0].Body.Kind != first.Body.Kind || evs[0].Body.Title != first.Body.Title {
			t.Errorf("%s reads back as %s, %q, %q; recorded as %q, %q", act, evs[0].Act, evs[0].Body.Kind, evs[0].Body.Title, first.Body.Kind, first.Body.Title)
		}
		recorded, err := events.Effective(l.byAct[act])
		if err != nil {
			t.Fatal(err)
		}
		if got, want := steps(evs), steps(recorded); got != want {
			t.Errorf("%s reads back as\n%s\nrecorded as\n%s", act, got, want)
		}
		replay(t, evs)
	}
}

// A document larger than the reader takes is refused before it is held.
func TestReadRefusesAHugeDocument(t *testing.T) {
	huge := strings.NewReader(`<akomaNtoso xmlns="http://docs.oasis-open.org/legaldocml/ns/akn/3.0"><act><body><p>` +
		strings.Repeat("words ", 3<<20) + `</p></body></act></akomaNtoso>`)
	if _, err := akn.Read(huge); err == nil || !strings.Contains(err.Error(), "larger than 16 MiB") {
		t.Errorf("a document of 18 MiB: %v", err)
	}
}
