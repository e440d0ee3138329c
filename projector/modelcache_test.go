package projector_test

import (
	"reflect"
	"testing"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
	"github.com/lexledger/lexledger/projector"
)

// Options.ModelCache bounds the service's cache of models, and the
// service answers as one with the default cache.
func TestServiceModelCache(t *testing.T) {
	small := projector.New(nil, nil, projector.Options{ModelCache: 50})
	full := projector.New(nil, nil, projector.Options{})
	generateSealed(t, 2000, func(e eventlog.Entry) {
		for _, s := range []*projector.Service{small, full} {
			if err := s.ApplyEntry(e); err != nil {
				t.Fatal(err)
			}
		}
	})
	var held int
	var dropped uint64
	small.Read(func(p *projections.Projection) { held, dropped, _ = p.ModelCacheStats() })
	if dropped == 0 || held > 50+20 {
		t.Fatalf("with ModelCache 50 the service holds models of %d events and dropped %d: want at most 50 (and the act in use), some dropped", held, dropped)
	}
	q := projections.Query{AsOf: events.MustDate("2020-01-01")}
	var got, want []projections.ActState
	small.Read(func(p *projections.Projection) { got, _ = p.List(projections.Filter{}, q) })
	full.Read(func(p *projections.Projection) { want, _ = p.List(projections.Filter{}, q) })
	if len(want) == 0 || !reflect.DeepEqual(got, want) {
		t.Fatalf("the service with a small cache lists %d acts, with the default %d, or they differ", len(got), len(want))
	}
}
