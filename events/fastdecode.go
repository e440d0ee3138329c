package events

import (
	"time"
	"unicode/utf8"

	"github.com/lexledger/lexledger/internal/jsonscan"
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
	d := fastDecoder{Scanner: jsonscan.Scanner{Data: data, I: n}}
	d.Space()
	if !ok || d.I != len(d.Data) {
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
	d := fastDecoder{Scanner: jsonscan.Scanner{Data: data}}
	if !d.object(func(key []byte) bool { return d.eventField(&e, key) }) {
		return Event{}, 0, false
	}
	return e, d.I, true
}

type fastDecoder struct {
	jsonscan.Scanner
	seen uint64 // the fields of the object being read, one bit each
}

// object reads an object, calling field for each key with the decoder
// before the key's value; field reads the value.
func (d *fastDecoder) object(field func(key []byte) bool) bool {
	if !d.Next('{') {
		return false
	}
	if d.Next('}') {
		return true
	}
	for {
		key, ok := d.Str()
		if !ok || !d.Next(':') || !field(key) {
			return false
		}
		if d.Next(',') {
			continue
		}
		return d.Next('}')
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
	s, ok := d.Str()
	return ok && u.UnmarshalText(s) == nil
}

func (d *fastDecoder) plain(dst *string) bool {
	s, ok := d.Str()
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
	case "structure":
		bit, ok = 15, d.nodes(&b.Structure, 1) && len(b.Structure) > 0
	case "changes":
		bit, ok = 16, d.changes(&b.Changes) && len(b.Changes) > 0
	default: // correction among them: rare, left to the strict decoder
		return false
	}
	return ok && once(seen, bit)
}

// array reads an array, calling elem for each element with the decoder
// before it; elem reads it.
func (d *fastDecoder) array(elem func() bool) bool {
	if !d.Next('[') {
		return false
	}
	if d.Next(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if d.Next(',') {
			continue
		}
		return d.Next(']')
	}
}

// nodes reads a text's nodes at depth (the strict decoder gives an empty
// list of children as an empty slice, so this does too; an empty
// structure is left to it).
func (d *fastDecoder) nodes(dst *[]Node, depth int) bool {
	if depth > maxDepth {
		return false // the strict decoder reads it, Validate refuses it
	}
	out := []Node{}
	ok := d.array(func() bool {
		out = append(out, Node{})
		return d.node(&out[len(out)-1], depth)
	})
	*dst = out
	return ok
}

func (d *fastDecoder) node(n *Node, depth int) bool {
	var seen uint64
	return d.object(func(k []byte) bool {
		var bit uint
		var ok bool
		switch string(k) {
		case "eid":
			bit, ok = 0, d.plain(&n.EID)
		case "num":
			bit, ok = 1, d.plain(&n.Num)
		case "heading":
			bit, ok = 2, d.plain(&n.Heading)
		case "text":
			bit, ok = 3, d.plain(&n.Text)
		case "children":
			bit, ok = 4, d.nodes(&n.Children, depth+1)
		default:
			return false
		}
		return ok && once(&seen, bit)
	})
}

func (d *fastDecoder) changes(dst *[]Change) bool {
	out := []Change{}
	ok := d.array(func() bool {
		out = append(out, Change{})
		c := &out[len(out)-1]
		var seen uint64
		return d.object(func(k []byte) bool {
			var bit uint
			var ok bool
			switch string(k) {
			case "op":
				var s string
				bit, ok = 0, d.plain(&s)
				c.Op = ChangeOp(s)
			case "target":
				bit, ok = 1, d.plain(&c.Target)
			case "position":
				bit, ok = 2, d.plain(&c.Position)
			case "words":
				bit, ok = 3, d.plain(&c.Words)
			case "with":
				bit, ok = 4, d.plain(&c.With)
			case "node":
				c.Node = &Node{}
				bit, ok = 5, d.node(c.Node, 1)
			case "eid":
				bit, ok = 6, d.plain(&c.EID)
			case "num":
				bit, ok = 7, d.plain(&c.Num)
			case "source":
				bit, ok = 8, d.plain(&c.Source)
			default:
				return false
			}
			return ok && once(&seen, bit)
		})
	})
	*dst = out
	return ok
}

// small reads a non-negative integer of a few digits.
func (d *fastDecoder) small(dst *int) bool {
	n, ok := d.Uint(9)
	*dst = int(n)
	return ok
}

func (d *fastDecoder) boolean(dst *bool) bool {
	d.Space()
	rest := d.Data[d.I:]
	switch {
	case len(rest) >= 4 && string(rest[:4]) == "true":
		*dst, d.I = true, d.I+4
	case len(rest) >= 5 && string(rest[:5]) == "false":
		*dst, d.I = false, d.I+5
	default:
		return false
	}
	return true
}

func (d *fastDecoder) strings(dst *[]string) bool {
	if !d.Next('[') {
		return false
	}
	var out []string
	if !d.Next(']') {
		for {
			s, ok := d.Str()
			if !ok {
				return false
			}
			out = append(out, string(s))
			if d.Next(',') {
				continue
			}
			if !d.Next(']') {
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
		v, ok := d.Str()
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
	s, ok := d.Str()
	return ok && dst.UnmarshalText(s) == nil
}
