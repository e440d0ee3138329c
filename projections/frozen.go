package projections

import (
	"bytes"
	"encoding/binary"
	"errors"
	"maps"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/klauspost/compress/s2"

	"github.com/lexledger/lexledger/events"
)

// Frozen models (issue 15: "one act's state as of a date p99 under 1 ms,
// including acts with 1,000 events"). A model the cache drops is kept
// in a compact binary encoding, compressed (freezeModel: about 70 bytes
// an event of its act on the realistic book, against 160 encoded and
// about 300 decoded), in a second tier bounded by bytes
// (SetFrozenModels); an act asked again is decoded from it instead of
// folded again from its records, which decodes every event (3 to 5 µs
// each: milliseconds for a long act). An encoding holds for the number of
// records it was made at: an act changed since is folded as before. Each
// field of the model is encoded; TestFrozenModelFields fails when a field
// is added to model without being added here.

// freezeModel returns the frozen form of m: its encoding compressed with
// S2 (github.com/klauspost/compress/s2), which takes the realistic book's
// models to 0.44 of their encoded size (texts are most of it) and
// decompresses at about a gigabyte a second. The two steps write into
// buffers kept for the next freeze; the result is a copy of its own size.
func freezeModel(m *model) []byte {
	bufs := freezeBufs.Get().(*[2][]byte)
	defer freezeBufs.Put(bufs)
	raw := encodeModel(bufs[0][:0], m)
	comp := s2.Encode(bufs[1][:cap(bufs[1])], raw)
	out := bytes.Clone(comp)
	if cap(raw) <= maxKeptBuf {
		bufs[0] = raw
	}
	if cap(comp) <= maxKeptBuf {
		bufs[1] = comp
	}
	return out
}

var freezeBufs = sync.Pool{New: func() any { return new([2][]byte) }}

// maxKeptBuf bounds the buffers that freezeModel and thawModel keep.
const maxKeptBuf = 4 << 20

// thawModel decodes the model of act from freezeModel's bytes.
func thawModel(act events.ActID, frozen []byte) (*model, error) {
	bufp := thawBufs.Get().(*[]byte)
	defer thawBufs.Put(bufp)
	b, err := s2.Decode((*bufp)[:cap(*bufp)], frozen)
	if err != nil {
		return nil, err
	}
	if cap(b) <= maxKeptBuf {
		*bufp = b
	}
	return decodeModel(act, b)
}

var thawBufs = sync.Pool{New: func() any { return new([]byte) }}

// frozenVersion is the first byte of an encoding.
const frozenVersion = 1

// encodeModel appends the binary encoding of m to b.
func encodeModel(b []byte, m *model) []byte {
	e := modelEncoder{b: append(b, frozenVersion)}
	e.str(m.title)
	e.str(string(m.kind))
	e.str(string(m.stage))
	e.date(m.stageDate)
	if m.terminal == nil {
		e.b = append(e.b, 0)
	} else {
		e.b = append(e.b, 1)
		e.str(string(m.terminal.typ))
		e.date(m.terminal.date)
		e.id(m.terminal.id)
	}
	e.date(m.law)
	e.str(string(m.lawType))
	e.id(m.lawBy)
	keys := slices.Sorted(maps.Keys(m.dates))
	e.uv(len(keys))
	for _, k := range keys {
		e.str(k)
		e.date(m.dates[k])
	}
	for _, rules := range [][]rule{m.commencements, m.endings, m.reenactments, m.suspensions} {
		e.uv(len(rules))
		for i := range rules {
			r := &rules[i]
			e.id(r.id)
			e.str(string(r.typ))
			e.strs(r.provisions)
			e.date(r.from)
			e.date(r.to)
			e.date(r.lifted)
			e.id(r.liftedBy)
			e.b = binary.AppendVarint(e.b, int64(r.pos))
			e.strs(r.except)
		}
	}
	e.uv(len(m.amendments))
	for i := range m.amendments {
		a := &m.amendments[i]
		e.id(a.Event)
		e.str(string(a.Instrument))
		e.str(string(a.Effect))
		e.strs(a.Provisions)
		e.date(a.EffectiveFrom)
		e.bool(a.Retroactive)
	}
	keys = slices.Sorted(maps.Keys(m.texts))
	e.uv(len(keys))
	for _, k := range keys {
		e.str(k)
		vs := m.texts[k]
		e.uv(len(vs))
		for _, v := range vs {
			e.date(v.from)
			e.str(v.text)
			e.id(v.id)
		}
	}
	// The provisions named: add notes each true, and a lookup of one
	// not named reads false as well.
	keys = keys[:0]
	for k, v := range m.provisions {
		if v {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	e.strs(keys)
	e.bool(m.leaves != nil)
	e.uv(len(m.leaves))
	for _, l := range m.leaves {
		e.strs(l)
	}
	e.uv(len(m.events))
	for _, id := range m.events {
		e.id(id)
	}
	e.uv(len(m.named))
	for _, a := range m.named {
		e.str(string(a))
	}
	return e.b
}

type modelEncoder struct{ b []byte }

func (e *modelEncoder) uv(n int)     { e.b = binary.AppendUvarint(e.b, uint64(n)) }
func (e *modelEncoder) str(s string) { e.uv(len(s)); e.b = append(e.b, s...) }
func (e *modelEncoder) id(id events.ID) {
	e.b = append(e.b, id[:]...)
}

func (e *modelEncoder) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

// date encodes a date's year (signed), month and day.
func (e *modelEncoder) date(d events.Date) {
	e.b = binary.AppendVarint(e.b, int64(d.Year))
	e.b = append(e.b, byte(d.Month), byte(d.Day))
}

// strs encodes a list of strings; nil and empty read back as nil.
func (e *modelEncoder) strs(ss []string) {
	e.uv(len(ss))
	for _, s := range ss {
		e.str(s)
	}
}

var errFrozen = errors.New("projections: a damaged frozen model")

// decodeModel decodes the model of act from encodeModel's bytes. Its
// strings are substrings of one copy of b: one allocation for every text
// and provision, rather than one each.
func decodeModel(act events.ActID, b []byte) (*model, error) {
	if len(b) == 0 || b[0] != frozenVersion {
		return nil, errFrozen
	}
	d := modelDecoder{s: string(b[1:])}
	m := &model{act: act}
	m.title = d.str()
	m.kind = events.Kind(d.str())
	m.stage = events.Type(d.str())
	m.stageDate = d.date()
	if d.bool() {
		m.terminal = &step{typ: events.Type(d.str()), date: d.date(), id: d.id()}
	}
	m.law = d.date()
	m.lawType = events.Type(d.str())
	m.lawBy = d.id()
	n := d.count()
	m.dates = make(map[string]events.Date, n)
	for range n {
		k := d.str()
		m.dates[k] = d.date()
	}
	for _, rules := range []*[]rule{&m.commencements, &m.endings, &m.reenactments, &m.suspensions} {
		n := d.count()
		if n == 0 {
			continue
		}
		*rules = make([]rule, n)
		for i := range *rules {
			r := &(*rules)[i]
			r.id = d.id()
			r.typ = events.Type(d.str())
			r.provisions = d.strs()
			r.from, r.to, r.lifted = d.date(), d.date(), d.date()
			r.liftedBy = d.id()
			r.pos = d.varint()
			r.except = d.strs()
		}
	}
	if n := d.count(); n > 0 {
		m.amendments = make([]Amendment, n)
		for i := range m.amendments {
			a := &m.amendments[i]
			a.Event = d.id()
			a.Instrument = events.ActID(d.str())
			a.Effect = events.AmendmentEffect(d.str())
			a.Provisions = d.strs()
			a.EffectiveFrom = d.date()
			a.Retroactive = d.bool()
		}
	}
	n = d.count()
	m.texts = make(map[string][]textVersion, n)
	for range n {
		k := d.str()
		vs := carve(&d.textPool, d.count())
		for i := range vs {
			vs[i] = textVersion{from: d.date(), text: d.str(), id: d.id()}
		}
		m.texts[k] = vs
	}
	provisions := d.strs()
	m.provisions = make(map[string]bool, len(provisions))
	for _, p := range provisions {
		m.provisions[p] = true
	}
	hasLeaves := d.bool()
	if n := d.count(); !hasLeaves && n != 0 {
		d.fail()
	} else if hasLeaves {
		m.leaves = make([][]string, n)
		for i := range m.leaves {
			m.leaves[i] = d.strs()
		}
	}
	if n := d.count(); n > 0 {
		m.events = make([]events.ID, n)
		for i := range m.events {
			m.events[i] = d.id()
		}
	}
	if n := d.count(); n > 0 {
		m.named = make([]events.ActID, n)
		for i := range m.named {
			m.named[i] = events.ActID(d.str())
		}
	}
	if d.bad || d.rest() != 0 {
		return nil, errFrozen
	}
	return m, nil
}

// modelDecoder reads encodeModel's bytes, as a string from its offset i;
// bad is set, and zero values returned, once they run short or do not
// parse.
type modelDecoder struct {
	s   string
	i   int
	bad bool
	// The backing arrays that the model's short lists are carved from.
	strPool  []string
	textPool []textVersion
}

// carve returns n zero elements from *pool, which it refills by chunks, so
// that the many short lists of a model share a few allocations. Each is
// capped at its length: an append to one copies it rather than writing
// into the next.
func carve[T any](pool *[]T, n int) []T {
	if cap(*pool)-len(*pool) < n {
		*pool = make([]T, 0, max(n, 256))
	}
	l := len(*pool)
	*pool = (*pool)[:l+n]
	return (*pool)[l : l+n : l+n]
}

// fail marks the encoding damaged and stops every later read.
func (d *modelDecoder) fail() {
	d.bad, d.i = true, len(d.s)
}

// rest is how many bytes are left.
func (d *modelDecoder) rest() int { return len(d.s) - d.i }

// u64 reads an unsigned varint.
func (d *modelDecoder) u64() (uint64, bool) {
	var v uint64
	for shift := uint(0); shift < 64; shift += 7 {
		if d.i >= len(d.s) {
			return 0, false
		}
		c := d.s[d.i]
		d.i++
		if shift == 63 && c > 1 {
			return 0, false // past 64 bits
		}
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v, true
		}
	}
	return 0, false
}

func (d *modelDecoder) uv() int {
	v, ok := d.u64()
	if !ok || v > math.MaxInt32 {
		d.fail()
		return 0
	}
	return int(v)
}

// varint reads a signed varint, zigzag-encoded as binary.AppendVarint does.
func (d *modelDecoder) varint() int {
	u, ok := d.u64()
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	if !ok || v > math.MaxInt32 || v < math.MinInt32 {
		d.fail()
		return 0
	}
	return int(v)
}

// count reads a number of items that follow, each at least a byte long.
func (d *modelDecoder) count() int {
	n := d.uv()
	if n > d.rest() {
		d.fail()
		return 0
	}
	return n
}

func (d *modelDecoder) str() string {
	n := d.count()
	s := d.s[d.i : d.i+n]
	d.i += n
	return s
}

func (d *modelDecoder) strs() []string {
	n := d.count()
	if n == 0 {
		return nil
	}
	ss := carve(&d.strPool, n)
	for i := range ss {
		ss[i] = d.str()
	}
	return ss
}

func (d *modelDecoder) id() events.ID {
	var id events.ID
	if d.rest() < len(id) {
		d.fail()
		return id
	}
	copy(id[:], d.s[d.i:])
	d.i += len(id)
	return id
}

func (d *modelDecoder) bool() bool {
	if d.rest() == 0 {
		d.fail()
		return false
	}
	c := d.s[d.i]
	if c > 1 {
		d.fail()
		return false
	}
	d.i++
	return c == 1
}

func (d *modelDecoder) date() events.Date {
	y := d.varint()
	if d.rest() < 2 {
		d.fail()
		return events.Date{}
	}
	dt := events.Date{Year: y, Month: time.Month(d.s[d.i]), Day: int(d.s[d.i+1])}
	d.i += 2
	return dt
}
