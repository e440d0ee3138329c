package events

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// reflectEncode is encoding/json's encoding of an Event, which appendEvent
// must reproduce byte for byte.
func reflectEncode(t testing.TB, e *Event) []byte {
	t.Helper()
	type plain Event // without the MarshalJSON method
	b, err := json.Marshal((*plain)(e))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEncodeMatchesEncodingJSON(t *testing.T) {
	id := MustParseIDForTest("01ARZ3NDEKTSV4RRFFQ69G5FAV")
	cases := []Event{
		{Schema: 1, ID: id, Act: "/akn/kz/act/2009-12-04/216", Type: Drafted, Date: MustDate("2009-03")},
		{Schema: 1, ID: id, Act: "/akn/kz/act/2009-12-04/216", Type: Suspended, Date: MustDate("2003-12"),
			EffectiveFrom: MustDate("2003-12"), EffectiveTo: MustDate("2009-07-01"), Retroactive: true,
			Instrument: "/akn/kz/act/decree/2003-12-17/1251", Provisions: []string{"art_49", "art_49__para_2"},
			Body:       Body{Reason: `moratorium <"death penalty"> & more` + "\u2028\x01\t\n", Texts: map[string]string{"b": "2", "a": "1"}},
			RecordedAt: time.Date(2026, 11, 25, 21, 0, 0, 123456789, time.UTC), RecordedBy: "clerk@http"},
		{Schema: 1, ID: id, Act: "/akn/kz/act/2009-12-04/216", Type: RecordCorrected, Date: MustDate("2010"),
			Body: Body{Corrects: id, Correction: json.RawMessage(`{ "date" : "2009-12-05", "body": {"title": "<b>"} }`), Reason: "typo"}},
		{Schema: 1, ID: id, Act: "/akn/kz/act/2009-12-04/216", Type: RecordRetracted, Date: MustDate("2009"),
			Body: Body{Retracts: id, Note: "invalid \xff utf8"}},
	}
	files, _ := filepath.Glob("testdata/v1/*.json")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		e, err := Decode(bytes.TrimSpace(data))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		cases = append(cases, e)
	}
	for i := range cases {
		got, err := Encode(&cases[i])
		if err != nil {
			t.Fatal(err)
		}
		want := reflectEncode(t, &cases[i])
		if !bytes.Equal(got, want) {
			t.Errorf("case %d: Encode gave\n%s\nencoding/json gives\n%s", i, got, want)
		}
	}
}

func MustParseIDForTest(s string) ID {
	id, err := ParseID(s)
	if err != nil {
		panic(err)
	}
	return id
}

func BenchmarkEncode(b *testing.B) {
	e := Event{Schema: 1, ID: NewID(), Act: "/akn/kz/act/2001-01-10/1", Type: Amended, Date: MustDate("2005-06-10"),
		EffectiveFrom: MustDate("2005-07-01"), Instrument: "/akn/kz/act/2005-06-01/1", Provisions: []string{"art_7"},
		Body:       Body{Effect: Substitution, Texts: map[string]string{"art_7": "Article 7 as amended: the court shall hear the case within a reasonable time."}},
		RecordedAt: time.Now(), RecordedBy: "bench"}
	b.Run("appendEvent", func(b *testing.B) {
		for b.Loop() {
			Encode(&e)
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			reflectEncode(b, &e)
		}
	})
}
