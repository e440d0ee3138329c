package ledger

import (
	"hash/maphash"

	"github.com/lexledger/lexledger/events"
)

// DefaultActCache is the default of Options.ActCache: the events whose
// sequence, record time and id the sequencer keeps in memory at most, in the
// caches of the acts it used most recently. An event held costs about 185
// bytes of live heap with its act's share of the rule state (acts of ten
// events), so this bound holds the caches near 70 MiB however many events a
// ledger records; without it they grew with every event, 38 MiB at 200,000.
// It is the smallest bound tried at which an import of the realistic
// 1,000,000-event book reads no act back: at 200,000 it read 20,282 and was
// about three times slower, each read some 20 ms of the server scanning its
// blocks for the act (BENCHMARKS.md, The acts' caches bounded).
const DefaultActCache = 400_000

// maxGone bounds the acts remembered as dropped from the cache. Past it the
// memory is cleared: an act dropped then is assumed new again, as after a
// restart, which the store's expectations make safe, only slower.
const maxGone = 1 << 20

// actCache holds the sequencer's caches of acts (act), the least recently
// used dropped first once they hold more than max events. An act counts one
// more than its events, for its rule state, so that acts without events are
// bounded too. Only the baton holder uses it, and only drops acts between
// groups of units (trim), when no stage refers to them.
//
// An act not held is read back from the store before its next command, as
// an act that the cache found stale is (load): the store holds all of it,
// so nothing is lost by dropping it, only a read spent. To know that an act
// was dropped, rather than never seen and so assumed new, the cache
// remembers a hash of each dropped act's id; a collision only makes a new
// act read first, which finds it empty.
type actCache struct {
	max   int // events held at most; 0 keeps none between groups
	held  int // events held, plus one per act
	byAct map[events.ActID]*act
	ring  act // sentinel of the list of recency: ring.next is the most recent
	gone  map[uint64]struct{}
	seed  maphash.Seed
}

func newActCache(max int) *actCache {
	c := &actCache{max: max, byAct: map[events.ActID]*act{}, gone: map[uint64]struct{}{}, seed: maphash.MakeSeed()}
	c.ring.next, c.ring.prev = &c.ring, &c.ring
	return c
}

// peek returns the cache of act, or nil.
func (c *actCache) peek(id events.ActID) *act { return c.byAct[id] }

// get returns the cache of act, or nil, and makes it the most recent.
func (c *actCache) get(id events.ActID) *act {
	a := c.byAct[id]
	if a != nil && c.ring.next != a {
		c.unlink(a)
		c.pushFront(a)
	}
	return a
}

// put makes a the cache of its act, the most recent, replacing the one
// held. It drops nothing: trim does, between groups.
func (c *actCache) put(a *act) {
	if old := c.byAct[a.id]; old != nil {
		c.unlink(old)
		c.held -= old.held
	}
	delete(c.gone, c.hash(a.id))
	c.byAct[a.id] = a
	c.pushFront(a)
	a.held = 0
	c.recount(a)
}

// recount accounts for the events a gained since it was last counted.
func (c *actCache) recount(a *act) {
	if c.byAct[a.id] != a {
		return
	}
	n := len(a.log) + len(a.records) + 1 // a record event's reference is about an event's entry and id
	c.held += n - a.held
	a.held = n
}

// dropped reports whether act was dropped from the cache (or may have
// been: a hash collision), and so must be read before it is decided on.
func (c *actCache) dropped(id events.ActID) bool {
	_, ok := c.gone[c.hash(id)]
	return ok
}

// trim drops the least recently used acts until the cache fits its bound,
// but not those that busy names (acts with commands waiting, which would
// only be read back at once): those are dropped by a later trim. Call it
// only when no batch is being built or written.
func (c *actCache) trim(busy func(events.ActID) bool) {
	for a := c.ring.prev; c.held > c.max && a != &c.ring; {
		prev := a.prev
		if busy == nil || !busy(a.id) {
			c.drop(a)
		}
		a = prev
	}
}

// drop forgets a, remembering that its act was dropped.
func (c *actCache) drop(a *act) {
	if c.byAct[a.id] != a {
		return
	}
	delete(c.byAct, a.id)
	c.unlink(a)
	c.held -= a.held
	if len(c.gone) >= maxGone {
		clear(c.gone)
	}
	c.gone[c.hash(a.id)] = struct{}{}
}

// all calls f with every act held.
func (c *actCache) all(f func(*act)) {
	for _, a := range c.byAct {
		f(a)
	}
}

func (c *actCache) hash(id events.ActID) uint64 { return maphash.String(c.seed, string(id)) }

func (c *actCache) unlink(a *act) {
	a.prev.next, a.next.prev = a.next, a.prev
	a.prev, a.next = nil, nil
}

func (c *actCache) pushFront(a *act) {
	a.prev, a.next = &c.ring, c.ring.next
	c.ring.next.prev = a
	c.ring.next = a
}

// defaultActCache is what Options.ActCache zero stands for: DefaultActCache,
// but for the package's tests run with a tiny cache (export_test.go).
var defaultActCache = DefaultActCache

// waitingFor returns whether an act has commands waiting for the
// sequencer. Call it with l.mu held; the result is valid while it is.
func (l *Ledger) waitingFor() func(events.ActID) bool {
	if len(l.pending) == 0 {
		return nil
	}
	var acts map[events.ActID]bool
	return func(id events.ActID) bool {
		if acts == nil {
			acts = make(map[events.ActID]bool)
			for _, u := range l.pending {
				for i := range u.cmds {
					acts[u.cmds[i].Event.Act] = true
				}
			}
		}
		return acts[id]
	}
}
