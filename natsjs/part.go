package natsjs

import (
	"context"
	"fmt"
	"iter"

	"github.com/lexledger/lexledger/eventlog"
)

// Part is the store's events of the acts of a scope (eventlog.Scope): a
// projector that follows part of the ledger reads through it. Its
// consumer filters on the scope's subjects, so the server sends only
// those acts' events, in stream order, with their stream sequences.
type Part struct {
	s       *Store
	scope   eventlog.Scope
	filters []string
}

// Part returns the part of the store's stream that scope covers. The whole
// ledger's scope follows every subject of the stream, as Store does.
func (s *Store) Part(scope eventlog.Scope) *Part {
	p := &Part{s: s, scope: scope}
	for _, pat := range scope.Patterns() {
		p.filters = append(p.filters, s.cfg.Prefix+"."+pat)
	}
	return p
}

// Scope returns the part's scope.
func (p *Part) Scope() eventlog.Scope { return p.scope }

// Filters returns the consumer's subject filters: the scope's patterns
// under the stream's prefix; none for the whole ledger.
func (p *Part) Filters() []string { return append([]string(nil), p.filters...) }

// Follow is Store.Follow restricted to the part's subjects: the ordered
// consumer takes them as its filters.
func (p *Part) Follow(ctx context.Context, from uint64) iter.Seq2[eventlog.Entry, error] {
	return p.s.follow(ctx, from, p.filters, p.LastSeq, followStall)
}

// LastSeq is the stream sequence of the part's last event: the largest of
// the last messages on its filters, read with the stream's message get
// API (answered by the stream's leader, not a replica), 0 when the part
// holds no event. A part is caught up when it has applied that sequence;
// the stream's own last sequence may be another part's.
func (p *Part) LastSeq(ctx context.Context) (uint64, error) {
	if len(p.filters) == 0 {
		return p.s.LastSeq(ctx)
	}
	var last uint64
	for _, f := range p.filters {
		m, err := msgGet(ctx, p.s.nc, apiPrefixOf(p.s.js), p.s.cfg.Stream, msgGetRequest{LastBySubject: f})
		if err != nil {
			return 0, fmt.Errorf("last message on %s: %w", f, err)
		}
		if m != nil {
			last = max(last, m.Sequence)
		}
	}
	return last, nil
}
