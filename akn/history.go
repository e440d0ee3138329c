package akn

import (
	"fmt"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

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
