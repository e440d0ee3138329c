package projections

import (
	"encoding/binary"
	"errors"
	"slices"
	"time"

	"github.com/lexledger/lexledger/events"
)

// Summaries: what Open needs of an act without decoding its events
// (issue 15: a restarted projector ready in seconds however long the
// ledger). A Durable store keeps, beside each act's records, its summary
// as of a number of them: its kind, its spans, where its chain stands, the
// acts its amendments name (for madeBy), and the record times of its first
// and last records. Open reads an act whose summary covers all its records
// from the summary alone: the ids its chain needs to refuse a reused one
// are read from the act's records when its next event comes (noteIDs).
// An act with records past its summary (changed since it was written) is
// decoded and folded as before. Once every act's summary was written at
// a checkpoint (Durable.CommitSummaries), those acts are the acts of the
// records after it, and Open reads no other record.
//
// Summaries are written in batches, not with every event: Apply marks the
// acts it changes, and every summaryEvery acts marked it writes theirs,
// committed at its checkpoint. An act whose model the cache drops while
// marked has its summary encoded then (stash), so that writing it needs
// no fold. At most summaryEvery acts are thus decoded by Open.

// defaultSummaryEvery is how many acts Apply marks before it writes their
// summaries (SetSummaryEvery).
const defaultSummaryEvery = 4096

// summaryVersion is the first byte of a summary: one of another version
// is ignored (the act is folded). Version 2 added the record times of the
// act's first and last records, so that Open reads no record of an act
// whose summary is whole.
const summaryVersion = 2

// noteNamed adds inst to the instruments m's events name.
func (m *model) noteNamed(inst events.ActID) {
	if inst == "" {
		return
	}
	if i, found := slices.BinarySearch(m.named, inst); !found {
		m.named = slices.Insert(m.named, i, inst)
	}
}

// encodeSummary encodes r's summary, its model being m (and its spans sp,
// or nil to decide them from m).
func encodeSummary(r *actRec, m *model, sp []span) []byte {
	if sp == nil {
		sp = m.spans()
	}
	b := make([]byte, 0, 64+8*len(sp))
	b = append(b, summaryVersion)
	b = binary.AppendUvarint(b, uint64(r.log.Len()))
	b = appendString(b, string(m.kind))
	b = binary.AppendUvarint(b, uint64(len(sp)))
	for _, s := range sp {
		b = binary.AppendVarint(b, int64(s.from))
		b = append(b, s.status)
	}
	tip := r.chain.PeekTip() // readers may encode it together (trim)
	b = append(b, tip[:]...)
	if r.chain.Chained() {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(m.named)))
	for _, inst := range m.named {
		b = appendString(b, string(inst))
	}
	var first time.Time
	for rec := range r.log.Records(0, 1) {
		first = rec.KnownFrom
	}
	b = appendTime(b, first)
	return appendTime(b, r.last)
}

// appendTime appends t, its length first.
func appendTime(b []byte, t time.Time) []byte {
	tb, err := t.MarshalBinary()
	if err != nil {
		// Outside the years time.Time marshals: not a record time the
		// ledger writes. The summary is then refused, and the act folded.
		tb = nil
	}
	return append(binary.AppendUvarint(b, uint64(len(tb))), tb...)
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// summary is a decoded summary.
type summary struct {
	n       int
	kind    events.Kind
	spans   []span
	tip     events.Digest
	chained bool
	named   []events.ActID
	// first and last are the KnownFrom of the act's first record and of
	// its record n-1; zero in a summary of version 1 (v1), which Open's
	// scan of the records restores and writes again with them (upgrade).
	first, last time.Time
	v1          bool
}

// upgrade returns the summary of version 1 b, whose act's first and last
// records are known from first and last, in this version.
func upgrade(b []byte, first, last time.Time) []byte {
	out := append([]byte{summaryVersion}, b[1:]...)
	return appendTime(appendTime(out, first), last)
}

var errSummary = errors.New("a damaged summary")

// decodeSummary decodes a summary's bytes, of this version or of version
// 1; an error for bytes of another version or damaged.
func decodeSummary(b []byte) (summary, error) {
	var s summary
	if len(b) == 0 || (b[0] != summaryVersion && b[0] != 1) {
		return s, errSummary
	}
	s.v1 = b[0] == 1
	b = b[1:]
	uv := func() uint64 {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			b = nil
			return 0
		}
		b = b[n:]
		return v
	}
	str := func() string {
		n := uv()
		if uint64(len(b)) < n {
			b = nil
			return ""
		}
		v := string(b[:n])
		b = b[n:]
		return v
	}
	s.n = int(uv())
	s.kind = events.Kind(str())
	ns := uv()
	if ns > uint64(len(b)) {
		return s, errSummary
	}
	s.spans = make([]span, ns)
	for i := range s.spans {
		v, n := binary.Varint(b)
		if n <= 0 || len(b) < n+1 || int(b[n]) >= len(Statuses) {
			return s, errSummary
		}
		s.spans[i] = span{from: events.DayNum(v), status: b[n]}
		b = b[n+1:]
	}
	if len(b) < len(s.tip)+1 {
		return s, errSummary
	}
	copy(s.tip[:], b)
	s.chained = b[len(s.tip)] == 1
	b = b[len(s.tip)+1:]
	nn := uv()
	if nn > uint64(len(b)) {
		return s, errSummary
	}
	for range nn {
		s.named = append(s.named, events.ActID(str()))
	}
	for _, t := range []*time.Time{&s.first, &s.last} {
		if s.v1 {
			break
		}
		if err := t.UnmarshalBinary([]byte(str())); err != nil {
			return s, errSummary
		}
	}
	if b == nil || len(s.spans) == 0 || s.n == 0 {
		return s, errSummary
	}
	return s, nil
}

// markChanged notes that r changed since its summary was written: its
// summary is written with the next batch (saveSummaries). The caller
// holds the projection exclusively.
func (p *Projection) markChanged(r *actRec) {
	if p.durable == nil {
		return
	}
	if p.stash != nil {
		// A summary encoded as its model was dropped is now behind.
		p.models.mu.Lock()
		delete(p.stash, r)
		p.models.mu.Unlock()
	}
	if !r.changed {
		r.changed = true
		p.changed = append(p.changed, r)
	}
}

// stashSummary encodes the summary of r, changed, whose model m the cache
// drops: its summary is then written without folding it again. The
// caller holds the cache's lock.
func (p *Projection) stashSummary(r *actRec, m *model, sp []span) {
	if p.stash == nil {
		p.stash = map[*actRec][]byte{}
	}
	p.stash[r] = encodeSummary(r, m, sp)
}

// saveSummaries writes the summaries of the acts changed since the last
// batch, and commits them at the projection's checkpoint. The caller
// holds the projection exclusively. On an error the acts stay marked, to
// be written with the next batch.
func (p *Projection) saveSummaries() error {
	for _, r := range p.changed {
		if !r.changed {
			continue // written before an error stopped the batch
		}
		p.models.mu.Lock()
		data := p.stash[r]
		p.models.mu.Unlock()
		if data == nil {
			data = encodeSummary(r, p.model(r), r.spansNow())
		}
		if err := p.durable.PutSummary(r.id, data); err != nil {
			return err
		}
		r.changed = false
	}
	p.changed = p.changed[:0]
	p.models.mu.Lock()
	clear(p.stash)
	p.models.mu.Unlock()
	return p.durable.CommitSummaries(p.lastSeq)
}

// SaveSummaries writes the summaries of the acts changed since they were
// last written, with the store's checkpoint, so that Open reads them
// instead of folding those acts: a projector calls it as it stops. It
// does nothing for a store that is not Durable.
func (p *Projection) SaveSummaries() error {
	if p.durable == nil {
		return nil
	}
	if len(p.changed) == 0 {
		return nil
	}
	return p.saveSummaries()
}

// spansNow returns r's spans if they are decided, or nil.
func (r *actRec) spansNow() []span {
	if sp := r.spans.Load(); sp != nil {
		return *sp
	}
	return nil
}
