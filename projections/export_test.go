package projections

import (
	"fmt"
	"reflect"
)

// FrozenRoundTrip freezes the current model of every act of p and thaws
// it, and describes each act whose thawed model differs from its model.
func FrozenRoundTrip(p *Projection) []string {
	var bad []string
	for id, r := range p.acts {
		m := p.passingModel(r)
		got, err := decodeModel(id, encodeModel(nil, m))
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s: %v", id, err))
			continue
		}
		if !reflect.DeepEqual(normalized(got), normalized(m)) {
			bad = append(bad, fmt.Sprintf("%s: thawed %+v, frozen %+v", id, *got, *m))
		}
	}
	return bad
}
