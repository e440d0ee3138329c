package events

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// fixtureLines returns the events of the recorded fixtures, one a line.
func fixtureLines(tb testing.TB) [][]byte {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "v*", "*.json"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no fixtures under testdata (%v)", err)
	}
	var out [][]byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		for _, line := range bytes.Split(data, []byte("\n")) {
			if line = bytes.TrimSpace(line); len(line) > 0 {
				out = append(out, line)
			}
		}
	}
	return out
}

// The fast path must take the usual events (or it is dead code) and agree
// with the strict decoder on every one it takes.
func TestDecodeFastTakesTheUsualEvents(t *testing.T) {
	lines := append(fixtureLines(t), benchEvent)
	taken := 0
	for _, line := range lines {
		fast, ok := decodeFast(line)
		strict, err := decodeStrict(line)
		if !ok {
			continue
		}
		taken++
		if err != nil {
			t.Fatalf("the fast path accepted what the strict decoder refuses (%v): %s", err, line)
		}
		if !reflect.DeepEqual(fast, strict) {
			t.Fatalf("the decoders disagree on %s:\nfast   %+v\nstrict %+v", line, fast, strict)
		}
	}
	if taken < len(lines)*3/4 {
		t.Fatalf("the fast path took %d of %d fixture events; it should take the usual ones", taken, len(lines))
	}
	for _, bad := range []string{
		`{"act":"/akn/kz/act/2009/1","act":"/akn/kz/act/2009/2","type":"drafted","date":"2009"}`,
		`{"Act":"/akn/kz/act/2009/1","type":"drafted","date":"2009"}`,
		`{"act":"/akn/kz/act/2009/1","type":"drafted","date":"2009","body":{"title":"a","title":"b"}}`,
		`{"act":"/akn/kz/act/2009/1","type":"amended","date":"2009","body":{"texts":{"art_1":"a","art_1":"b"}}}`,
		`{"act":"/akn/kz/act/2009/1","type":"drafted","date":"2009"} x`,
		`{"act":"/akn/kz/act/2009/1","type":"drafted","date":"2009-02-29"}`,
		`{"schema":01,"act":"/akn/kz/act/2009/1","type":"drafted","date":"2009"}`,
		`{"schema":1.0,"act":"/akn/kz/act/2009/1","type":"drafted","date":"2009"}`,
		`{"act":"/akn/kz/act/2009/1","type":"drafted","date":"2009","retroactive":"yes"}`,
		`{"act":"/akn/kz/act/2009/1","type":"drafted","date":null}`,
		`{"act":"/akn/kz/act/2009/1","type":"drafted","date":"2009","body":{"title":"a\"b"}}`,
		`{"act":"/akn/kz/act/2009/1","type":"unknown","date":"2009"}`,
	} {
		if e, ok := decodeFast([]byte(bad)); ok {
			t.Errorf("the fast path took %s as %+v; it must leave it to the strict decoder", bad, e)
		}
	}
}

// FuzzDecodeFast holds the fast path to the strict decoder: whatever it
// takes, the strict decoder takes too and decodes to the same event.
func FuzzDecodeFast(f *testing.F) {
	for _, line := range fixtureLines(f) {
		f.Add(line)
	}
	f.Add(benchEvent)
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, ok := decodeFast(data)
		if !ok {
			return
		}
		strict, err := decodeStrict(data)
		if err != nil {
			t.Fatalf("the fast path accepted what the strict decoder refuses (%v): %q", err, data)
		}
		if !reflect.DeepEqual(fast, strict) {
			t.Fatalf("the decoders disagree on %q:\nfast   %+v\nstrict %+v", data, fast, strict)
		}
	})
}
