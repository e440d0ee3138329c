package akn_test

import (
	"strings"
	"testing"

	"github.com/lexledger/lexledger/events"
)

// An act recorded with its structure and amended by textual changes
// exports, for each of its versions, the consolidated text of that
// version, named by the version's date; the amending act carries the
// changes it made as activeModifications; every document validates.
func TestStructuredVersions(t *testing.T) {
	const code, law = events.ActID("/akn/kz/act/code/2001-01-30/155"), events.ActID("/akn/kz/act/2010-03-01/260")
	l := newLedger(t)
	l.add(`{"act":"` + string(code) + `","type":"adopted","date":"2001-01-30","body":{"title":"Code of Administrative Offences","kind":"code","chamber":"Parliament","structure":[
		{"eid":"chp_1","num":"1","heading":"General provisions","children":[
			{"eid":"art_1","num":"1","heading":"Purpose","text":"This Code protects the rights of citizens."},
			{"eid":"art_2","num":"2","heading":"Fines","children":[
				{"eid":"art_2__para_1","num":"1","text":"A fine is set in monthly calculation indices."},
				{"eid":"art_2__para_2","num":"2","text":"A fine may not exceed one hundred indices."}]},
			{"eid":"art_3","num":"3","heading":"Warnings","text":"A warning is given in writing."}]}]}}`)
	l.add(`{"act":"` + string(code) + `","type":"commenced","date":"2001-07-01","effective_from":"2001-07-01"}`)
	l.add(`{"act":"` + string(law) + `","type":"adopted","date":"2010-03-01","body":{"title":"Law amending the Code of Administrative Offences","kind":"law","chamber":"Parliament","structure":[
		{"eid":"art_1","num":"1","text":"The Code of Administrative Offences is amended as follows."}]}}`)
	l.add(`{"act":"` + string(law) + `","type":"commenced","date":"2010-04-01","effective_from":"2010-04-01"}`)
	l.add(`{"act":"` + string(code) + `","type":"amended","date":"2010-03-01","effective_from":"2010-04-01","instrument":"` + string(law) + `","body":{"effect":"substitution","changes":[
		{"op":"substitute","target":"art_2__para_2","words":"one hundred","with":"two hundred","source":"art_1"},
		{"op":"insert","target":"art_2","position":"after","node":{"eid":"art_2-1","num":"2-1","heading":"Community service","text":"Community service lasts at most forty hours."},"source":"art_1"},
		{"op":"repeal","target":"art_3","source":"art_1"}]}}`)

	d := newDocs(t)
	before := parse(t, mustExport(t, l.p, code, "2005-01-01", nil))
	d.add(t, code, "2005-01-01", mustExport(t, l.p, code, "2005-01-01", nil))
	after := parse(t, mustExport(t, l.p, code, "2011-01-01", nil))
	d.add(t, code, "2011-01-01", mustExport(t, l.p, code, "2011-01-01", nil))
	d.add(t, law, "2011-01-01", mustExport(t, l.p, law, "2011-01-01", nil))
	d.add(t, code, "2001-03-01", mustExport(t, l.p, code, "2001-03-01", nil))
	if n := d.validate(t); n != 4 {
		t.Errorf("%d of 4 exports validate", n)
	}

	uri := func(doc node) string { return doc.one(t, "FRBRExpression").one(t, "FRBRuri").attr("value") }
	if got := uri(before); got != string(code)+"/eng@2001-07-01" {
		t.Errorf("the expression in force in 2005 is %q, want the version of 2001-07-01", got)
	}
	if got := uri(after); got != string(code)+"/eng@2010-04-01" {
		t.Errorf("the expression in force in 2011 is %q, want the version of 2010-04-01", got)
	}
	if got := before.byEID(t, "art_2__para_2").one(t, "p").Text; got != "A fine may not exceed one hundred indices." {
		t.Errorf("art_2__para_2 in 2005 reads %q", got)
	}
	if got := after.byEID(t, "art_2__para_2").one(t, "p").Text; got != "A fine may not exceed two hundred indices." {
		t.Errorf("art_2__para_2 in 2011 reads %q", got)
	}
	if got := after.byEID(t, "art_2").one(t, "heading").Text; got != "Fines" {
		t.Errorf("art_2's heading is %q", got)
	}
	inserted := after.byEID(t, "art_2-1")
	if inserted.XMLName.Local != "article" || inserted.one(t, "num").Text != "2-1" || !strings.Contains(inserted.one(t, "p").Text, "forty hours") {
		t.Errorf("the inserted art_2-1 is %+v", inserted)
	}
	if got := after.byEID(t, "art_3"); got.attr("status") != "removed" || got.one(t, "p").Text != "Repealed." {
		t.Errorf("the repealed art_3 is %+v", got)
	}
	var order []string
	for _, a := range after.byEID(t, "chp_1").all("article") {
		order = append(order, a.attr("eId"))
	}
	if strings.Join(order, " ") != "art_1 art_2 art_2-1 art_3" {
		t.Errorf("the articles of chapter 1 in 2011: %v", order)
	}
	for _, r := range before.one(t, "lifecycle").all("eventRef") {
		if r.attr("date") > "2005-01-01" {
			t.Errorf("the lifecycle of the version in force in 2005 lists %v", r.Attrs)
		}
	}

	// Two days of one version: the same expression, the same lifecycle,
	// though a corrigendum without text (no new version) falls between them.
	l.add(`{"act":"` + string(code) + `","type":"corrigendum","date":"2010-06-01","body":{"gazette":"Kazakhstanskaya Pravda No. 140"}}`)
	lifecycle := func(doc node) (string, []string) {
		var refs []string
		for _, r := range doc.one(t, "lifecycle").all("eventRef") {
			refs = append(refs, r.attr("date")+" "+r.attr("refersTo"))
		}
		return uri(doc), refs
	}
	u1, l1 := lifecycle(parse(t, mustExport(t, l.p, code, "2010-05-01", nil)))
	u2, l2 := lifecycle(parse(t, mustExport(t, l.p, code, "2011-01-01", nil)))
	if u1 != u2 || strings.Join(l1, "; ") != strings.Join(l2, "; ") {
		t.Errorf("two days of the version of 2010-04-01 differ:\n%s %v\n%s %v", u1, l1, u2, l2)
	}

	amending := parse(t, mustExport(t, l.p, law, "2011-01-01", nil))
	mods := amending.one(t, "activeModifications").all("textualMod")
	if len(mods) != 1 || mods[0].attr("type") != "substitution" || mods[0].one(t, "source").attr("href") != string(law)+"/!main" {
		t.Fatalf("the amending law's activeModifications: %+v", mods)
	}
	if got := mods[0].one(t, "destination").attr("href"); got != string(code)+"/!main" {
		t.Errorf("its destination is %q", got)
	}
	if got := amending.one(t, "activeRef").attr("href"); got != string(code) {
		t.Errorf("its activeRef points at %q", got)
	}
}
