package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/consolidation"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/projector"
)

// structured is a law recorded with its text, then amended in its words
// from 2011-02-01 by an amendment recorded after textAmendedAt.
const structured events.ActID = "/akn/kz/act/2010-12-01/300"

// recordStructured records the structured law and its amendment, and
// returns the amendment's receipt sequence and the record time between the
// two.
func recordStructured(t *testing.T, env *natstest.Env) (uint64, time.Time) {
	t.Helper()
	l := mustLedger(t, env)
	mustAppend(t, l, events.Event{ID: events.NewID(), Act: structured, Type: events.Adopted, Date: events.MustDate("2010-12-01"),
		Body: events.Body{Title: "Law on Notaries", Kind: events.Law, Structure: []events.Node{
			{EID: "art_1", Num: "1", Heading: "Notaries", Text: "A notary certifies deeds."},
			{EID: "art_2", Num: "2", Heading: "Fees", Text: "A notary charges the fee set by the Ministry of Justice."},
		}}})
	mustAppend(t, l, events.Event{ID: events.NewID(), Act: structured, Type: events.Commenced, Date: events.MustDate("2011-01-01"),
		EffectiveFrom: events.MustDate("2011-01-01")})
	time.Sleep(2 * time.Millisecond)
	between := time.Now().UTC()
	time.Sleep(2 * time.Millisecond)
	r := mustAppend(t, l, events.Event{ID: events.NewID(), Act: structured, Type: events.Amended, Date: events.MustDate("2011-01-20"),
		EffectiveFrom: events.MustDate("2011-02-01"), Instrument: "/akn/kz/act/2011-01-15/310",
		Body: events.Body{Effect: events.Substitution, Changes: []events.Change{
			{Op: events.OpSubstitute, Target: "art_2", Words: "the Ministry of Justice", With: "the Chamber of Notaries", Source: "art_1"},
		}}})
	return r.Seq, between
}

// GET /v1/text answers what an act said on a day as the record stood at a
// time, with its annotations; GET /v1/versions lists its versions; an act
// without a recorded text is a 404 that says how to record one.
func TestTextAndVersions(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	seq, between := recordStructured(t, env)
	r := startService(t, env.Store, env.Conn, projector.Options{})
	r.waitFor(t, seq)
	act := string(structured)

	var txt consolidation.Text
	mustGet(t, r.url, "/v1/text", "act", act, "as_of", "2011-06-01").decode(t, &txt)
	if len(txt.Provisions) != 2 || txt.Provisions[1].Text != "A notary charges the fee set by the Chamber of Notaries." ||
		txt.Provisions[1].Status != "in_force" || len(txt.Provisions[1].Annotations) != 1 || txt.Provisions[1].Annotations[0].Source != "art_1" {
		t.Errorf("the text on 2011-06-01: %+v", txt.Provisions)
	}
	if txt.Version != events.MustDate("2011-02-01") {
		t.Errorf("the version on 2011-06-01 is %s, want 2011-02-01", txt.Version)
	}
	txt = consolidation.Text{}
	mustGet(t, r.url, "/v1/text", "act", act, "as_of", "2011-01-15").decode(t, &txt)
	if txt.Provisions[1].Text != "A notary charges the fee set by the Ministry of Justice." || len(txt.Pending) != 1 {
		t.Errorf("the text on 2011-01-15: %+v, pending %+v", txt.Provisions[1], txt.Pending)
	}
	txt = consolidation.Text{}
	mustGet(t, r.url, "/v1/text", "act", act, "as_of", "2010-12-15").decode(t, &txt)
	if txt.Provisions[0].Status != "prospective" {
		t.Errorf("art_1 before commencement is %q, want prospective", txt.Provisions[0].Status)
	}
	// As the record stood before the amendment was recorded.
	txt = consolidation.Text{}
	mustGet(t, r.url, "/v1/text", "act", act, "as_of", "2011-06-01", "known_at", between.Format(time.RFC3339Nano)).decode(t, &txt)
	if txt.Provisions[1].Text != "A notary charges the fee set by the Ministry of Justice." || len(txt.Pending) != 0 || len(txt.Provisions[1].Annotations) != 0 {
		t.Errorf("the text on 2011-06-01 known before the amendment: %+v", txt.Provisions[1])
	}

	var vs httpapi.Versions
	mustGet(t, r.url, "/v1/versions", "act", act).decode(t, &vs)
	if len(vs.Versions) != 2 || vs.Versions[0].Date != events.MustDate("2011-01-01") || !vs.Versions[0].Force ||
		vs.Versions[1].Date != events.MustDate("2011-02-01") || !vs.Versions[1].Text {
		t.Errorf("versions: %+v", vs.Versions)
	}

	var diff consolidation.Difference
	mustGet(t, r.url, "/v1/text/diff", "act", act, "from", "2011-01-15", "to", "2011-06-01").decode(t, &diff)
	if len(diff.Provisions) != 1 || diff.Provisions[0].EID != "art_2" || diff.Provisions[0].Change != "changed" ||
		len(diff.Provisions[0].Words) != 6 || diff.Provisions[0].Words[1] != (consolidation.WordRun{Op: "-", Text: "Ministry "}) {
		t.Errorf("the text from 2011-01-15 to 2011-06-01: %+v", diff.Provisions)
	}

	if a := get(t, r.url, "/v1/text/diff", "act", act, "from", "2011-06-01", "to", "2011-01-15"); a.status != http.StatusBadRequest || !strings.Contains(string(a.body), "is after to=") {
		t.Errorf("a text diff backwards: %d %s", a.status, a.body)
	}
	if a := get(t, r.url, "/v1/text/diff", "act", act, "from", "2011-01-15"); a.status != http.StatusBadRequest {
		t.Errorf("a text diff without to=: %d %s", a.status, a.body)
	}

	a := get(t, r.url, "/v1/text", "act", "/akn/kz/act/2010-12-01/999", "as_of", "2011-06-01")
	if a.status != http.StatusNotFound {
		t.Errorf("the text of an unknown act: %d %s", a.status, a.body)
	}
	seedless := mustLedger(t, env)
	mustAppend(t, seedless, events.Event{ID: events.NewID(), Act: "/akn/kz/act/2010-12-01/301", Type: events.Adopted, Date: events.MustDate("2010-12-01"),
		Body: events.Body{Title: "Law without text", Kind: events.Law}})
	a = get(t, r.url, "/v1/text", "act", "/akn/kz/act/2010-12-01/301", "as_of", "2011-06-01", "wait", "5s", "min_seq", seqString(seq+1))
	var eb errorBody
	a.decode(t, &eb)
	if a.status != http.StatusNotFound || !strings.Contains(eb.Error.Message, "no text of /akn/kz/act/2010-12-01/301 is recorded") {
		t.Errorf("the text of an act without one: %d %s", a.status, a.body)
	}
}
