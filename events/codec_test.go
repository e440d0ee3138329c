package events_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
)

// allFields lists every optional field an event may carry. A field added to
// a Spec but not here fails TestEveryFieldIsKnownToTheTests.
var allFields = []events.Field{
	events.FEffectiveFrom, events.FEffectiveTo, events.FRetroactive, events.FInstrument, events.FProvisions,
	events.FTitle, events.FKind, events.FSummary, events.FDraftingBody, events.FChamber, events.FReading,
	events.FSignatory, events.FGazette, events.FEffect, events.FTexts, events.FReason, events.FNote,
	events.FELI, events.FCorrects, events.FCorrection, events.FRetracts, events.FStructure, events.FChanges,
}

// Fixed ids named by record events in the tests.
const (
	correctedID = "01HR3K6M2Q0000000000000004"
	retractedID = "01HR3K6M2Q0000000000000010"
)

// setField sets f on e to a valid value (for a type that allows it); on
// false, it clears f.
func setField(e *events.Event, f events.Field, on bool) {
	b := &e.Body
	switch f {
	case events.FEffectiveFrom:
		e.EffectiveFrom = events.Date{}
		if on {
			e.EffectiveFrom = events.MustDate("2010-01-01")
		}
	case events.FEffectiveTo:
		e.EffectiveTo = events.Date{}
		if on {
			e.EffectiveTo = events.MustDate("2010-07-01")
		}
	case events.FRetroactive:
		e.Retroactive = on
	case events.FInstrument:
		e.Instrument = ""
		if on {
			e.Instrument = instrument
		}
	case events.FProvisions:
		e.Provisions = nil
		if on {
			e.Provisions = []string{"art_1", "art_347-1__para_2"}
		}
	case events.FTitle:
		b.Title = pick(on, "Law amending three codes")
	case events.FKind:
		b.Kind = events.Kind(pick(on, string(events.Law)))
		if on && (e.Type == events.Ratified || e.Type == events.Acceded) {
			b.Kind = events.Treaty
		}
	case events.FSummary:
		b.Summary = pick(on, "Amends the Criminal, Criminal Procedure and Penal Codes.")
	case events.FDraftingBody:
		b.DraftingBody = pick(on, "Ministry of Justice")
	case events.FChamber:
		b.Chamber = pick(on, "Mazhilis")
	case events.FReading:
		b.Reading = pick(on, "second")
	case events.FSignatory:
		b.Signatory = pick(on, "President of the Republic of Kazakhstan")
	case events.FGazette:
		b.Gazette = pick(on, "Kazakhstanskaya Pravda No. 251")
	case events.FEffect:
		b.Effect = events.AmendmentEffect(pick(on, string(events.Substitution)))
	case events.FTexts:
		b.Texts = nil
		if on {
			b.Texts = map[string]string{"art_1": "Article 1 as amended.", "art_347-1__para_2": "«Пытки» — text in Russian."}
		}
	case events.FReason:
		b.Reason = pick(on, "the government withdrew it")
	case events.FNote:
		b.Note = pick(on, "from the seed's timeline")
	case events.FELI:
		b.ELI = pick(on, "http://data.example.kz/eli/law/2009/230/ojs")
	case events.FCorrects:
		b.Corrects = events.ID{}
		if on {
			b.Corrects = events.ID(mustParse(correctedID))
		}
	case events.FCorrection:
		b.Correction = nil
		if on {
			b.Correction = json.RawMessage(`{"date":"2009-12-04","body":{"chamber":"Senate"}}`)
		}
	case events.FRetracts:
		b.Retracts = events.ID{}
		if on {
			b.Retracts = events.ID(mustParse(retractedID))
		}
	case events.FStructure:
		b.Structure = nil
		if on {
			b.Structure = []events.Node{{EID: "art_1", Num: "1", Heading: "Scope", Children: []events.Node{
				{EID: "art_1__para_1", Num: "1", Text: "This Law applies to refugees <and> asylum seekers."},
				{EID: "art_1__para_2", Num: "2", Text: "«Беженец» — text in Russian."},
			}}}
		}
	case events.FChanges:
		b.Changes = nil
		if on {
			b.Changes = []events.Change{
				{Op: events.OpSubstitute, Target: "art_1", Words: "five years", With: "seven years", Source: "art_2__para_1"},
				{Op: events.OpInsert, Target: "art_1", Position: "after", Node: &events.Node{EID: "art_1-1", Num: "1-1", Text: "New article."}},
			}
		}
	default:
		panic("setField does not know " + string(f))
	}
}

func pick(on bool, s string) string {
	if on {
		return s
	}
	return ""
}

func mustParse(s string) events.ID {
	id, err := events.ParseID(s)
	if err != nil {
		panic(err)
	}
	return id
}

// actFor returns an act on which an event of type t is plausible.
func actFor(t events.Type) events.ActID {
	if t == events.Ratified || t == events.Acceded {
		return treaty
	}
	return law
}

// minimalEvent returns a valid event of spec's type with only its required
// fields set.
func minimalEvent(spec events.Spec) events.Event {
	e := newEvent(actFor(spec.Type), spec.Type, "2009-12-10")
	for _, f := range spec.Required {
		setField(&e, f, true)
	}
	return e
}

// fullEvent returns an event of spec's type with every field it allows set,
// and the record time and identity set as the ledger stores them.
func fullEvent(spec events.Spec) events.Event {
	e := minimalEvent(spec)
	for _, f := range spec.Optional {
		setField(&e, f, true)
	}
	if len(e.Body.Changes) > 0 {
		// An amendment gives its textual changes as changes or as texts,
		// not both.
		setField(&e, events.FTexts, false)
	}
	e.RecordedAt = fixedTime
	e.RecordedBy = "clerk:aigerim"
	return e
}

func TestEveryFieldIsKnownToTheTests(t *testing.T) {
	for _, spec := range events.Types {
		for _, f := range append(append([]events.Field{}, spec.Required...), spec.Optional...) {
			found := false
			for _, g := range allFields {
				found = found || f == g
			}
			if !found {
				t.Errorf("the %s spec names field %q, which the tests' allFields does not list", spec.Type, f)
			}
		}
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	for _, spec := range events.Types {
		for _, tc := range []struct {
			name string
			e    events.Event
		}{
			{"with every allowed field", fullEvent(spec)},
			{"with the required fields only", minimalEvent(spec)},
		} {
			t.Run(string(spec.Type)+" "+tc.name, func(t *testing.T) {
				data, err := events.Encode(&tc.e)
				if err != nil {
					t.Fatalf("Encode = %v", err)
				}
				if want := reflectEncode(t, &tc.e); !bytes.Equal(data, want) {
					t.Errorf("Encode =\n%s\nencoding/json gives\n%s", data, want)
				}
				got, err := events.Decode(data)
				if err != nil {
					t.Fatalf("Decode(Encode(e)) = %v; the encoding was %s", err, data)
				}
				if !reflect.DeepEqual(got, tc.e) {
					t.Errorf("Decode(Encode(e)) = %+v, want %+v", got, tc.e)
				}
				again, err := events.Encode(&got)
				if err != nil || !bytes.Equal(again, data) {
					t.Errorf("Encode(Decode(Encode(e))) = %s, %v; want the same bytes %s", again, err, data)
				}
			})
		}
	}
}

func TestEveryFullEventIsValid(t *testing.T) {
	for _, spec := range events.Types {
		t.Run(string(spec.Type), func(t *testing.T) {
			e := fullEvent(spec)
			if spec.Type == events.Suspended {
			}
			if err := e.Validate(); err != nil {
				t.Errorf("Validate(%s with every allowed field) = %v, want nil", spec.Type, err)
			}
			m := minimalEvent(spec)
			if err := m.Validate(); err != nil {
				t.Errorf("Validate(%s with the required fields only) = %v, want nil", spec.Type, err)
			}
		})
	}
}

func TestEncodeWritesTheStoredForm(t *testing.T) {
	e := events.Event{
		Schema: 1, ID: mustParse("01ARZ3NDEKTSV4RRFFQ69G5FAV"), Act: law, Type: events.Commenced,
		Date: events.MustDate("2009-12"), EffectiveFrom: events.MustDate("2010"),
		RecordedAt: time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC), RecordedBy: "clerk",
	}
	data, err := events.Encode(&e)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"schema":1,"id":"01ARZ3NDEKTSV4RRFFQ69G5FAV","act":"/akn/kz/act/2009-12-10/230","type":"commenced","date":"2009-12","effective_from":"2010","recorded_at":"2024-03-01T09:00:00Z","recorded_by":"clerk"}`
	if string(data) != want {
		t.Errorf("Encode = %s\nwant      %s\n(empty fields omitted, dates at their precision)", data, want)
	}
}

// validJSON is a valid drafted event as a JSON object; tests change one
// field of it.
func validJSON() map[string]any {
	return map[string]any{
		"schema": 1,
		"id":     "01ARZ3NDEKTSV4RRFFQ69G5FAV",
		"act":    string(bill),
		"type":   "drafted",
		"date":   "2009-10-15",
		"body":   map[string]any{"title": "Draft amendment of Article 347-1", "kind": "law"},
	}
}

// jsonWith returns validJSON with key set to value (in body when the key
// starts with "body.").
func jsonWith(key string, value any) []byte {
	m := validJSON()
	if k, ok := strings.CutPrefix(key, "body."); ok {
		m["body"].(map[string]any)[k] = value
	} else {
		m[key] = value
	}
	data, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return data
}

// validBytes is validJSON encoded.
func validBytes() []byte {
	data, err := json.Marshal(validJSON())
	if err != nil {
		panic(err)
	}
	return data
}

func TestDecodeAcceptsTheValidEvent(t *testing.T) {
	data := validBytes()
	e, err := events.Decode(data)
	if err != nil {
		t.Fatalf("Decode(%s) = %v, want it accepted", data, err)
	}
	if err := e.Validate(); err != nil {
		t.Errorf("Validate(the decoded valid event) = %v, want nil", err)
	}
	if e.Act != bill || e.Type != events.Drafted || e.Body.Kind != events.Law || e.Date.String() != "2009-10-15" {
		t.Errorf("Decode gave %+v, want the drafted bill", e)
	}
}

func TestDecodeRejects(t *testing.T) {
	type tc struct {
		name   string
		data   []byte
		phrase string // the message must contain it
	}
	cases := []tc{
		{"an unknown field", jsonWith("colour", "red"), `unknown field "colour": remove it`},
		{"an unknown body field", jsonWith("body.colour", "red"), `unknown field "colour"`},
		{"an unknown type", jsonWith("type", "promulgated"), `unknown event type "promulgated": use one of acceded, adopted,`},
		{"an empty type", jsonWith("type", ""), "the event type is empty"},
		{"a type in capitals", jsonWith("type", "Drafted"), `unknown event type "Drafted"`},
		{"an unknown kind", jsonWith("body.kind", "edict"), `kind "edict" is not known: use one of constitution`},
		{"a bad event id", jsonWith("id", "not-a-ulid"), `event id "not-a-ulid" is not a ULID`},
		{"an event id with a letter outside Crockford's alphabet", jsonWith("id", "01ARZ3NDEKTSV4RRFFQ69G5FAU"), "is not a ULID"},
		{"an event id too large for 128 bits", jsonWith("id", "8ZZZZZZZZZZZZZZZZZZZZZZZZZ"), "is not a ULID"},
		{"a bad corrects id", jsonWith("body.corrects", "01ARZ3NDEK"), "is not a ULID"},
		{"a bad instrument", jsonWith("instrument", "/akn/kz/act/2009/1.2"), `act identifier "/akn/kz/act/2009/1.2" is not valid`},
		{"a bad recorded_at", jsonWith("recorded_at", "yesterday"), "yesterday"},

		// Wrong JSON types.
		{"a schema as a string", jsonWith("schema", "1"), `field "schema" must be a number, not string`},
		{"a schema with a fraction", jsonWith("schema", 1.5), `field "schema" must be a number`},
		{"a date as a number", jsonWith("date", 20091015), `field "date" must be a string, not number`},
		{"an act as a number", jsonWith("act", 216), `field "act" must be a string, not number`},
		{"an id as an object", jsonWith("id", map[string]any{}), `field "id" must be a string, not object`},
		{"retroactive as a string", jsonWith("retroactive", "yes"), `field "retroactive" must be true or false, not string`},
		{"provisions as a string", jsonWith("provisions", "art_1"), `field "provisions" must be an array, not string`},
		{"provisions holding a number", jsonWith("provisions", []any{1}), `field "provisions" must be`},
		{"a body as an array", jsonWith("body", []any{}), `field "body" must be an object, not array`},
		{"texts as an array", jsonWith("body.texts", []any{"x"}), `field "body.texts" must be an object, not array`},
		{"a title as a number", jsonWith("body.title", 5), `field "body.title" must be a string, not number`},
		{"an array instead of an event", []byte(`[]`), "wrong JSON type"},
		{"a string instead of an event", []byte(`"drafted"`), "wrong JSON type"},

		// Malformed input.
		{"trailing data", append(validBytes(), []byte(` {"schema":1}`)...), "unexpected data after the first value; send one JSON value"},
		{"a trailing word", append(validBytes(), []byte(` x`)...), "unexpected data after the first value"},
		{"a trailing bracket", append(validBytes(), ']'), "unexpected data after the first value"},
		{"invalid UTF-8", []byte("{\"schema\":1,\"body\":{\"title\":\"\xff\xfe\"}}"), "the request is not valid UTF-8"},
		{"invalid UTF-8 after the value", append(validBytes(), 0xc3), "not valid UTF-8"},
		{"an empty body", nil, "the request body is empty"},
		{"a body of spaces", []byte(" \n\t "), "the request body is empty"},
		{"a truncated object", []byte(`{"schema":1,"act":`), "the input ends in the middle of a value"},
		{"a syntax error", []byte(`{"schema":1,,}`), "malformed JSON at byte"},
		{"a bare word", []byte(`drafted`), "malformed JSON"},
	}
	for _, id := range hostileActIDs {
		cases = append(cases, tc{"the act " + fmt.Sprintf("%q", id), jsonWith("act", id), "is not valid"})
	}
	for _, d := range impossibleDates {
		cases = append(cases, tc{"the date " + fmt.Sprintf("%q", d), jsonWith("date", d), "is not valid"})
		cases = append(cases, tc{"the effective_from " + fmt.Sprintf("%q", d), jsonWith("effective_from", d), "is not valid"})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, err := events.Decode(c.data)
			mustCode(t, fmt.Sprintf("Decode(%.120q)", c.data), err, events.CodeInvalid, c.phrase)
			_ = e
		})
	}
}

// hostileActIDs are act identifiers that ParseActID and Decode reject.
var hostileActIDs = []string{
	"",
	"/AKN/kz/act/2009-12-04/216",
	"/akn/KZ/act/2009-12-04/216",
	"/akn/kz/ACT/2009-12-04/216",
	"/akn/kz/act/2009-12-04/216A",
	"/akn/kz/act/Decree/2010-08-17/1",
	"/akn/kz/act/2009-12-04/21.6",
	"/akn/kz.ru/act/2009-12-04/216",
	"/akn/kz/act/2009-12-04/*",
	"/akn/kz/act/2009-12-04/>",
	"/akn/kz/*/2009-12-04/216",
	"/akn/kz/act/decree>/2010-08-17/1",
	"/akn/kz/act/2009-12-04/2 16",
	"/akn/kz/act/2009-12-04/216 ",
	" /akn/kz/act/2009-12-04/216",
	"/akn/kz/act/2009-12-04/216\n",
	"/akn/kz/act/2009-12-04/\t216",
	"/akn/kz/act/2009-12-04/216\x00",
	"/akn/kz/act/2009-12-04/№216",
	"/akn/кз/act/2009-12-04/216",
	"/akn/kz/act/2009-12-04/216\u00a0",
	"/akn/kz/act/2009-12-04/ｌaw",
	"/akn/kz/act//216",
	"/akn/kz//2009-12-04/216",
	"/akn//act/2009-12-04/216",
	"/akn/kz/act/2009-12-04/",
	"/akn/kz/act/2009-12-04/216/",
	"//akn/kz/act/2009-12-04/216",
	"/akn/kz/act/decree/2010-08-17/1/2",
	"/akn/kz/act/decree/extra/2010-08-17/1",
	"/akn/kz/act/2009-12-04",
	"/akn/kz/act",
	"/akn/",
	"/akn",
	"akn/kz/act/2009-12-04/216",
	"/eli/kz/act/2009-12-04/216",
	"/akn/kaz/act/2009-12-04/216",
	"/akn/k/act/2009-12-04/216",
	"/akn/k1/act/2009-12-04/216",
	"/akn/12/act/2009-12-04/216",
	"/akn/kz-/act/2009-12-04/216",
	"/akn/kz-almaty123/act/2009-12-04/216",
	"/akn/kz-al_ma/act/2009-12-04/216",
	"/akn/kz-a-b/act/2009-12-04/216",
	"/akn/kz/law/2009-12-04/216",
	"/akn/kz/acts/2009-12-04/216",
	"/akn/kz/act/1decree/2010-08-17/1",
	"/akn/kz/act/-decree/2010-08-17/1",
	"/akn/kz/act/" + strings.Repeat("d", 33) + "/2010-08-17/1",
	"/akn/kz/act/2009-02-29/1",
	"/akn/kz/act/2009-13/1",
	"/akn/kz/act/09/1",
	"/akn/kz/act/0999/1",
	"/akn/kz/act/3000/1",
	"/akn/kz/act/2009-12-4/1",
	"/akn/kz/act/2009-12-04/-216",
	"/akn/kz/act/2009-12-04/_216",
	"/akn/kz/act/2009-12-04/" + strings.Repeat("9", 65),
	"/akn/kz/act/2009-12-04/216#art_1",
	"/akn/kz/act/2009-12-04/216?x=1",
	"/akn/kz/act/2009-12-04/216%20",
	"/akn/kz/act/2009-12-04/..",
	"/akn/kz/act/2009-12-04/216\\1",
}

// impossibleDates are dates that ParseDate and Decode reject.
var impossibleDates = []string{
	"2009-02-29", "1900-02-29", "2100-02-29", "2009-04-31", "2009-11-31", "2009-12-32", "2009-12-00",
	"2009-13-01", "2009-00-01", "2009-13", "2009-00", "0000", "9999", "0999", "3000", "2009-1-1",
	"2009-01-1", "2009-1", "09", "20091201", "2009/12/01", "2009-12-01T00:00:00Z", "2009-12-01 ",
	" 2009", "２００９", "200a", "-2009", "+2009", "2009-", "2009-12-", "2009--12-1", "2009-+1-01",
	"2009-12-+1", "2009-12-1a", "",
}

func TestDecodeRejectsOversizedEvents(t *testing.T) {
	t.Run("one byte over MaxEventBytes is too large", func(t *testing.T) {
		data := paddedEvent(t, events.MaxEventBytes+1)
		mustCode(t, "Decode(MaxEventBytes+1 bytes)", decodeErr(data), events.CodeTooLarge,
			fmt.Sprintf("the event is %d bytes, more than the limit of %d", events.MaxEventBytes+1, events.MaxEventBytes))
	})
	t.Run("exactly MaxEventBytes is accepted", func(t *testing.T) {
		data := paddedEvent(t, events.MaxEventBytes)
		if _, err := events.Decode(data); err != nil {
			t.Errorf("Decode(MaxEventBytes bytes) = %v, want it accepted", err)
		}
	})
	t.Run("oversized garbage is too large before it is parsed", func(t *testing.T) {
		data := bytes.Repeat([]byte{0xff}, events.MaxEventBytes+10)
		mustCode(t, "Decode(oversized garbage)", decodeErr(data), events.CodeTooLarge, "more than the limit")
	})
}

func decodeErr(data []byte) error {
	_, err := events.Decode(data)
	return err
}

// paddedEvent returns a valid corrigendum encoded in exactly n bytes.
func paddedEvent(t *testing.T, n int) []byte {
	t.Helper()
	e := newEvent(law, events.Corrigendum, "2009-12-20")
	e.Body.Texts = map[string]string{"art_1": ""}
	base, err := events.Encode(&e)
	if err != nil {
		t.Fatal(err)
	}
	e.Body.Texts["art_1"] = strings.Repeat("x", n-len(base))
	// encoding/json, since Encode refuses to produce an oversized event.
	data, err := json.Marshal(&e)
	if err != nil || len(data) != n {
		t.Fatalf("padding gave %d bytes (%v), want %d", len(data), err, n)
	}
	return data
}

func TestValidateRejectsMissingRequiredFields(t *testing.T) {
	for _, spec := range events.Types {
		for _, f := range spec.Required {
			t.Run(fmt.Sprintf("a %s event without %s", spec.Type, f), func(t *testing.T) {
				e := fullEvent(spec)
				setField(&e, f, false)
				mustCode(t, "Validate", e.Validate(), events.CodeInvalid, fmt.Sprintf("a %s event needs %q", spec.Type, f))
			})
		}
		t.Run(fmt.Sprintf("a %s event without a date", spec.Type), func(t *testing.T) {
			e := minimalEvent(spec)
			e.Date = events.Date{}
			mustCode(t, "Validate", e.Validate(), events.CodeInvalid, fmt.Sprintf("the %s event has no date", spec.Type))
		})
	}
	common := []struct {
		name   string
		change func(*events.Event)
		phrase string
	}{
		{"an event without a type", func(e *events.Event) { e.Type = "" }, `the event has no type: set "type" to one of`},
		{"an event of an unknown type", func(e *events.Event) { e.Type = "promulgated" }, `unknown event type "promulgated"`},
		{"an event without an id", func(e *events.Event) { e.ID = events.ID{} }, "the event has no id"},
		{"an event without an act", func(e *events.Event) { e.Act = "" }, "the event has no act"},
		{"an event of schema 0", func(e *events.Event) { e.Schema = 0 }, "schema version 0 is not known to this ledger (it reads 1 to 2)"},
		{"an event of schema 3", func(e *events.Event) { e.Schema = 3 }, "schema version 3 is not known"},
	}
	for _, c := range common {
		t.Run(c.name, func(t *testing.T) {
			e := newEvent(law, events.Signed, "2009-12-10")
			c.change(&e)
			mustCode(t, "Validate", e.Validate(), events.CodeInvalid, c.phrase)
		})
	}
}

func TestValidateRejectsFieldsNotAllowed(t *testing.T) {
	for _, spec := range events.Types {
		allowed := map[events.Field]bool{}
		for _, f := range append(append([]events.Field{}, spec.Required...), spec.Optional...) {
			allowed[f] = true
		}
		n := 0
		for _, f := range allFields {
			if allowed[f] {
				continue
			}
			n++
			t.Run(fmt.Sprintf("a %s event with %s", spec.Type, f), func(t *testing.T) {
				e := minimalEvent(spec)
				setField(&e, f, true)
				mustCode(t, "Validate", e.Validate(), events.CodeInvalid, fmt.Sprintf("a %s event has no %q: remove it", spec.Type, f))
			})
		}
		if n == 0 {
			t.Errorf("the %s type allows every field; want at least one disallowed", spec.Type)
		}
	}
}

func TestValidateRejectsBadShapes(t *testing.T) {
	cases := []struct {
		name   string
		e      events.Event
		code   events.Code
		rule   events.Rule
		phrase string
	}{
		{"effective_to before effective_from",
			newEvent(law, events.Suspended, "2010-01-01", from("2010-06-01"), until("2010-01-01")),
			events.CodeRule, events.RuleValidTimeOrder, "effective_to 2010-01-01 must be after effective_from 2010-06-01"},
		{"effective_to equal to effective_from",
			newEvent(law, events.Suspended, "2010-01-01", from("2010-06-01"), until("2010-06-01")),
			events.CodeRule, events.RuleValidTimeOrder, "half-open interval [effective_from, effective_to)"},
		{"effective_to within effective_from's year",
			newEvent(law, events.Suspended, "2010-01-01", from("2010"), until("2010-12-31")),
			events.CodeRule, events.RuleValidTimeOrder, "must be after effective_from 2010"},
		{"an instrument equal to the act",
			newEvent(law, events.Repealed, "2011-01-01", from("2011-01-01"), by(law)),
			events.CodeInvalid, "", "the instrument of an event on " + string(law) + " cannot be the act itself"},
		{"a provision that is not an eId",
			newEvent(law, events.Commenced, "2010-01-01", from("2010-01-01"), provisions("Article 5")),
			events.CodeInvalid, "", `provision "Article 5" is not an Akoma Ntoso eId`},
		{"a provision with a dot in its name",
			newEvent(law, events.Commenced, "2010-01-01", from("2010-01-01"), provisions("art.5")),
			events.CodeInvalid, "", `provision "art.5" is not`},
		{"an empty provision",
			newEvent(law, events.Commenced, "2010-01-01", from("2010-01-01"), provisions("")),
			events.CodeInvalid, "", `provision "" is not`},
		{"a provision named twice",
			newEvent(law, events.Commenced, "2010-01-01", from("2010-01-01"), provisions("art_1", "art_2", "art_1")),
			events.CodeInvalid, "", `provision "art_1" is named twice`},
		{"too many provisions",
			newEvent(law, events.Commenced, "2010-01-01", from("2010-01-01"), provisions(manyProvisions(1001)...)),
			events.CodeTooLarge, "", "the event names 1001 provisions, more than 1000: split it"},
		{"a text keyed by something that is not an eId",
			newEvent(law, events.Corrigendum, "2010-01-01", func(e *events.Event) { e.Body.Texts = map[string]string{"Article 1": "x"} }),
			events.CodeInvalid, "", `texts: "Article 1" is not an Akoma Ntoso eId`},
		{"an unknown kind",
			newEvent(law, events.Drafted, "2010-01-01", titled("A law", "edict")),
			events.CodeInvalid, "", `kind "edict" is not known`},
		{"an unknown amendment effect",
			newEvent(law, events.Amended, "2010-01-01", from("2010-01-01"), by(instrument), effect("deletion")),
			events.CodeInvalid, "", `effect "deletion" is not known: use insertion, substitution, repeal, renumbering or unspecified (a change not detailed)`},
		{"a title with a trailing space",
			newEvent(law, events.Drafted, "2010-01-01", titled("A law ", events.Law)),
			events.CodeInvalid, "", "title has leading or trailing spaces: trim them"},
		{"a reason with a leading newline",
			newEvent(law, events.Withdrawn, "2010-01-01", func(e *events.Event) { e.Body.Reason = "\nwithdrawn" }),
			events.CodeInvalid, "", "reason has leading or trailing spaces"},
		{"a recorded_by with spaces",
			newEvent(law, events.Withdrawn, "2010-01-01", func(e *events.Event) { e.RecordedBy = " clerk" }),
			events.CodeInvalid, "", "recorded_by has leading or trailing spaces"},
		{"a title longer than 4 KiB",
			newEvent(law, events.Drafted, "2010-01-01", titled(strings.Repeat("t", 4097), events.Law)),
			events.CodeTooLarge, "", "title is 4097 bytes, more than 4096"},
		{"a correction that is not an object",
			newEvent(law, events.RecordCorrected, "2010-01-01", corrects(events.NewID(), `"2009-12-01"`)),
			events.CodeInvalid, "", "correction must be a JSON object with the corrected fields"},
		{"a correction that is null",
			newEvent(law, events.RecordCorrected, "2010-01-01", corrects(events.NewID(), `null`)),
			events.CodeInvalid, "", "correction must be a JSON object"},
		{"an empty correction",
			newEvent(law, events.RecordCorrected, "2010-01-01", corrects(events.NewID(), `{}`)),
			events.CodeInvalid, "", "correction is empty: name at least one corrected field"},
		{"a correction of the id",
			newEvent(law, events.RecordCorrected, "2010-01-01", corrects(events.NewID(), `{"id":"01ARZ3NDEKTSV4RRFFQ69G5FAV"}`)),
			events.CodeInvalid, "", `correction cannot change "id"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := mustCode(t, "Validate", c.e.Validate(), c.code, c.phrase)
			if got.Rule != c.rule {
				t.Errorf("Validate gave rule %q, want %q", got.Rule, c.rule)
			}
		})
	}
	t.Run("a title of exactly 4 KiB is accepted", func(t *testing.T) {
		e := newEvent(law, events.Drafted, "2010-01-01", titled(strings.Repeat("t", 4096), events.Law))
		if err := e.Validate(); err != nil {
			t.Errorf("Validate = %v, want nil", err)
		}
	})
	t.Run("exactly 1000 provisions are accepted", func(t *testing.T) {
		e := newEvent(law, events.Commenced, "2010-01-01", from("2010-01-01"), provisions(manyProvisions(1000)...))
		if err := e.Validate(); err != nil {
			t.Errorf("Validate = %v, want nil", err)
		}
	})
}

func manyProvisions(n int) []string {
	p := make([]string, n)
	for i := range p {
		p[i] = fmt.Sprintf("art_%d", i+1)
	}
	return p
}

func TestCheckNew(t *testing.T) {
	t.Run("an event from a client is accepted", func(t *testing.T) {
		e := newEvent(law, events.Signed, "2009-12-10")
		if err := e.CheckNew(); err != nil {
			t.Errorf("CheckNew = %v, want nil", err)
		}
		e.Schema = 0
		if err := e.CheckNew(); err != nil {
			t.Errorf("CheckNew(schema omitted) = %v, want nil", err)
		}
	})
	for _, c := range []struct {
		name   string
		change func(*events.Event)
	}{
		{"recorded_at set by a client is refused", func(e *events.Event) { e.RecordedAt = fixedTime }},
		{"recorded_by set by a client is refused", func(e *events.Event) { e.RecordedBy = "mallory" }},
		{"both set by a client are refused", func(e *events.Event) { e.RecordedAt, e.RecordedBy = fixedTime, "mallory" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEvent(law, events.Signed, "2009-12-10")
			c.change(&e)
			assertVerdict(t, "CheckNew", e.Act, e.CheckNew(), verdict{rule: events.RuleRecordImmutable, actNotNamed: true,
				reason: "recorded_at, recorded_by, prev_hash and hash are set by the ledger, never by the client: remove them"})
		})
	}
	t.Run("a schema this ledger does not write is refused", func(t *testing.T) {
		e := newEvent(law, events.Signed, "2009-12-10")
		e.Schema = 3
		mustCode(t, "CheckNew", e.CheckNew(), events.CodeInvalid, `schema 3 cannot be written: omit "schema" or set it to 2`)
	})
}

func TestApplyCorrection(t *testing.T) {
	orig := newEvent(law, events.Suspended, "2010-01-01", from("2010-01-01"), provisions("art_5"), by(decree),
		func(e *events.Event) { e.Body.Reason = "moratorium"; e.Body.Note = "from the seed" })
	orig.RecordedAt, orig.RecordedBy = fixedTime, "clerk"
	before, _ := events.Encode(&orig)

	ok := []struct {
		name       string
		correction string
		check      func(t *testing.T, got events.Event)
	}{
		{"corrects the date", `{"date":"2009-12-31"}`, func(t *testing.T, got events.Event) {
			if got.Date.String() != "2009-12-31" {
				t.Errorf("the corrected date is %s, want 2009-12-31", got.Date)
			}
		}},
		{"corrects the date to a month", `{"date":"2009-12"}`, func(t *testing.T, got events.Event) {
			if got.Date.String() != "2009-12" || got.Date.Precision() != events.Month {
				t.Errorf("the corrected date is %s (%s), want 2009-12 (month)", got.Date, got.Date.Precision())
			}
		}},
		{"corrects a body field and keeps the others", `{"body":{"reason":"death-penalty moratorium"}}`, func(t *testing.T, got events.Event) {
			if got.Body.Reason != "death-penalty moratorium" || got.Body.Note != "from the seed" {
				t.Errorf("the corrected body is %+v, want the new reason and the old note", got.Body)
			}
		}},
		{"removes a body field with null", `{"body":{"note":null}}`, func(t *testing.T, got events.Event) {
			if got.Body.Note != "" || got.Body.Reason != "moratorium" {
				t.Errorf("the corrected body is %+v, want no note and the old reason", got.Body)
			}
		}},
		{"removes a top-level field with null", `{"provisions":null,"instrument":null}`, func(t *testing.T, got events.Event) {
			if got.Provisions != nil || got.Instrument != "" {
				t.Errorf("the corrected event has provisions %v and instrument %q, want neither", got.Provisions, got.Instrument)
			}
		}},
		{"replaces the provisions whole", `{"provisions":["art_6"]}`, func(t *testing.T, got events.Event) {
			if !reflect.DeepEqual(got.Provisions, []string{"art_6"}) {
				t.Errorf("the corrected provisions are %v, want [art_6]", got.Provisions)
			}
		}},
		{"corrects several fields at once", `{"effective_from":"2009-12-17","retroactive":true}`, func(t *testing.T, got events.Event) {
			if got.EffectiveFrom.String() != "2009-12-17" || !got.Retroactive {
				t.Errorf("the corrected event is from %s retroactive %v, want 2009-12-17 retroactive", got.EffectiveFrom, got.Retroactive)
			}
		}},
	}
	for _, c := range ok {
		t.Run(c.name, func(t *testing.T) {
			got, err := events.ApplyCorrection(orig, json.RawMessage(c.correction))
			if err != nil {
				t.Fatalf("ApplyCorrection(%s) = %v, want it applied", c.correction, err)
			}
			c.check(t, got)
			if got.ID != orig.ID || got.Act != orig.Act || got.Type != orig.Type || !got.RecordedAt.Equal(orig.RecordedAt) || got.RecordedBy != orig.RecordedBy || got.Schema != orig.Schema {
				t.Errorf("ApplyCorrection changed the identity or the record: got %+v, want those of %+v", got, orig)
			}
			if after, _ := events.Encode(&orig); !bytes.Equal(after, before) {
				t.Errorf("ApplyCorrection changed the original event to %s, want it untouched", after)
			}
		})
	}

	refused := []struct {
		name       string
		correction string
		phrase     string
	}{
		{"refuses to change the id", `{"id":"01ARZ3NDEKTSV4RRFFQ69G5FAV"}`, `correction cannot change "id"`},
		{"refuses to change the act", `{"act":"/akn/kz/act/2009-12-04/216"}`, `correction cannot change "act"`},
		{"refuses to change the type", `{"type":"repealed"}`, `correction cannot change "type"`},
		{"refuses to change recorded_at", `{"recorded_at":"2020-01-01T00:00:00Z"}`, `correction cannot change "recorded_at"`},
		{"refuses to change recorded_by", `{"recorded_by":"mallory"}`, `correction cannot change "recorded_by"`},
		{"refuses to change the schema", `{"schema":2}`, `correction cannot change "schema"`},
		{"refuses an unknown field", `{"colour":"red"}`, `correction cannot change "colour"`},
		{"refuses an empty correction", `{}`, "correction is empty"},
		{"refuses a correction that is not an object", `["date"]`, "correction must be a JSON object"},
		{"refuses a body that is not an object", `{"body":"x"}`, "body must be an object"},
		{"refuses an unknown body field", `{"body":{"colour":"red"}}`, `unknown field "colour"`},
		{"refuses an impossible date", `{"date":"2009-02-29"}`, "February 2009 has no day 29"},
		{"refuses to remove a required field", `{"effective_from":null}`, `the corrected event would not be valid: a suspended event needs "effective_from"`},
		{"refuses a field the type does not take", `{"body":{"gazette":"No. 1"}}`, `the corrected event would not be valid: a suspended event has no "gazette"`},
		{"refuses an instrument equal to the act", `{"instrument":"` + string(law) + `"}`, "cannot be the act itself"},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			_, err := events.ApplyCorrection(orig, json.RawMessage(c.correction))
			mustCode(t, fmt.Sprintf("ApplyCorrection(%s)", c.correction), err, events.CodeInvalid, c.phrase)
		})
	}
}

// The tests below pin defects the codec once had.

// TestValidatedEventsDecodeAgain checks the promise that the ledger can
// read back what it writes: an event that Validate accepts must survive
// Encode then Decode.
func TestValidatedEventsDecodeAgain(t *testing.T) {
	built := []struct {
		name string
		e    events.Event
	}{
		{"an act id in capitals", newEvent("/akn/KZ/act/2009-12-04/216", events.Signed, "2009-12-10")},
		{"an act id with a NATS wildcard", newEvent("/akn/kz/act/2009-12-04/>", events.Signed, "2009-12-10")},
		{"an act id that is not one", newEvent("kz.act.216", events.Signed, "2009-12-10")},
		{"an instrument that is not an act id", newEvent(law, events.Repealed, "2011-01-01", from("2011-01-01"), by("the 2011 law"))},
		{"the 30th of February", func() events.Event {
			e := newEvent(law, events.Signed, "2009-12-10")
			e.Date = events.Date{Year: 2009, Month: time.February, Day: 30}
			return e
		}()},
		{"a year past MaxYear", func() events.Event {
			e := newEvent(law, events.Commenced, "2009-12-10", from("2010-01-01"))
			e.EffectiveFrom = events.Date{Year: 12010}
			return e
		}()},
	}
	for _, c := range built {
		t.Run("built in Go with "+c.name, func(t *testing.T) {
			if err := c.e.Validate(); err != nil {
				return // refused before it is stored: fine
			}
			data, err := events.Encode(&c.e)
			if err != nil {
				return
			}
			if _, err := events.Decode(data); err != nil {
				t.Errorf("Validate accepted an event whose encoding %s cannot be decoded: %v", data, err)
			}
		})
	}
	t.Run("decoded within the limit, encoded beyond it", func(t *testing.T) {
		raw := `{"schema":1,"id":"01ARZ3NDEKTSV4RRFFQ69G5FAV","act":"` + string(law) + `","type":"corrigendum","date":"2009-12-20",` +
			`"body":{"texts":{"art_1":"` + strings.Repeat("<", 200_000) + `"}}}`
		e, err := events.Decode([]byte(raw))
		if err != nil {
			t.Fatalf("Decode(%d bytes) = %v, want it accepted", len(raw), err)
		}
		if err := e.Validate(); err != nil {
			return
		}
		data, err := events.Encode(&e)
		if err != nil {
			return
		}
		if _, err := events.Decode(data); err != nil {
			t.Errorf("an event of %d bytes was accepted and encoded in %d bytes, which Decode refuses: %v", len(raw), len(data), err)
		}
	})
}

func TestDecodeIsStrictAboutKeys(t *testing.T) {
	for _, c := range []struct{ name, data string }{
		{"a key in capitals", `{"schema":1,"id":"01ARZ3NDEKTSV4RRFFQ69G5FAV","ACT":"` + string(law) + `","type":"signed","date":"2009-12-10"}`},
		{"a key in title case", `{"schema":1,"id":"01ARZ3NDEKTSV4RRFFQ69G5FAV","act":"` + string(law) + `","Type":"signed","date":"2009-12-10"}`},
		{"a body key in capitals", `{"schema":1,"id":"01ARZ3NDEKTSV4RRFFQ69G5FAV","act":"` + string(law) + `","type":"signed","date":"2009-12-10","body":{"Signatory":"President"}}`},
		{"a repeated key", `{"schema":1,"id":"01ARZ3NDEKTSV4RRFFQ69G5FAV","act":"` + string(law) + `","type":"signed","date":"2009-12-10","type":"repealed"}`},
		{"a repeated key in different case", `{"schema":1,"id":"01ARZ3NDEKTSV4RRFFQ69G5FAV","act":"` + string(law) + `","type":"signed","date":"2009-12-10","Date":"2010-01-01"}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, err := events.Decode([]byte(c.data))
			if err == nil {
				t.Errorf("Decode(%s) = %s %s %s, want CodeInvalid", c.data, e.Act, e.Type, e.Date)
			}
		})
	}
}

func TestEncodeIsCanonical(t *testing.T) {
	e := newEvent(law, events.Commenced, "2009-12-20", from("2010-01-01"))
	empty := e
	empty.Body.Texts = map[string]string{}
	empty.Provisions = []string{}
	a, _ := events.Encode(&e)
	b, _ := events.Encode(&empty)
	if !bytes.Equal(a, b) {
		t.Errorf("an event with empty texts encodes as %s, want the same bytes as without: %s", b, a)
	}
	data := []byte(`{"schema":1,"id":"01ARZ3NDEKTSV4RRFFQ69G5FAV","act":"` + string(law) + `","type":"commenced","date":"2009-12","effective_from":"2010","body":{"texts":{}}}`)
	d, err := events.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	enc, _ := events.Encode(&d)
	d2, _ := events.Decode(enc)
	if !reflect.DeepEqual(d, d2) {
		t.Errorf("Decode(Encode(e)) = %+v, want e = %+v (encoded as %s)", d2, d, enc)
	}
}
