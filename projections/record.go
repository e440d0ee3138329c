package projections

import (
	"fmt"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
)

// record is one event of an act as the projection keeps it: its stream
// sequence, its id, and its encoding (events.AppendEncode), about a third
// of the memory of the decoded event (docs/DESIGN.md, Memory at scale).
// The act's current model answers about the present record without it;
// an answer about a past record, a timeline, a history or a snapshot
// decodes the records it needs.
type record struct {
	seq  uint64
	id   events.ID
	data []byte
}

// record returns e's record. An event that does not encode (a record
// time past year 9999, a correction that is not JSON: nothing a reader of
// the stream yields) is kept decoded in p.unencoded instead, and its
// record has no bytes.
func (p *Projection) record(e *eventlog.Entry) record {
	rec := record{seq: e.Seq, id: e.Event.ID}
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
	rec.data = make([]byte, len(b))
	copy(rec.data, b)
	return rec
}

// entry decodes a record. Its bytes are the encoding of an event that was
// decoded from the stream or a snapshot (or made by the ledger), which
// Decode reads back as it was: a failure is a bug, not an input.
func (p *Projection) entry(r *record) eventlog.Entry {
	if r.data == nil {
		return eventlog.Entry{Seq: r.seq, Event: *p.unencoded[r.seq]}
	}
	e, err := events.Decode(r.data)
	if err != nil {
		panic(fmt.Sprintf("projections: the event at sequence %d does not decode from its own encoding: %v", r.seq, err))
	}
	return eventlog.Entry{Seq: r.seq, Event: e}
}

// decodeEvents returns the events of recs, decoded, in order.
func (p *Projection) decodeEvents(recs []record) []events.Event {
	out := make([]events.Event, len(recs))
	for i := range recs {
		out[i] = p.entry(&recs[i]).Event
	}
	return out
}
