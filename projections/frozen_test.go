package projections

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/lexledger/lexledger/events"
)

// TestFrozenModelFields fails when model gains or loses a field: encodeModel
// and decodeModel must then be told of it (and frozenVersion raised).
func TestFrozenModelFields(t *testing.T) {
	var names []string
	for f := range reflect.TypeFor[model]().Fields() {
		names = append(names, f.Name)
	}
	want := []string{"act", "title", "kind", "stage", "stageDate", "terminal", "law", "lawType", "lawBy", "dates",
		"commencements", "endings", "reenactments", "suspensions", "amendments", "texts", "provisions", "leaves", "events", "named"}
	if !slices.Equal(names, want) {
		t.Fatalf("model's fields are %v; frozen.go encodes %v: encode and decode the new ones", names, want)
	}
	for _, typ := range []struct {
		t    reflect.Type
		want int
	}{{reflect.TypeFor[rule](), 9}, {reflect.TypeFor[Amendment](), 6}, {reflect.TypeFor[textVersion](), 3}, {reflect.TypeFor[step](), 3}} {
		if n := typ.t.NumField(); n != typ.want {
			t.Errorf("%s has %d fields, frozen.go encodes %d", typ.t, n, typ.want)
		}
	}
}

// A damaged encoding is refused, whatever byte it stops at.
func TestFrozenModelTruncated(t *testing.T) {
	m := &model{act: "/akn/kz/act/2001-01-10/1", title: "A law", kind: events.Law, stage: events.Adopted,
		dates: map[string]events.Date{"adopted": events.MustDate("2001-01-10")}, texts: map[string][]textVersion{"art_1": {{from: events.MustDate("2001"), text: "one", id: events.NewID()}}},
		provisions: map[string]bool{"art_1": true}, amendments: []Amendment{{Event: events.NewID(), Instrument: "/akn/kz/act/2002-01-01/2", Effect: events.Substitution,
			Provisions: []string{"art_1"}, EffectiveFrom: events.MustDate("2002-02-01")}},
		commencements: []rule{{id: events.NewID(), typ: events.Commenced, from: events.MustDate("2001-02-01"), pos: 1, except: []string{"art_2"}}},
		leaves:        [][]string{{"art_1"}}, events: []events.ID{events.NewID()}, named: []events.ActID{"/akn/kz/act/2002-01-01/2"}}
	b := encodeModel(nil, m)
	got, err := decodeModel(m.act, b)
	if err != nil || !reflect.DeepEqual(normalized(got), normalized(m)) {
		t.Fatalf("decodeModel(encodeModel(m)) = %+v, %v; want %+v", got, err, m)
	}
	for i := range len(b) {
		if _, err := decodeModel(m.act, b[:i]); err == nil {
			t.Errorf("the first %d of %d bytes decoded", i, len(b))
		}
	}
	if _, err := decodeModel(m.act, append(b, 0)); err == nil {
		t.Error("an encoding with a byte more decoded")
	}
}

// normalized returns a copy of m whose empty slices are nil, as
// decodeModel makes them (leaves excepted: nil there means no structure).
func normalized(m *model) *model {
	c := *m
	nilEmpty := func(s []string) []string {
		if len(s) == 0 {
			return nil
		}
		return s
	}
	rules := func(rs []rule) []rule {
		if len(rs) == 0 {
			return nil
		}
		out := slices.Clone(rs)
		for i := range out {
			out[i].provisions, out[i].except = nilEmpty(out[i].provisions), nilEmpty(out[i].except)
		}
		return out
	}
	c.commencements, c.endings, c.reenactments, c.suspensions = rules(c.commencements), rules(c.endings), rules(c.reenactments), rules(c.suspensions)
	if len(c.amendments) == 0 {
		c.amendments = nil
	} else {
		c.amendments = slices.Clone(c.amendments)
		for i := range c.amendments {
			c.amendments[i].Provisions = nilEmpty(c.amendments[i].Provisions)
		}
	}
	for i := range c.leaves {
		c.leaves[i] = nilEmpty(c.leaves[i])
	}
	if len(c.events) == 0 {
		c.events = nil
	}
	if len(c.named) == 0 {
		c.named = nil
	}
	return &c
}

// longModel is the model of an act amended n times, each amendment giving
// one provision a text of about 300 bytes.
func longModel(n int) *model {
	act := events.ActID("/akn/kz/act/2001-01-10/1")
	eff := []events.Event{{ID: events.NewID(), Act: act, Type: events.Adopted, Date: events.MustDate("2001-01-10"),
		Body: events.Body{Title: "A code", Kind: events.CodeKind}}}
	text := strings.Repeat("The minister shall publish the register of acts in force. ", 5)
	for i := range n {
		eid := fmt.Sprintf("art_%d", i%200)
		eff = append(eff, events.Event{ID: events.NewID(), Act: act, Type: events.Amended, Date: events.MustDate("2002-01-01"),
			EffectiveFrom: events.MustDate("2002-02-01"), Instrument: events.ActID(fmt.Sprintf("/akn/kz/act/2002-01-01/%d", i)),
			Provisions: []string{eid}, Body: events.Body{Effect: events.Substitution, Texts: map[string]string{eid: fmt.Sprintf("%s %d", text, i)}}})
	}
	return build(act, eff)
}

// BenchmarkFreezeThaw: what a dropped model of an act amended 1,000 times
// costs to freeze and to thaw, against folding it again from its events
// (BenchmarkLongAct: 3 to 5 µs an event decoded).
func BenchmarkFreezeThaw(b *testing.B) {
	m := longModel(1000)
	enc := encodeModel(nil, m)
	frozen := freezeModel(m)
	b.Logf("encoded %d bytes, frozen %d", len(enc), len(frozen))
	b.Run("encode", func(b *testing.B) {
		for b.Loop() {
			encodeModel(nil, m)
		}
	})
	b.Run("freeze", func(b *testing.B) {
		for b.Loop() {
			freezeModel(m)
		}
	})
	b.Run("decode", func(b *testing.B) {
		for b.Loop() {
			if _, err := decodeModel(m.act, enc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("thaw", func(b *testing.B) {
		for b.Loop() {
			if _, err := thawModel(m.act, frozen); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// The decoder refuses what the encoder never writes: a flag other than 0
// or 1, a varint past 64 bits, leaves counted under a flag that says none.
func TestFrozenModelStrict(t *testing.T) {
	d := modelDecoder{s: "\x02"}
	if d.bool(); !d.bad {
		t.Error("a flag of 2 read as a bool")
	}
	d = modelDecoder{s: strings.Repeat("\xff", 9) + "\x02"}
	if _, ok := d.u64(); ok {
		t.Error("a varint of 65 bits read")
	}
	d = modelDecoder{s: strings.Repeat("\xff", 9) + "\x01"}
	if v, ok := d.u64(); !ok || v != 1<<64-1 {
		t.Errorf("the largest varint read as %d, %v", v, ok)
	}
	m := &model{act: "/akn/kz/act/2001-01-10/1", dates: map[string]events.Date{}, texts: map[string][]textVersion{}, provisions: map[string]bool{}}
	b := encodeModel(nil, m)
	// The model ends: leaves flag 0, leaves count 0, events 0, named 0.
	if !bytes.HasSuffix(b, []byte{0, 0, 0, 0}) {
		t.Fatalf("an empty model's encoding ends %v", b[len(b)-4:])
	}
	bad := slices.Clone(b)
	bad[len(bad)-3] = 1 // a leaf counted with the flag off
	if _, err := decodeModel(m.act, bad); err == nil {
		t.Error("leaves counted under a flag that says none decoded")
	}
}
