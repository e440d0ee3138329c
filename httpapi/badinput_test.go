package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/lexledger/lexledger/events"
)

// unrecorded is an act never recorded, so that a request about it that
// slipped through validation would be written, not refused by a rule.
const unrecorded events.ActID = "/akn/kz/act/2009-12-04/217"

// badInput is a hostile request body and what the API must answer.
type badInput struct {
	name    string
	body    string
	status  int
	code    events.Code
	mention string // a phrase the message must contain (case-insensitive), when set
}

// ev wraps an event's JSON fields in a command.
func ev(fields string) string { return `{"event":{` + fields + `}}` }

// draftedWith is a valid drafted event of refugees with one field replaced
// or added: key is the field's name, raw its JSON value.
func draftedWith(key, raw string) string {
	f := map[string]string{
		"act":  fmt.Sprintf("%q", unrecorded),
		"type": `"drafted"`, "date": `"2009-06-01"`,
		"body": `{"title":"Law on Refugees","kind":"law"}`,
	}
	order := []string{"act", "type", "date", "body"}
	if _, ok := f[key]; !ok {
		order = append(order, key)
	}
	f[key] = raw
	var parts []string
	for _, k := range order {
		parts = append(parts, fmt.Sprintf("%q:%s", k, f[k]))
	}
	return ev(strings.Join(parts, ","))
}

// withAct is a drafted event on the act named raw (a JSON string).
func withAct(raw string) string { return draftedWith("act", raw) }

func badInputs() []badInput {
	const bad, large, rule = http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity
	inv, tl, ruled := events.CodeInvalid, events.CodeTooLarge, events.CodeRule
	amended := fmt.Sprintf(`"act":%q,"type":"amended","date":"2010-06-01","effective_from":"2010-07-01","instrument":"/akn/kz/act/2010-06-01/1","provisions":["art_18"],"body":{"effect":"substitution","texts":{"art_18":"x"}}`, refugees)
	var thousand1 []string
	for i := 0; i < 1001; i++ {
		thousand1 = append(thousand1, fmt.Sprintf(`{"event":{"act":"/akn/kz/act/2020-01-01/bulk-%d","type":"drafted","date":"2019","body":{"title":"t","kind":"law"}}}`, i))
	}
	return []badInput{
		// Malformed.
		{"empty body", ``, bad, inv, "empty"},
		{"only whitespace", " \n\t ", bad, inv, "empty"},
		{"not JSON", `hello`, bad, inv, "malformed JSON"},
		{"truncated object", `{"event":{"act":`, bad, inv, "malformed JSON"},
		{"unclosed array", `[{"event":{}}`, bad, inv, "malformed JSON"},
		{"trailing data", draftedWith("date", `"2009-06-01"`) + ` {}`, bad, inv, "after the first value"},
		{"null", `null`, bad, inv, "event"},
		{"a bare string", `"drafted"`, bad, inv, ""},
		{"no event", `{}`, bad, inv, "event"},
		{"event is null", `{"event":null}`, bad, inv, "event"},
		{"single quotes", `{'event':{}}`, bad, inv, "malformed JSON"},
		{"a comment", `{"event":{} /* x */}`, bad, inv, "malformed JSON"},
		{"NaN version", `{"event":{},"expected_version":NaN}`, bad, inv, "malformed JSON"},
		// Oversized and deep.
		{"body over 16 MiB", `{"event":{"act":"` + strings.Repeat("a", 17<<20) + `"}}`, large, tl, "exceeds"},
		{"event over the event limit", draftedWith("body", `{"title":"`+strings.Repeat("x", events.MaxEventBytes)+`","kind":"law"}`), large, tl, "bytes"},
		{"10,000 nested arrays", strings.Repeat("[", 10000) + strings.Repeat("]", 10000), bad, inv, ""},
		{"10,000 nested objects", strings.Repeat(`{"event":`, 10000) + `{}` + strings.Repeat("}", 10000), bad, inv, ""},
		{"10,000 nested in the body", draftedWith("body", strings.Repeat(`{"title":`, 10000)+`"x"`+strings.Repeat("}", 10000)), bad, inv, ""},
		{"10,000 nested in a correction", ev(fmt.Sprintf(`"act":%q,"type":"record_corrected","date":"2010","body":{"corrects":"01ARZ3NDEKTSV4RRFFQ69G5FA1","reason":"r","correction":%s"x"%s}`, refugees, strings.Repeat(`{"a":`, 10000), strings.Repeat("}", 10000))), bad, inv, ""},
		// Invalid UTF-8.
		{"invalid UTF-8 in a title", draftedWith("body", "{\"title\":\"Law \xc3\x28\",\"kind\":\"law\"}"), bad, inv, "UTF-8"},
		{"invalid UTF-8 in the act", withAct("\"/akn/kz/act/2009-12-04/\xff\xfe\""), bad, inv, "UTF-8"},
		{"a lone surrogate escape in the act", withAct(`"/akn/kz/act/2009-12-04/\ud800"`), bad, inv, "act"},
		// Wrong JSON types, field by field.
		{"event is a string", `{"event":"drafted"}`, bad, inv, ""},
		{"event is an array", `{"event":[]}`, bad, inv, ""},
		{"act is a number", withAct(`216`), bad, inv, "act"},
		{"act is an object", withAct(`{"id":"x"}`), bad, inv, "act"},
		{"type is a number", draftedWith("type", `1`), bad, inv, "type"},
		{"type is null", draftedWith("type", `null`), bad, inv, "type"},
		{"date is a number", draftedWith("date", `20090601`), bad, inv, "date"},
		{"date is an array", draftedWith("date", `[2009,6,1]`), bad, inv, "date"},
		{"id is a number", draftedWith("id", `1`), bad, inv, "id"},
		{"schema is a string", draftedWith("schema", `"1"`), bad, inv, "schema"},
		{"effective_from is true", draftedWith("effective_from", `true`), bad, inv, "effective_from"},
		{"provisions is a string", draftedWith("provisions", `"art_1"`), bad, inv, "provisions"},
		{"provisions holds numbers", draftedWith("provisions", `[1,2]`), bad, inv, "provisions"},
		{"retroactive is a string", draftedWith("retroactive", `"yes"`), bad, inv, "retroactive"},
		{"instrument is a number", draftedWith("instrument", `7`), bad, inv, "instrument"},
		{"body is an array", draftedWith("body", `[]`), bad, inv, "body"},
		{"title is a number", draftedWith("body", `{"title":7,"kind":"law"}`), bad, inv, "title"},
		{"texts is a string", ev(strings.Replace(amended, `"texts":{"art_18":"x"}`, `"texts":"x"`, 1)), bad, inv, "texts"},
		{"expected_version is a string", `{"event":{},"expected_version":"3"}`, bad, inv, "expected_version"},
		{"expected_version is a float", strings.TrimSuffix(draftedWith("date", `"2009-06-01"`), "}") + `,"expected_version":1.5}`, bad, inv, "expected_version"},
		// expected_version out of range.
		{"expected_version negative", strings.TrimSuffix(draftedWith("date", `"2009-06-01"`), "}") + `,"expected_version":-1}`, bad, inv, "expected_version"},
		{"expected_version 2^64", strings.TrimSuffix(draftedWith("date", `"2009-06-01"`), "}") + `,"expected_version":18446744073709551616}`, bad, inv, "expected_version"},
		{"expected_version 1e300", strings.TrimSuffix(draftedWith("date", `"2009-06-01"`), "}") + `,"expected_version":1e300}`, bad, inv, "expected_version"},
		// Boundary dates.
		{"year 0000", draftedWith("date", `"0000-01-01"`), bad, inv, "year"},
		{"year 9999", draftedWith("date", `"9999-12-31"`), bad, inv, "year"},
		{"29 February 2009", draftedWith("date", `"2009-02-29"`), bad, inv, "2009-02-29"},
		{"29 February 2100", draftedWith("date", `"2100-02-29"`), bad, inv, "2100-02-29"},
		{"month 13", draftedWith("date", `"2009-13"`), bad, inv, "2009-13"},
		{"day 00", draftedWith("date", `"2009-06-00"`), bad, inv, "2009-06-00"},
		{"a time in the date", draftedWith("date", `"2009-06-01T00:00:00Z"`), bad, inv, "date"},
		{"a negative year", draftedWith("date", `"-2009"`), bad, inv, "-2009"},
		// Hostile identifiers.
		{"act with ..", withAct(`"/akn/kz/act/2009-12-04/../216"`), bad, inv, "act"},
		{"act with %2F", withAct(`"/akn/kz/act/2009-12-04%2F216"`), bad, inv, "act"},
		{"act with a Cyrillic a", withAct(`"/аkn/kz/act/2009-12-04/216"`), bad, inv, "act"},
		{"act with a Cyrillic letter in the number", withAct(`"/akn/kz/act/2009-12-04/216а"`), bad, inv, "act"},
		{"act with a fullwidth solidus", withAct(`"/akn/kz/act/2009-12-04／216"`), bad, inv, "act"},
		{"act with NUL", withAct(`"/akn/kz/act/2009-12-04/21\u00006"`), bad, inv, "act"},
		{"act with a newline", withAct(`"/akn/kz/act/2009-12-04/21\n6"`), bad, inv, "act"},
		{"act with *", withAct(`"/akn/kz/act/2009-12-04/*"`), bad, inv, "act"},
		{"act with >", withAct(`"/akn/kz/act/2009-12-04/>"`), bad, inv, "act"},
		{"act with a space", withAct(`"/akn/kz/act/2009-12-04/21 6"`), bad, inv, "act"},
		{"act with a dot token", withAct(`"/akn/kz/act/2009-12-04/2.16"`), bad, inv, "act"},
		{"act with an empty token", withAct(`"/akn/kz/act//216"`), bad, inv, "act"},
		{"act empty", withAct(`""`), bad, inv, "act"},
		{"act a subject", withAct(`"lex.events.kz.act.2009-12-04.216"`), bad, inv, "act"},
		{"instrument with *", ev(strings.Replace(amended, `"/akn/kz/act/2010-06-01/1"`, `"/akn/kz/act/2010-06-01/*"`, 1)), bad, inv, "/akn/kz/act/2010-06-01/*"},
		{"provision with a space", ev(strings.Replace(amended, `"provisions":["art_18"]`, `"provisions":["art 18"]`, 1)), bad, inv, "art 18"},
		{"id not a ULID", draftedWith("id", `"../../etc/passwd"`), bad, inv, "id"},
		// Duplicate keys and keys in the wrong case.
		{"duplicate act", ev(fmt.Sprintf(`"act":%q,"act":"/akn/kz/act/2009-12-04/217","type":"drafted","date":"2009","body":{"title":"t","kind":"law"}`, refugees)), bad, inv, "act"},
		{"duplicate event", `{"event":{},"event":` + strings.TrimPrefix(draftedWith("date", `"2009"`), `{"event":`), bad, inv, "event"},
		{"duplicate title in the body", draftedWith("body", `{"title":"a","title":"b","kind":"law"}`), bad, inv, "title"},
		{"Act in the wrong case", ev(fmt.Sprintf(`"Act":%q,"type":"drafted","date":"2009","body":{"title":"t","kind":"law"}`, refugees)), bad, inv, "Act"},
		{"EVENT in the wrong case", `{"EVENT":` + strings.TrimPrefix(draftedWith("date", `"2009"`), `{"event":`), bad, inv, "EVENT"},
		{"Expected_Version in the wrong case", strings.TrimSuffix(draftedWith("date", `"2009-06-01"`), "}") + `,"Expected_Version":3}`, bad, inv, "Expected_Version"},
		{"an unknown field", draftedWith("colour", `"red"`), bad, inv, "colour"},
		{"an unknown type", draftedWith("type", `"promulgated"`), bad, inv, "promulgated"},
		{"a type in the wrong case", draftedWith("type", `"Drafted"`), bad, inv, "Drafted"},
		// Batches.
		{"an empty array", `[]`, bad, inv, "empty"},
		{"1001 events", "[" + strings.Join(thousand1, ",") + "]", large, tl, "1000"},
		{"a batch with one bad event", "[" + thousand1[0] + `,{"event":{"act":"x"}}]`, bad, inv, "act"},
		{"an array of nulls", `[null,null]`, bad, inv, "event"},
		// Fields only the ledger sets.
		{"client-set recorded_at", draftedWith("recorded_at", `"2020-01-01T00:00:00Z"`), rule, ruled, "recorded_at"},
		{"client-set recorded_by", draftedWith("recorded_by", `"root"`), rule, ruled, "recorded_by"},
		{"client-set hash", draftedWith("hash", `"`+strings.Repeat("ab", 32)+`"`), rule, ruled, "hash"},
		{"client-set prev_hash", draftedWith("prev_hash", `"`+strings.Repeat("ab", 32)+`"`), rule, ruled, "prev_hash"},
	}
}

// Every hostile request is refused with a 4xx and a message that says what
// was wrong, and nothing is written.
func TestBadInputIsRefusedAndWritesNothing(t *testing.T) {
	a := startAPI(t)
	a.mustPost(t, `{"event":`+draftedJSON(refugees)+`}`) // an act exists, so a refusal is not just "no such act"
	cases := badInputs()
	if len(cases) < 40 {
		t.Fatalf("%d hostile inputs, want at least 40", len(cases))
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Each case on an act of its own, so that no earlier
			// acceptance masks a later one with a rule violation.
			body := strings.ReplaceAll(c.body, string(unrecorded), fmt.Sprintf("/akn/kz/act/2009-12-04/bad-%d", i))
			before := a.count(t)
			status, data := a.post(t, body)
			d := wantError(t, status, data, c.status, c.code)
			if c.mention != "" && !strings.Contains(strings.ToLower(d.Message), strings.ToLower(c.mention)) {
				t.Errorf("the message %q does not mention %q", d.Message, c.mention)
			}
			if after := a.count(t); after != before {
				t.Errorf("the stream went from %d to %d messages after a refused request", before, after)
			}
		})
	}
	t.Logf("%d hostile requests refused, nothing written", len(cases))
}

// The boundary dates that are real are accepted: 29 February in a leap
// year, including a century divisible by 400, and the range's ends.
func TestBoundaryDatesAccepted(t *testing.T) {
	a := startAPI(t)
	for i, d := range []string{"2000-02-29", "2008-02-29", fmt.Sprint(events.MinYear), fmt.Sprintf("%d-12-31", events.MaxYear)} {
		act := fmt.Sprintf("/akn/kz/act/2000-02-29/leap-%d", i)
		before := a.count(t)
		a.mustPost(t, fmt.Sprintf(`{"event":{"act":%q,"type":"drafted","date":%q,"body":{"title":"t","kind":"law"}}}`, act, d))
		if after := a.count(t); after != before+1 {
			t.Errorf("%s: the stream went from %d to %d messages, want one more", d, before, after)
		}
	}
}
