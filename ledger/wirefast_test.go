package ledger

import (
	"reflect"
	"testing"
)

var usualCommands = []string{
	`{"event":{"act":"/akn/kz/act/2009-12-04/216","type":"drafted","date":"2009-03","body":{"title":"Law on Refugees","kind":"law"}}}`,
	` { "event" : {"act":"/akn/kz/act/2009-12-04/216","type":"adopted","date":"2009-11"} , "expected_version" : 1 } `,
	`[{"expected_version":0,"event":{"id":"01ARZ3NDEKTSV4RRFFQ69G5FAV","act":"/akn/kz/act/2009-12-04/216","type":"drafted","date":"2009-03"}},{"event":{"act":"/akn/kz/act/2009-12-04/216","type":"adopted","date":"2009-11","body":{"chamber":"Parliament"}}}]`,
}

// The fast path must take the usual commands, and agree with the strict
// decoder on them; on the unusual it must give up.
func TestDecodeCommandsFast(t *testing.T) {
	for _, s := range usualCommands {
		fast, fb, ok := decodeCommandsFast([]byte(s))
		if !ok {
			t.Fatalf("the fast path gave up on a usual command: %s", s)
		}
		strict, sb, err := decodeCommandsStrict([]byte(s))
		if err != nil || fb != sb || !reflect.DeepEqual(fast, strict) {
			t.Fatalf("the decoders disagree on %s:\nfast   %v %+v\nstrict %v %+v (%v)", s, fb, fast, sb, strict, err)
		}
	}
	drafted := `{"act":"/akn/kz/act/2009-12-04/216","type":"drafted","date":"2009-03"}`
	for _, s := range []string{
		`[]`, `{}`, `{"event":null}`, `[null]`, `{"expected_version":1}`,
		`{"event":` + drafted + `,"expected_version":-1}`,
		`{"event":` + drafted + `,"expected_version":01}`,
		`{"event":` + drafted + `,"expected_version":1.5}`,
		`{"event":` + drafted + `,"expected_version":null}`,
		`{"event":` + drafted + `,"expected_version":123456789012345678901}`,
		`{"event":` + drafted + `,"event":` + drafted + `}`,
		`{"Event":` + drafted + `}`,
		`{"event":` + drafted + `} []`,
		`[{"event":` + drafted + `},]`,
	} {
		if cmds, _, ok := decodeCommandsFast([]byte(s)); ok {
			t.Errorf("the fast path took %s as %+v; it must leave it to the strict decoder", s, cmds)
		}
	}
}

// FuzzDecodeCommandsFast holds the fast path to the strict decoder.
func FuzzDecodeCommandsFast(f *testing.F) {
	for _, s := range usualCommands {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, fb, ok := decodeCommandsFast(data)
		if !ok {
			return
		}
		strict, sb, err := decodeCommandsStrict(data)
		if err != nil {
			t.Fatalf("the fast path accepted what the strict decoder refuses (%v): %q", err, data)
		}
		if fb != sb || !reflect.DeepEqual(fast, strict) {
			t.Fatalf("the decoders disagree on %q:\nfast   %+v\nstrict %+v", data, fast, strict)
		}
	})
}
