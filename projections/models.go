package projections

import (
	"slices"
	"strings"
	"sync"

	"github.com/lexledger/lexledger/events"
)

// DefaultModelCache is the default of SetModelCache: the events whose
// acts' current models the projection keeps decoded at most. A model costs
// about 330 to 550 bytes an event of its act (BENCHMARKS.md, issue 15), so
// the default holds 100 to 200 MB of models however long the ledger grows
// (190 MiB more live heap than 100,000 after the realistic 1,000,000-event
// book); an act whose model was dropped is folded again from its records
// when next asked or changed. It was 100,000 until the realistic book of
// 1,000,000 events showed the cache dropping the models of the acts being
// amended and folding them again on each event: rebuild and catch-up ran
// at 0.03 of a bare replay, and an act's state took 1.5 to 1.8 ms at the
// median. At 300,000 they run at 0.12 to 0.16, as with a cache of every
// event, and the state takes 0.3 ms (BENCHMARKS.md, The models' cache at
// a realistic million).
const DefaultModelCache = 300_000

// The current models of the acts are a cache (issue 15): a model is
// derived from the act's records, which the Store holds, and is folded
// again from them when it is not at hand. What every list needs of an act
// without its model is kept apart, in its actRec: the kind, and its
// status in every stretch of valid time as now recorded (spans).
//
// The cache is a list of recency over the acts whose model it holds, the
// most recent first, bounded by the events of those acts. Readers use it
// together (they hold the projection's read lock), so its list and counts
// are guarded by mu, and an act's model is an atomic pointer: a reader may
// load it while another drops it, and keeps the model it loaded.
type modelCache struct {
	mu   sync.Mutex
	max  int    // events held at most; a model alone over it is still kept while used
	held int    // events of the acts whose models are held
	ring actRec // sentinel of the list of recency: ring.next is the most recent
	// dropped counts the models dropped, and folds the models folded again
	// from records: for tests and metrics. kept and refolds count the
	// record events that left the model held as it was (keptModel) and
	// those that folded the act again.
	dropped, folds, kept, refolds uint64
	// The tier of frozen models (frozen.go): the encodings of dropped
	// models by act, the oldest frozen first to go once they hold more
	// than frozenMax bytes. thaws counts the models decoded from it.
	frozen                 map[*actRec]*frozenModel
	frozenRing             frozenModel // sentinel: frozenRing.next is the newest
	frozenBytes, frozenMax int
	thaws                  uint64
}

// frozenModel is the encoding of an act's model as of its first n records.
type frozenModel struct {
	r          *actRec
	data       []byte
	n          int
	prev, next *frozenModel
}

func (c *modelCache) init(max int) {
	c.max = max
	c.ring.next, c.ring.prev = &c.ring, &c.ring
	c.frozenMax = DefaultFrozenModels
	c.frozen = map[*actRec]*frozenModel{}
	c.frozenRing.next, c.frozenRing.prev = &c.frozenRing, &c.frozenRing
}

// DefaultFrozenModels is the default of SetFrozenModels: the bytes of
// the frozen forms of dropped models kept. A frozen model takes about 70
// bytes an event of its act on the realistic book, a quarter of the
// decoded model, so this keeps the models of about 900,000 events: with
// the cache of models, every act's of the realistic 1,000,000-event book.
const DefaultFrozenModels = 64 << 20

// SetFrozenModels bounds the encodings of dropped models that the
// projection keeps to n bytes (DefaultFrozenModels for a new projection);
// 0 keeps none, and every dropped model is folded again from its records
// when next needed. Answers do not depend on it; their speed does.
func (p *Projection) SetFrozenModels(n int) {
	c := &p.models
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frozenMax = max(n, 0)
	c.trimFrozen()
}

// FrozenModelStats returns the bytes of the frozen models kept, and how
// many models were decoded from them since the projection began.
func (p *Projection) FrozenModelStats() (bytes int, thaws uint64) {
	p.models.mu.Lock()
	defer p.models.mu.Unlock()
	return p.models.frozenBytes, p.models.thaws
}

// forgetModel drops r's model, held or frozen, so that it is folded
// again from its records when next needed. The caller holds the
// projection exclusively.
func (p *Projection) forgetModel(r *actRec) {
	c := &p.models
	c.mu.Lock()
	defer c.mu.Unlock()
	c.unfreeze(r)
	if r.next != nil {
		c.unlink(r)
	}
	r.current.Store(nil)
}

// shareStrings gives a thawed model's act identifiers the projection's
// own copies (an instrument not in the projection its own), and its kind
// and title copies of their own: the rest of its strings are pieces of
// one string, the model's decoded bytes, which a piece kept elsewhere (the
// act's kind in its record, an instrument as a key of madeBy) would keep
// alive after the model is dropped. Readers hold the projection's read
// lock, under which p.acts does not change.
func (p *Projection) shareStrings(m *model) {
	m.kind = events.Kind(strings.Clone(string(m.kind)))
	m.title = strings.Clone(m.title)
	share := func(id events.ActID) events.ActID {
		if r := p.acts[id]; r != nil {
			return r.id
		}
		return events.ActID(strings.Clone(string(id)))
	}
	for i := range m.amendments {
		m.amendments[i].Instrument = share(m.amendments[i].Instrument)
	}
	for i := range m.named {
		m.named[i] = share(m.named[i])
	}
}

// freeze keeps data, the encoding of r's model as of its first n
// records, in place of any before. The caller holds c.mu.
func (c *modelCache) freeze(r *actRec, data []byte, n int) {
	c.unfreeze(r)
	if r.next != nil || frozenCost(data) > c.frozenMax {
		return // held again meanwhile (another reader folded it), or too large
	}
	f := &frozenModel{r: r, data: data, n: n}
	f.prev, f.next = &c.frozenRing, c.frozenRing.next
	c.frozenRing.next.prev = f
	c.frozenRing.next = f
	c.frozen[r] = f
	c.frozenBytes += frozenCost(data)
	c.trimFrozen()
}

// frozenOverhead is what a frozen model costs beside its bytes: its entry
// and its slot in the map, counted against the tier's bound.
const frozenOverhead = 112

func frozenCost(data []byte) int { return len(data) + frozenOverhead }

// unfreeze forgets r's frozen model, if any. The caller holds c.mu.
func (c *modelCache) unfreeze(r *actRec) {
	f := c.frozen[r]
	if f == nil {
		return
	}
	f.prev.next, f.next.prev = f.next, f.prev
	delete(c.frozen, r)
	c.frozenBytes -= frozenCost(f.data)
}

// trimFrozen forgets the oldest frozen models until the rest fit. The
// caller holds c.mu.
func (c *modelCache) trimFrozen() {
	for c.frozenBytes > c.frozenMax {
		c.unfreeze(c.frozenRing.prev.r)
	}
}

// thaw returns r's model as of its first n records decoded from its
// frozen encoding, or nil when none is kept for n records. The encoding
// stays until the model is held again (keep), for a pass over every act
// (passingModel) that holds none of the models it decodes. An encoding
// that does not decode (a bug: it was made here) is forgotten, and the
// model folded again, which answers as well.
func (c *modelCache) thaw(r *actRec, n int) *model {
	c.mu.Lock()
	f := c.frozen[r]
	if f == nil || f.n != n {
		c.mu.Unlock()
		return nil
	}
	data := f.data
	c.mu.Unlock()
	m, err := thawModel(r.id, data)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		if c.frozen[r] == f {
			c.unfreeze(r)
		}
		return nil
	}
	c.thaws++
	return m
}

// SetModelCache bounds the current models the projection keeps decoded
// to those of acts holding n events in all (DefaultModelCache for a new
// projection); the models of the least recently used acts beyond it are
// dropped, and folded again from their records when needed. n < 1 keeps
// only the model in use. Answers do not depend on it; their speed does.
func (p *Projection) SetModelCache(n int) {
	p.models.mu.Lock()
	p.models.max = n
	p.models.mu.Unlock()
	p.models.trim(nil, p)
}

// SetSummaryEvery sets how many acts Apply marks changed before it writes
// their summaries, in a Durable store (summary.go; 4,096 for a new
// projection): Open decodes at most that many acts. n < 1 writes them with
// every event.
func (p *Projection) SetSummaryEvery(n int) { p.summaryEvery = max(n, 1) }

// ModelCacheStats returns the events of the acts whose models are held,
// and how many models were dropped and folded again since the projection
// began.
func (p *Projection) ModelCacheStats() (held int, dropped, folds uint64) {
	p.models.mu.Lock()
	defer p.models.mu.Unlock()
	return p.models.held, p.models.dropped, p.models.folds
}

// RecordFoldStats returns how many record events (corrections and
// retractions) left their act's model as it was, and how many folded the
// act again from its records, since the projection began.
func (p *Projection) RecordFoldStats() (kept, refolded uint64) {
	p.models.mu.Lock()
	defer p.models.mu.Unlock()
	return p.models.kept, p.models.refolds
}

// model returns r's current model: the one held, or one folded again from
// its records and held from now on.
func (p *Projection) model(r *actRec) *model {
	if m := r.current.Load(); m != nil {
		p.models.touch(r)
		return m
	}
	m := p.foldAgain(r, r.log.Len())
	if !r.current.CompareAndSwap(nil, m) {
		// Another reader folded it first: answer with the model held.
		if held := r.current.Load(); held != nil {
			m = held
		}
	}
	p.keep(r)
	return m
}

// passingModel returns r's current model: the one held, or one folded for
// the caller alone and not kept. A pass over every act (List) then folds
// each act whose model is dropped without dropping the models of the acts
// in use for it, each deciding its spans as it goes.
func (p *Projection) passingModel(r *actRec) *model {
	if m := r.current.Load(); m != nil {
		return m
	}
	return p.foldAgain(r, r.log.Len())
}

// foldAgain folds the model of r's first n records, its model having been
// dropped, and counts the fold; or decodes it from its frozen encoding, when
// one is kept for n records.
func (p *Projection) foldAgain(r *actRec, n int) *model {
	if m := p.models.thaw(r, n); m != nil {
		p.shareStrings(m)
		return m
	}
	m := p.buildFrom(r.id, r.log, n)
	p.models.mu.Lock()
	p.models.folds++
	p.models.mu.Unlock()
	return m
}

// setModel makes m r's current model, as Apply and a restore fold it:
// the act's events changed, so its spans are decided again when asked.
// The caller holds the projection exclusively.
func (p *Projection) setModel(r *actRec, m *model) {
	r.current.Store(m)
	r.kind = m.kind
	r.spans.Store(nil)
	p.rowChanged(r)
	p.keep(r)
}

// keep makes r, whose model is held, the most recent act of the cache
// with its present weight, and drops the least recent beyond the bound.
func (p *Projection) keep(r *actRec) {
	c := &p.models
	c.mu.Lock()
	c.unfreeze(r) // held: its encoding is made anew when it is dropped
	if r.next != nil {
		c.unlink(r)
	}
	r.weight = r.log.Len() + 1
	c.held += r.weight
	c.pushFront(r)
	c.mu.Unlock()
	c.trim(r, p)
}

// touch makes r the most recent act, if its model is still held.
func (c *modelCache) touch(r *actRec) {
	c.mu.Lock()
	if r.next != nil && c.ring.next != r {
		c.unlink(r)
		c.held += r.weight // moved, not dropped
		c.pushFront(r)
	}
	c.mu.Unlock()
}

// trim drops the models of the least recently used acts until those held
// fit the bound, never keep's own act (in use). An act's spans are decided
// before its model goes, so that lists need no fold for it.
func (c *modelCache) trim(keep *actRec, p *Projection) {
	for {
		c.mu.Lock()
		r := c.ring.prev
		if c.held <= c.max || r == &c.ring || r == keep {
			c.mu.Unlock()
			return
		}
		c.unlink(r)
		m := r.current.Swap(nil)
		c.dropped++
		freezing := c.frozenMax > 0
		c.mu.Unlock()
		if m != nil && r.spans.Load() == nil {
			s := m.spans()
			r.spans.CompareAndSwap(nil, &s)
		}
		if m != nil && freezing {
			data := freezeModel(m)
			c.mu.Lock()
			c.freeze(r, data, r.log.Len())
			c.mu.Unlock()
		}
		if m != nil && r.changed {
			// Its summary is written later, without its model.
			sp := r.spansNow()
			c.mu.Lock()
			p.stashSummary(r, m, sp)
			c.mu.Unlock()
		}
	}
}

func (c *modelCache) unlink(r *actRec) {
	r.prev.next, r.next.prev = r.next, r.prev
	r.prev, r.next = nil, nil
	c.held -= r.weight
}

func (c *modelCache) pushFront(r *actRec) {
	r.prev, r.next = &c.ring, c.ring.next
	c.ring.next.prev = r
	c.ring.next = r
}

// span is a stretch of valid time from a day on, up to the next span's,
// in which an act has one status: an index into Statuses.
type span struct {
	from   events.DayNum
	status uint8
}

// statusCode returns the code of a status in a span: its index in
// Statuses.
func statusCode(s Status) uint8 {
	i := slices.Index(Statuses, s)
	if i < 0 {
		panic("projections: a status with no code: " + string(s))
	}
	return uint8(i)
}

// spans returns the act's status in every stretch of valid time, as the
// timeline decides it: the status from the first day on, then one more
// at each boundary where it changes.
func (m *model) spans() []span {
	out := []span{{from: 0, status: statusCode(m.statusOn(0).status)}}
	for _, b := range m.boundaries() {
		d := b.Earliest()
		if st := statusCode(m.statusOn(d).status); st != out[len(out)-1].status {
			out = append(out, span{from: d, status: st})
		}
	}
	return slices.Clip(out)
}

// statusNow returns r's status on day d as now recorded, from its spans:
// decided from its model when not decided since its last event.
func (p *Projection) statusNow(r *actRec, d events.DayNum) Status {
	sp := r.spans.Load()
	if sp == nil {
		s := p.model(r).spans()
		sp = &s
		r.spans.CompareAndSwap(nil, sp)
	}
	s := *sp
	i, found := slices.BinarySearchFunc(s, d, func(x span, d events.DayNum) int { return cmpDay(x.from, d) })
	if !found {
		i--
	}
	return Statuses[s[i].status]
}

func cmpDay(a, b events.DayNum) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
