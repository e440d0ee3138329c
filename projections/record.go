package projections

import (
	"bytes"
	"fmt"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
)

// record returns e's record, known from known. Its Data is the encoding
// of the event (events.AppendEncode), about a third of the memory of the
// decoded event (docs/DESIGN.md, Memory at scale), in p.buf: valid until
// the next call. The act's current model answers about the present record
// without it; an answer about a past record, a timeline, a history or a
// snapshot decodes the records it needs.
//
// An event that does not encode (a record time past year 9999, a
// correction that is not JSON: nothing a reader of the stream yields) is
// kept decoded in p.unencoded instead, and its record has no bytes.
func (p *Projection) record(e *eventlog.Entry, known time.Time) Record {
	rec := Record{Seq: e.Seq, ID: e.Event.ID, KnownFrom: known, Hash: e.Event.Hash}
	b, err := events.AppendEncode(p.buf[:0], &e.Event)
	if err != nil {
		if p.unencoded == nil {
			p.unencoded = map[uint64]*events.Event{}
		}
		ev := e.Event
		p.unencoded[e.Seq] = &ev
		return rec
	}
	p.buf = b
	rec.Data = b
	return rec
}

// entry decodes a record. Its bytes are the encoding of an event that was
// decoded from the stream or a snapshot (or made by the ledger), which
// Decode reads back as it was: a failure is a bug, not an input.
func (p *Projection) entry(r *Record) eventlog.Entry {
	if r.Data == nil {
		return eventlog.Entry{Seq: r.Seq, Event: *p.unencoded[r.Seq]}
	}
	e, err := events.Decode(r.Data)
	if err != nil {
		panic(fmt.Sprintf("projections: the event at sequence %d does not decode from its own encoding: %v", r.Seq, err))
	}
	return eventlog.Entry{Seq: r.Seq, Event: e}
}

// decodeEvents returns the first n events of log, decoded, in order.
func (p *Projection) decodeEvents(log ActLog, n int) []events.Event {
	out := make([]events.Event, 0, n)
	for r := range log.Records(0, n) {
		out = append(out, p.entry(&r).Event)
	}
	return out
}

// head is what a timeline shows of an event besides its sequence and id.
type head struct {
	typ        events.Type
	date       events.Date
	recordedAt time.Time
	recordedBy string
}

// head returns a record's timeline fields, read from its bytes without
// decoding the event (a tenth of the time), or decoded when readHead
// cannot read them plainly.
func (p *Projection) head(r *Record) head {
	if h, ok := readHead(r.Data); ok {
		return h
	}
	e := p.entry(r).Event
	return head{typ: e.Type, date: e.Date, recordedAt: e.RecordedAt, recordedBy: e.RecordedBy}
}

// readHead reads the type, date, record time and recorder of an event
// from events.AppendEncode's bytes, whose first fields are schema, id,
// act, type and date, and whose last are recorded_at, recorded_by,
// prev_hash and hash, each absent when zero. Within a string the encoding
// escapes every quote, so the keys it looks for are found only where they
// are keys. It gives up (ok false) on a string with escapes, an empty
// date, or anything it does not expect: Decode reads those.
func readHead(data []byte) (h head, ok bool) {
	const dateKey = `"date":"`
	typ, rest, ok := readType(data)
	if !ok || !bytes.HasPrefix(rest, []byte(dateKey)) {
		return h, false
	}
	h.typ = typ
	rest = rest[len(dateKey):]
	end := bytes.IndexByte(rest, '"')
	if end <= 0 || h.date.UnmarshalText(rest[:end]) != nil {
		return h, false
	}
	// The end: strip hash and prev_hash, then read recorded_by and
	// recorded_at, each only if it is there.
	tail := data
	if !bytes.HasSuffix(tail, []byte("}")) {
		return h, false
	}
	tail = tail[:len(tail)-1]
	for _, key := range []string{`,"hash":"`, `,"prev_hash":"`} {
		if n := len(key) + 64 + 1; len(tail) >= n && string(tail[len(tail)-n:len(tail)-65]) == key {
			tail = tail[:len(tail)-n]
		}
	}
	if by, ok := lastString(tail, `,"recorded_by":"`); ok {
		h.recordedBy = string(by)
		tail = tail[:len(tail)-len(by)-len(`,"recorded_by":""`)]
	}
	if at, ok := lastString(tail, `,"recorded_at":"`); ok {
		if h.recordedAt.UnmarshalText(at) != nil {
			return head{}, false
		}
		tail = tail[:len(tail)-len(at)-len(`,"recorded_at":""`)]
	}
	// A field left unread (a recorder with an escape), or a text of a
	// provision named like one: Decode decides.
	if bytes.Contains(tail, []byte(`"recorded_by":`)) || bytes.Contains(tail, []byte(`"recorded_at":`)) {
		return head{}, false
	}
	return h, true
}

// readType reads the type of an event from events.AppendEncode's bytes
// (see readHead), and returns the bytes after it and its comma. It gives
// up (ok false) on a type with escapes, or one it does not know.
func readType(data []byte) (typ events.Type, rest []byte, ok bool) {
	const typeKey = `,"type":"`
	i := bytes.Index(data, []byte(typeKey))
	if i < 0 || !bytes.HasPrefix(data, []byte(`{"schema":`)) {
		return "", nil, false
	}
	rest = data[i+len(typeKey):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 || bytes.IndexByte(rest[:end], '\\') >= 0 {
		return "", nil, false
	}
	spec, known := events.SpecOf(events.Type(rest[:end]))
	if !known || !bytes.HasPrefix(rest[end:], []byte(`",`)) {
		return "", nil, false
	}
	return spec.Type, rest[end+2:], true // the type's own string, not a copy
}

// lastString returns the value of the string field key that tail ends
// with, if it does and the value has no escapes.
func lastString(tail []byte, key string) ([]byte, bool) {
	if len(tail) == 0 || tail[len(tail)-1] != '"' {
		return nil, false
	}
	open := bytes.LastIndexByte(tail[:len(tail)-1], '"')
	if open < 1 || tail[open-1] == '\\' {
		return nil, false
	}
	start := open - (len(key) - 1)
	if start < 0 || string(tail[start:open+1]) != key {
		return nil, false
	}
	v := tail[open+1 : len(tail)-1]
	if bytes.IndexByte(v, '\\') >= 0 {
		return nil, false
	}
	return v, true
}
