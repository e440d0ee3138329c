package events

import (
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"unicode/utf8"
)

// appendEvent appends the JSON encoding of e to dst: byte for byte what
// encoding/json.Marshal produces for an Event (field order, omitempty and
// omitzero, HTML-safe string escaping), without reflection; but an empty
// map or list is always left out, as Decode leaves it out, so that each
// event has one encoding. Encoding is on
// the append path of every event, so it is worth a few dozen lines; a test
// holds it to encoding/json on every fixture and in a fuzz target.
func appendEvent(dst []byte, e *Event) ([]byte, error) {
	dst = append(dst, `{"schema":`...)
	dst = strconv.AppendInt(dst, int64(e.Schema), 10)
	dst = append(dst, `,"id":"`...)
	dst = append(dst, e.ID.String()...)
	dst = append(dst, `","act":`...)
	dst = appendString(dst, string(e.Act))
	dst = append(dst, `,"type":`...)
	dst = appendString(dst, string(e.Type))
	dst = append(dst, `,"date":"`...)
	if !e.Date.IsZero() {
		dst = e.Date.appendTo(dst)
	}
	dst = append(dst, '"')
	if !e.EffectiveFrom.IsZero() {
		dst = append(dst, `,"effective_from":"`...)
		dst = append(e.EffectiveFrom.appendTo(dst), '"')
	}
	if !e.EffectiveTo.IsZero() {
		dst = append(dst, `,"effective_to":"`...)
		dst = append(e.EffectiveTo.appendTo(dst), '"')
	}
	if e.Retroactive {
		dst = append(dst, `,"retroactive":true`...)
	}
	if e.Instrument != "" {
		dst = append(dst, `,"instrument":`...)
		dst = appendString(dst, string(e.Instrument))
	}
	if len(e.Provisions) > 0 {
		dst = append(dst, `,"provisions":[`...)
		for i, p := range e.Provisions {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, p)
		}
		dst = append(dst, ']')
	}
	if !e.Body.isZero() {
		var err error
		dst = append(dst, `,"body":`...)
		if dst, err = appendBody(dst, &e.Body); err != nil {
			return nil, err
		}
	}
	if !e.RecordedAt.IsZero() {
		var err error
		dst = append(dst, `,"recorded_at":"`...)
		if dst, err = e.RecordedAt.AppendText(dst); err != nil {
			return nil, err
		}
		dst = append(dst, '"')
	}
	if e.RecordedBy != "" {
		dst = append(dst, `,"recorded_by":`...)
		dst = appendString(dst, e.RecordedBy)
	}
	if !e.PrevHash.IsZero() {
		dst = append(dst, `,"prev_hash":"`...)
		dst = hex.AppendEncode(dst, e.PrevHash[:])
		dst = append(dst, '"')
	}
	if !e.Hash.IsZero() {
		dst = append(dst, `,"hash":"`...)
		dst = hex.AppendEncode(dst, e.Hash[:])
		dst = append(dst, '"')
	}
	return append(dst, '}'), nil
}

// isZero is what omitzero tests: every field its zero value.
func (b *Body) isZero() bool {
	return b.Title == "" && b.Kind == "" && b.Summary == "" && b.DraftingBody == "" &&
		b.Chamber == "" && b.Reading == "" && b.Signatory == "" && b.Gazette == "" &&
		b.Effect == "" && len(b.Texts) == 0 && b.Reason == "" && b.Note == "" && b.ELI == "" &&
		b.Corrects.IsZero() && len(b.Correction) == 0 && b.Retracts.IsZero() &&
		len(b.Structure) == 0 && len(b.Changes) == 0
}

func appendBody(dst []byte, b *Body) ([]byte, error) {
	dst = append(dst, '{')
	first := true
	field := func(name, v string) {
		if v == "" {
			return
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, '"')
		dst = append(dst, name...)
		dst = append(dst, `":`...)
		dst = appendString(dst, v)
	}
	field("title", b.Title)
	field("kind", string(b.Kind))
	field("summary", b.Summary)
	field("drafting_body", b.DraftingBody)
	field("chamber", b.Chamber)
	field("reading", b.Reading)
	field("signatory", b.Signatory)
	field("gazette", b.Gazette)
	field("effect", string(b.Effect))
	if len(b.Texts) > 0 {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, `"texts":{`...)
		keys := make([]string, 0, len(b.Texts))
		for k := range b.Texts {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, k)
			dst = append(dst, ':')
			dst = appendString(dst, b.Texts[k])
		}
		dst = append(dst, '}')
	}
	field("reason", b.Reason)
	field("note", b.Note)
	field("eli", b.ELI)
	if !b.Corrects.IsZero() {
		field("corrects", b.Corrects.String())
	}
	if len(b.Correction) > 0 {
		// Rare: let encoding/json compact and escape it as it would.
		raw, err := json.Marshal(b.Correction)
		if err != nil {
			return nil, err
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, `"correction":`...)
		dst = append(dst, raw...)
	}
	if !b.Retracts.IsZero() {
		field("retracts", b.Retracts.String())
	}
	// Texts as trees and their changes: rare beside the other events, and
	// nested, so encoding/json writes them.
	for _, f := range [...]struct {
		name string
		v    any
		set  bool
	}{{"structure", b.Structure, len(b.Structure) > 0}, {"changes", b.Changes, len(b.Changes) > 0}} {
		if !f.set {
			continue
		}
		raw, err := json.Marshal(f.v)
		if err != nil {
			return nil, err
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, '"')
		dst = append(dst, f.name...)
		dst = append(dst, `":`...)
		dst = append(dst, raw...)
	}
	return append(dst, '}'), nil
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string escaped as encoding/json does
// with HTML escaping on.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
