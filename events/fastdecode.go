package events

import (
	"time"
	"unicode/utf8"
)

// decodeFast decodes the common shape of an event without reflection: one
// object of known keys, each once, whose strings hold no escapes. Whatever
// else it meets (an escape, a null, a number where a string belongs, an
// unknown or repeated key, a correction, a value its type refuses) makes it
// give up with ok false, and Decode runs the strict decoder, which gives
// the error a clerk reads or decodes what is unusual. So every answer is
// the strict decoder's; the fast path only makes the usual case cheaper
// (a differential fuzz target holds the two together).
func decodeFast(data []byte) (e Event, ok bool) {
	if !utf8.Valid(data) {
		return Event{}, false
	}
	e, n, ok := DecodeUsual(data)
	d := fastDecoder{data: data, i: n}
	d.space()
	if !ok || d.i != len(d.data) {
		return Event{}, false
	}
	return e, true
}

// DecodeUsual decodes the usual event that data starts with (spaces
// allowed before it) without reflection, for a reader that holds many
// events in one document, such as a batch of commands; n is the number of
// bytes it read. It does not check that data is UTF-8: the caller checks
// the whole document once. When ok is false, nothing is wrong yet: the
// event is unusual or invalid, and Decode of its bytes gives the answer.
func DecodeUsual(data []byte) (e Event, n int, ok bool) {
	d := fastDecoder{data: data}
	if !d.object(func(key []byte) bool { return d.eventField(&e, key) }) {
		return Event{}, 0, false
	}
	return e, d.i, true
}

type fastDecoder struct {
	data []byte
	i    int
	seen uint64 // the fields of the object being read, one bit each
}

func (d *fastDecoder) space() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// next skips spaces and reports whether the next byte is c, consuming it.
func (d *fastDecoder) next(c byte) bool {
	d.space()
	if d.i < len(d.data) && d.data[d.i] == c {
		d.i++
		return true
	}
	return false
}

// str reads a string without escapes or control characters.
func (d *fastDecoder) str() ([]byte, bool) {
	if !d.next('"') {
		return nil, false
	}
	start := d.i
	for d.i < len(d.data) {
		c := d.data[d.i]
		switch {
		case c == '"':
			s := d.data[start:d.i]
			d.i++
			return s, true
		case c == '\\' || c < 0x20:
			return nil, false
		}
		d.i++
	}
	return nil, false
}

// object reads an object, calling field for each key with the decoder
// before the key's value; field reads the value.
func (d *fastDecoder) object(field func(key []byte) bool) bool {
	if !d.next('{') {
		return false
	}
	if d.next('}') {
		return true
	}
	for {
		key, ok := d.str()
		if !ok || !d.next(':') || !field(key) {
			return false
		}
		if d.next(',') {
			continue
		}
		return d.next('}')
	}
}

// once marks field bit as seen, and fails on a repeat.
func once(seen *uint64, bit uint) bool {
	if *seen&(1<<bit) != 0 {
		return false
	}
	*seen |= 1 << bit
	return true
}

// text reads a string into a type that parses itself.
func (d *fastDecoder) text(u interface{ UnmarshalText([]byte) error }) bool {
	s, ok := d.str()
	return ok && u.UnmarshalText(s) == nil
}

func (d *fastDecoder) plain(dst *string) bool {
	s, ok := d.str()
	if ok {
		*dst = string(s)
	}
	return ok
}

func (d *fastDecoder) eventField(e *Event, key []byte) bool {
	var bit uint
	var ok bool
	switch string(key) {
	case "schema":
		bit, ok = 0, d.small(&e.Schema)
	case "id":
		bit, ok = 1, d.text(&e.ID)
	case "act":
		bit, ok = 2, d.text(&e.Act)
	case "type":
		bit, ok = 3, d.text(&e.Type)
	case "date":
		bit, ok = 4, d.text(&e.Date)
	case "effective_from":
		bit, ok = 5, d.text(&e.EffectiveFrom)
	case "effective_to":
		bit, ok = 6, d.text(&e.EffectiveTo)
	case "retroactive":
		bit, ok = 7, d.boolean(&e.Retroactive)
	case "instrument":
		bit, ok = 8, d.text(&e.Instrument)
	case "provisions":
		bit, ok = 9, d.strings(&e.Provisions)
	case "body":
		var seen uint64
		bit, ok = 10, d.object(func(k []byte) bool { return d.bodyField(&e.Body, &seen, k) })
	case "recorded_at":
		bit, ok = 11, d.time(&e.RecordedAt)
	case "recorded_by":
		bit, ok = 12, d.plain(&e.RecordedBy)
	case "prev_hash":
		bit, ok = 13, d.text(&e.PrevHash)
	case "hash":
		bit, ok = 14, d.text(&e.Hash)
	default:
		return false
	}
	return ok && once(&d.seen, bit)
}

func (d *fastDecoder) bodyField(b *Body, seen *uint64, key []byte) bool {
	var bit uint
	var ok bool
	switch string(key) {
	case "title":
		bit, ok = 0, d.plain(&b.Title)
	case "kind":
		bit, ok = 1, d.text(&b.Kind)
	case "summary":
		bit, ok = 2, d.plain(&b.Summary)
	case "drafting_body":
		bit, ok = 3, d.plain(&b.DraftingBody)
	case "chamber":
		bit, ok = 4, d.plain(&b.Chamber)
	case "reading":
		bit, ok = 5, d.plain(&b.Reading)
	case "signatory":
		bit, ok = 6, d.plain(&b.Signatory)
	case "gazette":
		bit, ok = 7, d.plain(&b.Gazette)
	case "effect":
		var s string
		bit, ok = 8, d.plain(&s)
		b.Effect = AmendmentEffect(s)
	case "texts":
		bit, ok = 9, d.texts(&b.Texts)
	case "reason":
		bit, ok = 10, d.plain(&b.Reason)
	case "note":
		bit, ok = 11, d.plain(&b.Note)
	case "eli":
		bit, ok = 12, d.plain(&b.ELI)
	case "corrects":
		bit, ok = 13, d.text(&b.Corrects)
	case "retracts":
		bit, ok = 14, d.text(&b.Retracts)
	default: // correction among them: rare, left to the strict decoder
		return false
	}
	return ok && once(seen, bit)
}

// small reads a non-negative integer of a few digits.
func (d *fastDecoder) small(dst *int) bool {
	d.space()
	n, start := 0, d.i
	for d.i < len(d.data) && d.data[d.i] >= '0' && d.data[d.i] <= '9' && d.i-start < 9 {
		n = n*10 + int(d.data[d.i]-'0')
		d.i++
	}
	if d.i == start || (d.data[start] == '0' && d.i-start > 1) {
		return false
	}
	if d.i < len(d.data) {
		switch d.data[d.i] {
		case ',', '}', ' ', '\t', '\n', '\r':
		default:
			return false // a fraction, an exponent, a long number
		}
	}
	*dst = n
	return true
}

func (d *fastDecoder) boolean(dst *bool) bool {
	d.space()
	rest := d.data[d.i:]
	switch {
	case len(rest) >= 4 && string(rest[:4]) == "true":
		*dst, d.i = true, d.i+4
	case len(rest) >= 5 && string(rest[:5]) == "false":
		*dst, d.i = false, d.i+5
	default:
		return false
	}
	return true
}

func (d *fastDecoder) strings(dst *[]string) bool {
	if !d.next('[') {
		return false
	}
	var out []string
	if !d.next(']') {
		for {
			s, ok := d.str()
			if !ok {
				return false
			}
			out = append(out, string(s))
			if d.next(',') {
				continue
			}
			if !d.next(']') {
				return false
			}
			break
		}
	}
	*dst = out // Decode leaves none as nil, as it does for the strict path
	return true
}

func (d *fastDecoder) texts(dst *map[string]string) bool {
	var m map[string]string
	ok := d.object(func(k []byte) bool {
		v, ok := d.str()
		if !ok {
			return false
		}
		if m == nil {
			m = make(map[string]string, 1)
		}
		if _, dup := m[string(k)]; dup {
			return false
		}
		m[string(k)] = string(v)
		return true
	})
	if ok {
		*dst = m
	}
	return ok
}

func (d *fastDecoder) time(dst *time.Time) bool {
	s, ok := d.str()
	return ok && dst.UnmarshalText(s) == nil
}
