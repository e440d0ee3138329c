package akn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// The document needs more of each event than the projection's answers
// carry: effective dates of every effect, instruments of commencements and
// repeals, provisions of each event, end dates of suspensions, agents of
// procedural steps. The projection exposes its events only through its
// snapshot (WriteSnapshot: a header line, then every event, act by act in
// identifier order, each act's in stream order), so history reads the
// act's lines from it and stops writing once past them. That costs a walk
// over the acts sorted before this one; an accessor of one act's events on
// Projection would make it a lookup.

// errPast stops WriteSnapshot once the act's events have all been read.
var errPast = errors.New("past the act's events")

// history returns the act's events as the projection holds them, in stream
// order, record events included.
func history(p *projections.Projection, act events.ActID) ([]events.Event, error) {
	f := &actLines{key: []byte(`"act":"` + string(act) + `"`), act: act}
	err := p.WriteSnapshot(f)
	if err != nil && !errors.Is(err, errPast) {
		return nil, fmt.Errorf("read the projection's events: %w", err)
	}
	if f.err != nil {
		return nil, f.err
	}
	if !errors.Is(err, errPast) && len(f.line) > 0 {
		if err := f.handle(f.line); err != nil && !errors.Is(err, errPast) {
			return nil, err
		}
	}
	return f.out, nil
}

// actLines is the io.Writer that history hands to WriteSnapshot: it splits
// the snapshot into lines and decodes those of one act.
type actLines struct {
	key    []byte // `"act":"<id>"`: only the act field of an event has it unescaped
	act    events.ActID
	header bool // the header line was read
	line   []byte
	out    []events.Event
	err    error
}

func (f *actLines) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			f.line = append(f.line, b...)
			break
		}
		f.line = append(f.line, b[:i]...)
		b = b[i+1:]
		if err := f.handle(f.line); err != nil {
			return 0, err
		}
		f.line = f.line[:0]
	}
	return n, nil
}

func (f *actLines) handle(line []byte) error {
	if !f.header {
		f.header = true
		return nil
	}
	if !bytes.Contains(line, f.key) {
		if len(f.out) > 0 {
			return errPast
		}
		return nil
	}
	var e projections.Entry
	if err := json.Unmarshal(line, &e); err != nil {
		f.err = fmt.Errorf("decode an event of %s from the projection's snapshot: %w", f.act, err)
		return f.err
	}
	if e.Event.Act != f.act {
		if len(f.out) > 0 {
			return errPast
		}
		return nil
	}
	f.out = append(f.out, e.Event)
	return nil
}

// known returns the effective events of the act as known at the timeline's
// known_at: the first len(tl.Events) events of its history, with their
// corrections and retractions applied, as the projection folds them. It
// checks that the result is the projection's own list of effective events.
func known(all []events.Event, tl projections.Timeline) ([]events.Event, error) {
	n := len(tl.Events)
	if n > len(all) {
		return nil, fmt.Errorf("the projection's timeline of %s has %d events, its snapshot %d", tl.Act, n, len(all))
	}
	prefix := all[:n]
	for i := range prefix {
		if prefix[i].ID != tl.Events[i].ID {
			return nil, fmt.Errorf("event %d of %s is %s in the timeline, %s in the snapshot", i+1, tl.Act, tl.Events[i].ID, prefix[i].ID)
		}
	}
	eff, err := events.Effective(prefix)
	if err != nil {
		// The projection folds such a history without its corrections.
		eff = eff[:0]
		for _, e := range prefix {
			if spec, ok := events.SpecOf(e.Type); ok && spec.Group != events.Record {
				eff = append(eff, e)
			}
		}
	}
	var want []events.ID
	for _, e := range tl.Events {
		if e.Effective {
			want = append(want, e.ID)
		}
	}
	if len(want) != len(eff) {
		return nil, fmt.Errorf("the projection holds %d effective events of %s, its snapshot gives %d", len(want), tl.Act, len(eff))
	}
	for i := range eff {
		if eff[i].ID != want[i] {
			return nil, fmt.Errorf("effective event %d of %s is %s in the timeline, %s in the snapshot", i+1, tl.Act, want[i], eff[i].ID)
		}
	}
	return eff, nil
}
