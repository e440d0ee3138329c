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
	// Texts and their changes, as a clerk sends them.
	for _, line := range []string{
		`{"schema":2,"id":"01M8AAWX5201A3NTNNVVHR2XQ1","act":"/akn/kz/act/2009-12-04/216","type":"adopted","date":"2009-11-02","body":{"title":"Law on Refugees","kind":"law","structure":[{"eid":"chp_1","num":"1","children":[{"eid":"art_1","num":"1","heading":"Scope","text":"This Law applies to refugees.","children":[]},{"eid":"art_2","text":"Two."}]}]}}`,
		`{"schema":2,"id":"01M8AAWX5201A3NTNNVVHR2XQ2","act":"/akn/kz/act/2009-12-04/216","type":"amended","date":"2010-06-01","effective_from":"2010-07-01","instrument":"/akn/kz/act/2010-05-20/290","body":{"effect":"substitution","changes":[{"op":"substitute","target":"art_1","words":"refugees","with":"refugees and asylum seekers","source":"art_1"},{"op":"insert","target":"art_1","position":"before","node":{"eid":"art_0","num":"0","children":[{"eid":"art_0__para_1","text":"x"}]}},{"op":"renumber","target":"art_2","eid":"art_3","num":"3"}]}}`,
	} {
		fast, ok := decodeFast([]byte(line))
		strict, err := decodeStrict([]byte(line))
		if !ok || err != nil || !reflect.DeepEqual(fast, strict) {
			t.Errorf("a text or its changes: fast path %t, strict %v, equal %t: %s", ok, err, reflect.DeepEqual(fast, strict), line)
		}
	}
	for _, bad := range []string{
		`{"act":"/akn/kz/act/2009/1","type":"adopted","date":"2009","body":{"structure":[{"eid":"art_1","eid":"art_2"}]}}`,
		`{"act":"/akn/kz/act/2009/1","type":"adopted","date":"2009","body":{"structure":[]}}`,
		`{"act":"/akn/kz/act/2009/1","type":"amended","date":"2009","body":{"changes":[{"op":"repeal","target":"art_1","where":"x"}]}}`,
		`{"act":"/akn/kz/act/2009/1","type":"amended","date":"2009","body":{"changes":[{"op":"repeal","target":"art_1"},]}}`,
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
