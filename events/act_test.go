package events_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/lexledger/lexledger/events"
)

// validActIDs are act identifiers that ParseActID accepts.
var validActIDs = []string{
	"/akn/kz/act/2009-12-04/216",
	"/akn/kz/act/decree/2010-08-17/1",
	"/akn/kz/act/code/1997-07-16/167",
	"/akn/kz/act/treaty/1984-12-10/cat",
	"/akn/kz/act/2009-12/1",
	"/akn/kz/act/2002/ombudsman",
	"/akn/kz/bill/2009-10-15/draft-347-1",
	"/akn/kz/doc/programme/2009-05-05/1",
	"/akn/kz/doc/concept/2009-08-24/concept_2010-2020",
	"/akn/kz/judgment/resolution/2008-07-10/1",
	"/akn/kz/statement/2009/a",
	"/akn/za-cpt/act/2009/1",
	"/akn/za-abcdefgh/act/2009/1",
	"/akn/us-ny/act/2000-02-29/0",
	"/akn/kz/act/" + strings.Repeat("d", 32) + "/2010-08-17/1",
	"/akn/kz/act/d0-_/2010-08-17/1",
	"/akn/kz/act/2009-12-04/" + strings.Repeat("9", 64),
	"/akn/kz/act/2009-12-04/9-_",
	"/akn/kz/act/1000/1",
	"/akn/kz/act/2999-12-31/1",
}

func TestParseActIDAccepts(t *testing.T) {
	for _, s := range validActIDs {
		t.Run(s, func(t *testing.T) {
			id, err := events.ParseActID(s)
			if err != nil {
				t.Fatalf("ParseActID(%q) = %v, want it accepted", s, err)
			}
			if id.String() != s {
				t.Errorf("ParseActID(%q).String() = %q, want the input", s, id)
			}
		})
	}
}

func TestParseActIDRejects(t *testing.T) {
	reasons := []struct {
		id, reason string
	}{
		{"", "it is empty"},
		{"akn/kz/act/2009-12-04/216", "it must start with /akn/"},
		{"/akn/kz/act/2009-12-04", "it must have 4 or 5 components after /akn/"},
		{"/akn/kz/act/decree/extra/2010-08-17/1", "it must have 4 or 5 components"},
		{"/akn/KZ/act/2009-12-04/216", `the country "KZ" must be two lower-case letters`},
		{"/akn/kz-/act/2009-12-04/216", `the subdivision in "kz-" must be 1 to 8 lower-case letters or digits`},
		{"/akn/kz/law/2009-12-04/216", `the type "law" is not one of act, bill, doc, judgment, statement`},
		{"/akn/kz/act/Decree/2010-08-17/1", `the subtype "Decree" must be 1 to 32 of a-z, 0-9, '-' or '_', starting with a letter`},
		{"/akn/kz/act/2009-02-29/1", `the date "2009-02-29" is not a calendar date`},
		{"/akn/kz/act/2009-12-04/2.16", `the number "2.16" must be 1 to 64 of a-z, 0-9, '-' or '_'`},
	}
	for _, r := range reasons {
		t.Run(r.reason, func(t *testing.T) {
			_, err := events.ParseActID(r.id)
			mustCode(t, "ParseActID("+r.id+")", err, events.CodeInvalid, r.reason,
				"write it as /akn/{country}/{type}[/{subtype}]/{date}/{number}, for example /akn/kz/act/2009-12-04/216")
		})
	}
	for _, s := range hostileActIDs {
		t.Run("hostile "+s, func(t *testing.T) {
			id, err := events.ParseActID(s)
			if err == nil {
				t.Fatalf("ParseActID(%q) = %q, want it rejected", s, id)
			}
			mustCode(t, "ParseActID", err, events.CodeInvalid, "is not valid")
			if id != "" {
				t.Errorf("ParseActID(%q) returned %q with its error, want \"\"", s, id)
			}
		})
	}
}

func TestActIDTokens(t *testing.T) {
	t.Run("the subtype form has five tokens", func(t *testing.T) {
		got := events.ActID("/akn/kz/act/decree/2010-08-17/1").Tokens()
		want := []string{"kz", "act", "decree", "2010-08-17", "1"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Tokens() = %q, want %q", got, want)
		}
	})
	t.Run("the plain form has four tokens", func(t *testing.T) {
		got := events.ActID("/akn/kz/act/2009-12-04/216").Tokens()
		want := []string{"kz", "act", "2009-12-04", "216"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Tokens() = %q, want %q", got, want)
		}
	})
	t.Run("the country is the first token", func(t *testing.T) {
		if got := events.ActID("/akn/za-cpt/act/2009/1").Country(); got != "za-cpt" {
			t.Errorf("Country() = %q, want za-cpt", got)
		}
	})
	for _, s := range validActIDs {
		t.Run("ActIDFromTokens inverts Tokens for "+s, func(t *testing.T) {
			id := events.ActID(s)
			toks := id.Tokens()
			for _, tok := range toks {
				if !isSubjectToken(tok) {
					t.Errorf("token %q of %s is not a NATS subject token", tok, s)
				}
			}
			back, err := events.ActIDFromTokens(toks)
			if err != nil || back != id {
				t.Errorf("ActIDFromTokens(%q) = %q, %v; want %q", toks, back, err, id)
			}
		})
	}
	for _, toks := range [][]string{
		{"kz", "act", "2009.12", "1"},
		{"kz", "act", "2009-12-04", "a.b"},
		{"kz", "act", "2009-12-04", "*"},
		{"kz", "act", "2009-12-04", ">"},
		{"kz", "act", "2009-12-04"},
		{"kz", "act", "2009-12-04", "216", ""},
		{"kz", "act", "decree", "2010-08-17", "1", "2"},
		{"kz", "act", "2009-12-04", "2/16"},
		{},
	} {
		t.Run("ActIDFromTokens rejects "+strings.Join(toks, "|"), func(t *testing.T) {
			id, err := events.ActIDFromTokens(toks)
			mustCode(t, "ActIDFromTokens", err, events.CodeInvalid, "is not valid")
			if id != "" {
				t.Errorf("ActIDFromTokens(%q) = %q with its error, want \"\"", toks, id)
			}
		})
	}
}

// isSubjectToken reports whether s can be one token of a NATS subject:
// not empty, no '.', '*', '>' and no whitespace.
func isSubjectToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r == '.' || r == '*' || r == '>' || unicode.IsSpace(r) || r < 0x20 || r >= 0x7f {
			return false
		}
	}
	return true
}

func TestActIDUnmarshalText(t *testing.T) {
	var v struct {
		Act events.ActID `json:"act"`
	}
	if err := json.Unmarshal([]byte(`{"act":"/akn/kz/act/2009-12-04/216"}`), &v); err != nil || v.Act != "/akn/kz/act/2009-12-04/216" {
		t.Errorf("json.Unmarshal(a valid act) = %q, %v; want the act", v.Act, err)
	}
	v.Act = "unchanged"
	err := json.Unmarshal([]byte(`{"act":"/akn/kz/act/2009-12-04/2.16"}`), &v)
	if events.ErrorCode(err) != events.CodeInvalid || v.Act != "unchanged" {
		t.Errorf("json.Unmarshal(an invalid act) = %q, %v; want CodeInvalid and the value untouched", v.Act, err)
	}
}

func TestParseActIDMessagesAreValidUTF8(t *testing.T) {
	s := "/akn/" + strings.Repeat("й", 60) // byte 80 falls inside a letter
	_, err := events.ParseActID(s)
	if err == nil || !utf8.ValidString(err.Error()) {
		t.Errorf("ParseActID(%q) said %q, want a valid UTF-8 message", s, err)
	}
}
