package projections

import (
	"bytes"

	"github.com/lexledger/lexledger/events"
)

// keptModel returns the model r holds when e, a record event just appended
// to r's log, leaves it as it stands: a correction, or the retraction of a
// correction, after which the event corrected reads the same in every field
// the fold reads (events.SameButWords; events.ImmaterialCorrection for a
// correction), as most corrections of the record do (a gazette number, a
// signatory, a note). It returns nil when the model may
// change, or when r holds none: Apply then folds the act again from its
// records, as it does for every other record event.
//
// It decodes the act's record events and the event corrected, not the
// act's whole history: the answer to whether the model changes is found
// in the corrections of one event, and a fold of the act again decodes
// every event it has (docs/DESIGN.md, Corrections of the record).
func (p *Projection) keptModel(r *actRec, e *events.Event) *model {
	m := r.current.Load()
	if m == nil {
		return nil
	}
	var target events.ID
	switch e.Type {
	case events.RecordCorrected:
		target = e.Body.Corrects
	case events.RecordRetracted:
		// Known once the retracted event is: a correction's target.
	default:
		return nil
	}
	n := r.log.Len() - 1 // the records before e
	at := p.recordPositions(r)
	if e.Type == events.RecordRetracted {
		for _, c := range p.recordEvents(r, at, n, func(rec *Record) bool { return rec.ID == e.Body.Retracts }) {
			if c.Type == events.RecordCorrected {
				target = c.Body.Corrects
			}
		}
		if target == (events.ID{}) {
			return nil // an event of the act's history left out, or a retraction undone
		}
	}
	t, found := p.findEvent(r, n, target)
	if !found {
		return nil
	}
	// The record events that bear on t: its corrections (which name it)
	// and every retraction. Effective over them and t alone is t as
	// corrected; the others concern other events.
	name := []byte(target.String())
	recs := p.recordEvents(r, at, n, func(rec *Record) bool {
		if typ, _, ok := readType(rec.Data); ok && typ != events.RecordRetracted {
			return bytes.Contains(rec.Data, name)
		}
		return true
	})
	if e.Type == events.RecordCorrected {
		if _, ok := events.ImmaterialCorrection(t, recs, *e); !ok {
			return nil
		}
		return m
	}
	before, err := events.Effective(append([]events.Event{t}, recs...))
	if err != nil || len(before) != 1 {
		return nil
	}
	after, err := events.Effective(append(append([]events.Event{t}, recs...), *e))
	if err != nil || len(after) != 1 || !events.SameButWords(before[0], after[0]) {
		return nil
	}
	return m
}

// noteRecordEvent notes the position of the record event just appended
// to r's log, if the positions of r's record events are known.
func (p *Projection) noteRecordEvent(r *actRec) {
	if r.recordsNoted {
		if p.recordAt == nil {
			p.recordAt = map[*actRec][]int32{}
		}
		p.recordAt[r] = append(p.recordAt[r], int32(r.log.Len()-1))
	}
}

// recordPositions returns the positions of r's record events in its log,
// read from its records once, then kept by noteRecordEvent.
func (p *Projection) recordPositions(r *actRec) []int32 {
	at := p.recordAt[r]
	if !r.recordsNoted {
		i := int32(-1)
		for rec := range r.log.Records(0, r.log.Len()) {
			i++
			if typ, _, ok := readType(rec.Data); ok {
				if spec, _ := events.SpecOf(typ); spec.Group != events.Record {
					continue
				}
			} else if spec, _ := events.SpecOf(p.entry(&rec).Event.Type); spec != nil && spec.Group != events.Record {
				continue
			}
			at = append(at, i)
		}
		if p.recordAt == nil {
			p.recordAt = map[*actRec][]int32{}
		}
		p.recordAt[r] = at
		r.recordsNoted = true
	}
	return at
}

// recordEvents decodes the record events at positions at, before n, that
// pass keep, in order.
func (p *Projection) recordEvents(r *actRec, at []int32, n int, keep func(*Record) bool) []events.Event {
	var recs []events.Event
	for _, i := range at {
		if int(i) >= n {
			break
		}
		for rec := range r.log.Records(int(i), int(i)+1) {
			if keep(&rec) {
				recs = append(recs, p.entry(&rec).Event)
			}
		}
	}
	return recs
}

// findEvent decodes the event of r's first n records whose id is id, if
// it is one of the act's history and not a record event. It looks from
// the latest record back, a few at a time: corrections mostly concern
// recent events.
func (p *Projection) findEvent(r *actRec, n int, id events.ID) (t events.Event, found bool) {
	const window = 16
	for to := n; to > 0; to -= window {
		for rec := range r.log.Records(max(to-window, 0), to) {
			if rec.ID == id {
				t = p.entry(&rec).Event // decoded here: rec.Data is valid only in the loop
				spec, _ := events.SpecOf(t.Type)
				return t, spec != nil && spec.Group != events.Record
			}
		}
	}
	return t, false
}
