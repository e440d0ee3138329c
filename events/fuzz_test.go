package events_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode"

	"github.com/lexledger/lexledger/events"
)

// FuzzDecode checks that Decode never panics, fails only with CodeInvalid
// or CodeTooLarge, and that what it accepts survives the trip the ledger
// makes: Validate, Encode, Decode. The comparison is by the canonical
// encoding, since JSON allows several spellings of one event (whitespace in
// a correction, [] for no provisions); after one trip the event is a fixed
// point, and DeepEqual holds.
func FuzzDecode(f *testing.F) {
	for _, data := range readFixtures(f) {
		f.Add(bytes.TrimSuffix(data, []byte("\n")))
	}
	f.Add(validBytes())
	f.Add([]byte(`{"schema":1,"id":"01ARZ3NDEKTSV4RRFFQ69G5FAV","act":"/akn/kz/act/2009/1","type":"record_corrected","date":"2009","body":{"corrects":"01ARZ3NDEKTSV4RRFFQ69G5FAV","correction":{ "date" : "2009-12" , "body":{"note":null}},"reason":"typo"}}`))
	f.Add([]byte(`{"schema":1,"id":"01arz3ndektsv4rrffq69g5fav","act":"/akn/kz/act/2009/1","type":"commenced","date":"2009-12","effective_from":"2010","provisions":[],"body":{"texts":{}},"recorded_at":"2024-03-01T09:00:00+05:00"}`))
	f.Add([]byte(`{"schema":1,"id":"01ARZ3NDEKTSV4RRFFQ69G5FAV","act":"/akn/kz/act/2009/1","type":"withdrawn","date":"2009","body":{"reason":"a<b>&c\u2028\u2029\u0001\ud800 é \"q\" \\ \t","note":"Пытки"}}`))
	f.Add([]byte(`{"type":"drafted"} `))
	f.Add([]byte(`null`))
	f.Add([]byte(``))

	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := events.Decode(data)
		if err != nil {
			if c := events.ErrorCode(err); c != events.CodeInvalid && c != events.CodeTooLarge {
				t.Fatalf("Decode(%q) failed with code %q (%v), want invalid or too_large", data, c, err)
			}
			return
		}
		verr := e.Validate()
		enc1, err := events.Encode(&e)
		if err != nil {
			t.Fatalf("Encode(Decode(%q)) = %v, want every decoded event encodable", data, err)
		}
		if want := reflectEncode(t, &e); !bytes.Equal(enc1, want) {
			t.Fatalf("Encode(Decode(%q)) =\n%s\nencoding/json gives\n%s", data, enc1, want)
		}
		d2, err := events.Decode(enc1)
		if err != nil {
			if verr == nil {
				t.Fatalf("Decode(Encode(e)) = %v for a valid event decoded from %q; encoded as %s", err, data, enc1)
			}
			return // an invalid event (no date, say) need not survive
		}
		if v2 := d2.Validate(); (v2 == nil) != (verr == nil) {
			t.Fatalf("Validate changed its verdict across Encode/Decode: %v, then %v; input %q", verr, v2, data)
		}
		enc2, err := events.Encode(&d2)
		if err == nil && !bytes.Equal(enc1, enc2) && bytes.Equal(bytes.Replace(enc1, []byte(`,"body":{}`), nil, 1), enc2) {
		}
		if err != nil || !bytes.Equal(enc1, enc2) {
			t.Fatalf("Encode(Decode(Encode(e))) = %s, %v; want %s", enc2, err, enc1)
		}
		d3, err := events.Decode(enc2)
		if err != nil || !reflect.DeepEqual(d2, d3) {
			t.Fatalf("Decode(Encode(d)) = %+v, %v; want %+v", d3, err, d2)
		}
	})
}

// FuzzParseActID checks that an accepted act id maps one to one onto NATS
// subject tokens.
func FuzzParseActID(f *testing.F) {
	for _, s := range validActIDs {
		f.Add(s)
	}
	for _, s := range hostileActIDs {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := events.ParseActID(s)
		if err != nil {
			if events.ErrorCode(err) != events.CodeInvalid || id != "" {
				t.Fatalf("ParseActID(%q) = %q, %v; want \"\" and CodeInvalid", s, id, err)
			}
			return
		}
		if id.String() != s {
			t.Fatalf("ParseActID(%q) = %q, want the input", s, id)
		}
		toks := id.Tokens()
		if len(toks) != 4 && len(toks) != 5 {
			t.Fatalf("ParseActID accepted %q with %d tokens, want 4 or 5", s, len(toks))
		}
		for _, tok := range toks {
			if tok == "" || strings.ContainsAny(tok, ".*>") || strings.IndexFunc(tok, unicode.IsSpace) >= 0 || !isSubjectToken(tok) {
				t.Fatalf("ParseActID accepted %q, whose token %q is not a NATS subject token", s, tok)
			}
		}
		back, err := events.ActIDFromTokens(toks)
		if err != nil || back != id {
			t.Fatalf("ActIDFromTokens(Tokens(%q)) = %q, %v; want the id", s, back, err)
		}
	})
}

// FuzzParseDate checks that an accepted date prints as it was written, so
// that a stored date keeps its precision.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2009-12-04", "2009-12", "2009", "2008-02-29", "2000-02-29", "1000", "2999-12-31"} {
		f.Add(s)
	}
	for _, s := range impossibleDates {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := events.ParseDate(s)
		if err != nil {
			if events.ErrorCode(err) != events.CodeInvalid || !d.IsZero() {
				t.Fatalf("ParseDate(%q) = %+v, %v; want the zero Date and CodeInvalid", s, d, err)
			}
			return
		}
		if d.String() != s {
			t.Fatalf("ParseDate(%q).String() = %q, want the input", s, d)
		}
		if want := map[int]events.Precision{10: events.Day, 7: events.Month, 4: events.Year}[len(s)]; d.Precision() != want {
			t.Fatalf("ParseDate(%q).Precision() = %s, want %s", s, d.Precision(), want)
		}
		if d.Year < events.MinYear || d.Year > events.MaxYear || d.Earliest() > d.Latest() {
			t.Fatalf("ParseDate(%q) = %+v, spanning days %d to %d; want a year in range and a non-empty span", s, d, d.Earliest(), d.Latest())
		}
		text, _ := d.MarshalText()
		var back events.Date
		if err := back.UnmarshalText(text); err != nil || back != d {
			t.Fatalf("UnmarshalText(MarshalText(%q)) = %+v, %v; want %+v", s, back, err, d)
		}
	})
}

// plainEvent is events.Event without its MarshalJSON method: what
// encoding/json makes of the struct and its tags.
type plainEvent events.Event

// reflectEncode is encoding/json's encoding of e, which Encode promises to
// reproduce byte for byte.
func reflectEncode(tb testing.TB, e *events.Event) []byte {
	tb.Helper()
	data, err := json.Marshal((*plainEvent)(e))
	if err != nil {
		tb.Fatalf("json.Marshal = %v", err)
	}
	return data
}
