package projections

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
)

// actRec is everything the projection keeps of one act in memory; its
// records are in the store.
type actRec struct {
	id   events.ActID // the projection's one copy of the act's identifier
	kind events.Kind  // as now recorded
	log  ActLog       // the act's valid events, in stream order
	// last is the KnownFrom of the act's last record: the running maximum
	// of their record times.
	last  time.Time
	chain eventlog.Chain // the act's valid events: where its chain stands
	// current is the act's model as now recorded, while the cache of
	// models holds it (models.go): read it through Projection.model.
	current atomic.Pointer[model]
	// spans are the act's status in valid time as now recorded, nil until
	// decided since its last event (models.go).
	spans atomic.Pointer[[]span]
	// changed says the act changed since its summary was written, in a
	// Durable store (summary.go).
	changed bool
	// unnoted says the chain was resumed from the act's summary without
	// the ids of its events: Apply notes them from the act's records
	// before it checks the act's next event (noteIDs).
	unnoted bool
	// staleRow says the act is in its country's stale list: its row
	// is read from here until written again (statusindex.go).
	staleRow bool
	// recordsNoted says Projection.recordAt holds the positions of the
	// act's record events (none when it has no entry): set for an act
	// first met by Apply, or once keptModel has read them.
	recordsNoted bool
	// The cache of models' list of recency and what the act counts in it,
	// guarded by its lock: next is nil while its model is not held.
	prev, next *actRec
	weight     int
}

// Projection is the set of views over a stream, kept up to date by Apply.
// It is not safe for concurrent use: a projector guards it with a lock
// (reads may run together; Apply excludes them).
type Projection struct {
	store     Store
	acts      map[events.ActID]*actRec
	byCountry map[string]*country             // each jurisdiction's acts, sorted (statusindex.go)
	madeBy    map[events.ActID][]events.ActID // instrument -> acts it changed, sorted
	lastSeq   uint64
	events    uint64
	// defects are the messages that are not valid events of their acts,
	// in stream order: left out of every view, kept for reports.
	defects []eventlog.Entry
	// firstRecord is the earliest time from which any act is known:
	// known_at before it is before the ledger began.
	firstRecord time.Time
	buf         []byte // Apply's scratch buffer for encoding an event
	// unencoded holds the events, by sequence, that events.AppendEncode
	// refused: their records have no bytes (record.go).
	unencoded map[uint64]*events.Event
	// recordAt holds the positions of the record events in the logs of
	// the acts that have them and whose recordsNoted is set (correct.go).
	recordAt map[*actRec][]int32

	models modelCache // the acts' current models (models.go)

	// durable is the store when it is Durable: it then keeps the acts'
	// summaries, those changed since last written in changed, and those
	// encoded as their models were dropped in stash (guarded by the
	// cache's lock) (summary.go).
	durable      Durable
	summaryEvery int
	changed      []*actRec
	stash        map[*actRec][]byte

	cacheMu sync.Mutex
	past    map[pastKey]*model // models as known before their latest event
	// texted holds the effective events of the acts whose texts were
	// asked last, by act and events known (text.go).
	texted map[pastKey][]events.Event
}

type pastKey struct {
	act events.ActID
	n   int
}

const pastCacheMax = 4096

// New returns an empty projection that keeps its records in memory
// (NewMemStore).
func New() *Projection { return NewWith(NewMemStore()) }

// NewWith returns an empty projection that keeps its records in s, which
// must be empty (a Durable store that is not is restored with Open).
func NewWith(s Store) *Projection {
	p := &Projection{
		store:     s,
		acts:      map[events.ActID]*actRec{},
		byCountry: map[string]*country{},
		madeBy:    map[events.ActID][]events.ActID{},
		past:      map[pastKey]*model{},
	}
	p.models.init(DefaultModelCache)
	p.durable, _ = s.(Durable)
	p.summaryEvery = defaultSummaryEvery
	return p
}

// LastSeq returns the stream sequence of the last event applied: the
// projection's checkpoint.
func (p *Projection) LastSeq() uint64 { return p.lastSeq }

// Events returns the number of events applied.
func (p *Projection) Events() uint64 { return p.events }

// Defects returns the defects met, in stream order: a copy.
func (p *Projection) Defects() []eventlog.Entry { return slices.Clone(p.defects) }

// DefectCount returns how many defects were met.
func (p *Projection) DefectCount() int { return len(p.defects) }

// LastDefect returns the last defect met, and false when there is none.
func (p *Projection) LastDefect() (eventlog.Entry, bool) {
	if len(p.defects) == 0 {
		return eventlog.Entry{}, false
	}
	return p.defects[len(p.defects)-1], true
}

// Apply folds one entry into the projection. Entries must come in stream
// order, each once: an entry at or before LastSeq is an error, and nothing
// changes. It returns the acts whose current state changed: the event's
// act, and its instrument if the event records a change the instrument
// made. An entry with a Defect, or an event off its act's chain
// (eventlog.Chain), is kept as a defect and changes no view: Apply returns
// no act, and LastDefect returns it.
func (p *Projection) Apply(e eventlog.Entry) ([]events.ActID, error) {
	// A projection is a function of the events and their sequences alone:
	// what the reader knew besides (Version, StoredAt) is not kept, so that
	// a projection restored from a snapshot equals the one that wrote it.
	e = eventlog.Entry{Seq: e.Seq, Event: e.Event, Defect: e.Defect}
	if e.Seq <= p.lastSeq {
		return nil, fmt.Errorf("event at sequence %d applied after sequence %d: events must come in order, each once", e.Seq, p.lastSeq)
	}
	var chain eventlog.Chain
	r := p.acts[e.Event.Act]
	if e.Defect == nil {
		if r != nil {
			if r.unnoted {
				r.noteIDs()
			}
			r.chain.CheckWith(&e, r.holdsID)
		} else {
			chain.CheckWith(&e, func(events.ID) bool { return false })
		}
	}
	if e.Defect != nil {
		if err := p.store.AppendDefect(e); err != nil {
			return nil, fmt.Errorf("keep the defect at sequence %d: %w", e.Seq, err)
		}
		if err := p.store.Commit(e.Seq); err != nil {
			return nil, fmt.Errorf("commit sequence %d: %w", e.Seq, err)
		}
		p.defects = append(p.defects, e)
		p.lastSeq = e.Seq
		return nil, nil
	}
	id := e.Event.Act
	fresh := r == nil
	if fresh {
		r = &actRec{id: id, log: p.store.Act(id), chain: chain, recordsNoted: true}
	}
	known := e.Event.RecordedAt
	if r.log.Len() > 0 && r.last.After(known) {
		known = r.last
	}
	if err := r.log.Append(p.record(&e, known)); err != nil {
		// The store may count the record it failed to keep: the model
		// held, or frozen, no longer says what the count's fold is.
		p.forgetModel(r)
		return nil, fmt.Errorf("keep the event at sequence %d: %w", e.Seq, err)
	}
	r.last = known
	if fresh {
		p.acts[id] = r
		p.addToCountry(r)
		p.noteRecord(known) // an act's first event: the earliest it is known from
	}
	indexFrom := 0 // the amendments not yet in madeBy
	var m *model
	spec, _ := events.SpecOf(e.Event.Type)
	ordinary := spec != nil && spec.Group != events.Record
	if !ordinary {
		p.noteRecordEvent(r) // one of the events Effective takes apart
	}
	if ordinary && !fresh {
		// The common case folds one event more into the model held (or
		// folded again without it): linear in the act's events. Only that
		// event can add an amendment.
		if m = r.current.Load(); m == nil {
			m = p.foldAgain(r, r.log.Len()-1)
		}
		ev := e.Event
		ev.Instrument = p.SharedActID(ev.Instrument)
		indexFrom = len(m.amendments)
		m.add(&ev)
		if ev.Type == events.Amended {
			m.noteNamed(ev.Instrument)
		}
		for _, a := range m.amendments[indexFrom:] {
			m.noteNamed(a.Instrument)
		}
	} else if fresh {
		// An act's first event: folded as it came, not read back.
		m = p.buildEvents(id, []events.Event{e.Event})
	} else {
		// A record event: folded again, unless it leaves the model as it
		// was (keptModel).
		m = p.keptModel(r, &e.Event)
		p.models.mu.Lock()
		if m != nil {
			p.models.kept++
		} else {
			p.models.refolds++
		}
		p.models.mu.Unlock()
		if m == nil {
			m = p.buildFrom(id, r.log, r.log.Len())
		}
	}
	p.markChanged(r)
	p.setModel(r, m)
	if err := p.store.Commit(e.Seq); err != nil {
		return nil, fmt.Errorf("commit sequence %d: %w", e.Seq, err)
	}
	p.lastSeq = e.Seq
	p.events++
	if p.durable != nil && len(p.changed) >= p.summaryEvery {
		// A store that fails here fails the next Commit, which Apply
		// returns; the acts stay marked until then.
		_ = p.saveSummaries()
	}
	changed := []events.ActID{id}
	if inst := e.Event.Instrument; inst != "" && e.Event.Type == events.Amended {
		if _, ok := p.acts[inst]; ok {
			changed = append(changed, inst)
		}
	}
	p.indexInstruments(id, m.amendments[indexFrom:])
	return changed, nil
}

// noteIDs notes the ids of the act's records in its chain, resumed from
// its summary (Open): one read of the act's records, when its first event
// after a restart comes.
func (r *actRec) noteIDs() {
	for rec := range r.log.Records(0, r.log.Len()) {
		r.chain.Note(rec.ID)
	}
	r.unnoted = false
}

// holdsID reports whether an event of the act has id: the chain keeps only
// fingerprints of ids (eventlog.Chain.CheckWith), and asks when one
// matches.
func (r *actRec) holdsID(id events.ID) bool {
	for rec := range r.log.Records(0, r.log.Len()) {
		if rec.ID == id {
			return true
		}
	}
	return false
}

// buildFrom folds an act's first n records into a model, corrections
// and retractions applied.
func (p *Projection) buildFrom(id events.ActID, log ActLog, n int) *model {
	return p.buildEvents(id, p.decodeEvents(log, n))
}

// buildEvents folds an act's events into a model, corrections and
// retractions applied.
func (p *Projection) buildEvents(id events.ActID, evs []events.Event) *model {
	for i := range evs {
		evs[i].Instrument = p.SharedActID(evs[i].Instrument)
	}
	m := build(id, effectiveEvents(evs))
	for i := range evs {
		if evs[i].Type == events.Amended {
			m.noteNamed(evs[i].Instrument)
		}
	}
	for _, a := range m.amendments {
		m.noteNamed(a.Instrument)
	}
	return m
}

// effectiveEvents returns evs with corrections applied and retractions
// left out (events.Effective); a correction that cannot be applied was
// refused by the ledger, and if one is in the stream anyway, the events
// are taken without any corrections.
func effectiveEvents(evs []events.Event) []events.Event {
	eff, err := events.Effective(evs)
	if err != nil {
		return withoutRecordEvents(evs)
	}
	return eff
}

func withoutRecordEvents(evs []events.Event) []events.Event {
	var out []events.Event
	for _, e := range evs {
		if spec, ok := events.SpecOf(e.Type); ok && spec.Group != events.Record {
			out = append(out, e)
		}
	}
	return out
}

// modelAt returns the act's model as known at t (nil t: now), and how
// many of its events were known then; nil when none was.
func (p *Projection) modelAt(id events.ActID, t *time.Time) (*model, int) {
	r := p.acts[id]
	if r == nil {
		return nil, 0
	}
	if t == nil {
		return p.model(r), r.log.Len()
	}
	n := r.log.KnownAt(*t)
	switch n {
	case 0:
		return nil, 0
	case r.log.Len():
		return p.model(r), n
	}
	key := pastKey{id, n}
	p.cacheMu.Lock()
	m := p.past[key]
	p.cacheMu.Unlock()
	if m != nil {
		return m, n
	}
	m = p.buildFrom(id, r.log, n)
	p.cacheMu.Lock()
	if len(p.past) >= pastCacheMax {
		clear(p.past)
	}
	p.past[key] = m
	p.cacheMu.Unlock()
	return m, n
}

// SharedActID returns id as the projection holds it: equal to id, and
// the same string for every holder, so that what is kept per event (the
// instrument of each amendment, a projector's index of leaves) costs no
// copy of the act's identifier. An act the projection does not know, or
// "", comes back as it is.
func (p *Projection) SharedActID(id events.ActID) events.ActID {
	if r := p.acts[id]; r != nil {
		return r.id
	}
	return id
}

// firstKnown returns the record time from which act id is known: its
// first record's.
func (p *Projection) firstKnown(id events.ActID) time.Time {
	for r := range p.acts[id].log.Records(0, 1) {
		return r.KnownFrom
	}
	return time.Time{}
}

// FirstRecord returns the record time of the first event applied, and
// false when there is none.
func (p *Projection) FirstRecord() (time.Time, bool) {
	return p.firstRecord, p.events > 0
}

// noteRecord keeps the earliest time from which an act is known.
func (p *Projection) noteRecord(t time.Time) {
	if p.firstRecord.IsZero() || t.Before(p.firstRecord) {
		p.firstRecord = t
	}
}

// EachBySeq calls fn with every event applied, and every defect met, in
// stream order. Each event is decoded for the call: fn must not keep e.
func (p *Projection) EachBySeq(fn func(e *eventlog.Entry)) {
	d := 0
	for _, rec := range p.store.BySeq() {
		for ; d < len(p.defects) && p.defects[d].Seq < rec.Seq; d++ {
			fn(&p.defects[d])
		}
		e := p.entry(&rec)
		fn(&e)
	}
	for ; d < len(p.defects); d++ {
		fn(&p.defects[d])
	}
}

// Find returns the applied event id of act, or false.
func (p *Projection) Find(act events.ActID, id events.ID) (eventlog.Entry, bool) {
	if r := p.acts[act]; r != nil {
		for rec := range r.log.Records(0, r.log.Len()) {
			if rec.ID == id {
				return p.entry(&rec), true
			}
		}
	}
	return eventlog.Entry{}, false
}

// History returns the events of an act as the projection holds them, in
// stream order, record events included: a copy, for exporters that need
// more of each event than the answers carry.
func (p *Projection) History(act events.ActID) []events.Event {
	r := p.acts[act]
	if r == nil {
		return nil
	}
	return p.decodeEvents(r.log, r.log.Len())
}

// indexInstruments notes id under the instrument of each amendment of
// amends, as recorded or as corrected: all the act's amendments when its
// model was folded anew, the new one when an event was added to it, so
// that an event costs the same however long the act's history (issue 15).
// Entries are never removed: an answer checks the target's model as known
// at its time.
func (p *Projection) indexInstruments(id events.ActID, amends []Amendment) {
	for _, a := range amends {
		if a.Instrument == "" {
			continue
		}
		list := p.madeBy[a.Instrument]
		if i, found := slices.BinarySearch(list, id); !found {
			p.madeBy[a.Instrument] = slices.Insert(list, i, id)
		}
	}
}

// EachLeaf calls fn with every event applied and every defect met, in
// stream order, with what a Merkle tree of them needs: the event's act,
// id and hash, or the defect. An event's hash is read from its stored
// bytes when they end as the ledger seals events, and computed from the
// decoded event otherwise (schema 1), so that a tree is rebuilt without
// decoding the ledger's own events.
func (p *Projection) EachLeaf(fn func(seq uint64, act events.ActID, id events.ID, hash events.Digest, err error, d *eventlog.Defect)) {
	p.EachLeafFrom(0, fn)
}

// EachLeafFrom is EachLeaf for the events and defects at sequence from or
// later: the leaves a tree that stood at sequence from-1 lacks.
func (p *Projection) EachLeafFrom(from uint64, fn func(seq uint64, act events.ActID, id events.ID, hash events.Digest, err error, d *eventlog.Defect)) {
	d, _ := slices.BinarySearchFunc(p.defects, from, func(e eventlog.Entry, seq uint64) int { return cmp.Compare(e.Seq, seq) })
	defectsBefore := func(seq uint64) {
		for ; d < len(p.defects) && p.defects[d].Seq < seq; d++ {
			fn(p.defects[d].Seq, "", events.ID{}, events.Digest{}, nil, p.defects[d].Defect)
		}
	}
	defer defectsBefore(math.MaxUint64)
	if p.durable != nil {
		// The store keeps each record's hash with its place: the tree is
		// rebuilt from one scan of the places, without a seek a record.
		for l := range p.durable.Leaves(from) {
			defectsBefore(l.Seq)
			h, err := l.Hash, error(nil)
			if h.IsZero() {
				h, err = p.hashOf(l.Act, l.Index)
			}
			fn(l.Seq, l.Act, l.ID, h, err, nil)
		}
		return
	}
	for act, rec := range p.store.BySeq() {
		if rec.Seq < from {
			continue
		}
		defectsBefore(rec.Seq)
		h, ok := sealedHash(rec.Data)
		var err error
		if !ok {
			e := p.entry(&rec)
			if h = e.Event.Hash; h.IsZero() {
				h, err = e.Event.ComputeHash()
			}
		}
		fn(rec.Seq, act, rec.ID, h, err, nil)
	}
}

// hashOf returns the hash of record i of act, decoded (an event of
// schema 1, whose hash is not stored).
func (p *Projection) hashOf(act events.ActID, i int) (events.Digest, error) {
	for rec := range p.acts[act].log.Records(i, i+1) {
		e := p.entry(&rec)
		if !e.Event.Hash.IsZero() {
			return e.Event.Hash, nil
		}
		return e.Event.ComputeHash()
	}
	return events.Digest{}, fmt.Errorf("record %d of %s is not in the store", i, act)
}

// sealedHash reads the hash at the end of an event in the ledger's own
// encoding (`...,"hash":"<64 hex>"}`, events.Event.Seal); false for any
// other bytes.
func sealedHash(data []byte) (events.Digest, bool) {
	const tail = len(`,"hash":"`) + 64 + len(`"}`)
	var h events.Digest
	n := len(data)
	if n < tail || string(data[n-tail:n-tail+9]) != `,"hash":"` || string(data[n-2:]) != `"}` {
		return h, false
	}
	if err := h.UnmarshalText(data[n-tail+9 : n-2]); err != nil || h.IsZero() {
		return h, false
	}
	return h, true
}
