package eventlog

import (
	"fmt"
	"hash/maphash"

	"github.com/lexledger/lexledger/events"
)

// Chain is where an act's hash chain stands after its valid events: the
// hash of the last one and the ids used. The zero Chain is an act with no
// event. Every reader that folds an act (the ledger, the projections, the
// verifier) checks its events with a Chain, so that all agree on which
// events are the act's and where its chain continues.
type Chain struct {
	tip     events.Digest
	pending *events.Event // the last valid event, schema 1: its hash, tip, computed when needed
	chained bool          // an event of schema 2 is valid: no unchained event may follow
	// The ids used. Check keeps every id, in ids and then, once there
	// are many, in idSet; CheckWith keeps only a fingerprint of each
	// (fingerprint), 8 bytes instead of 16, in fps and then in fpSet.
	ids   []events.ID
	idSet map[events.ID]struct{}
	fps   []uint64
	fpSet map[uint64]struct{}
}

// chainSetFrom is how many ids a Chain scans before it keeps a set.
const chainSetFrom = 32

// fingerprintSeed keys the fingerprints of ids, so that ids chosen to
// collide on purpose cannot be found without knowing it: a collision
// costs a look at the act's events (CheckWith), never a wrong answer.
var fingerprintSeed = maphash.MakeSeed()

func fingerprint(id events.ID) uint64 { return maphash.Comparable(fingerprintSeed, id) }

// Tip returns the hash of the act's last valid event; zero for none.
func (c *Chain) Tip() events.Digest {
	if c.pending != nil {
		c.tip, _ = c.pending.ComputeHash()
		c.pending = nil
	}
	return c.tip
}

// Check decides whether e, an entry that Inspect found readable and sealed
// on its act's subject, is the act's next valid event: its prev_hash names
// the last valid event (schema 2), or the act has no chained event yet
// (schema 1), and its id is new to the act. If not, it turns e into a
// defect; a valid e is added to the chain. An entry that is already a
// defect is left as it is.
func (c *Chain) Check(e *Entry) { c.check(e, nil) }

// CheckWith is Check for a reader that keeps the act's valid events
// itself (the projection, in its store): the chain keeps a fingerprint of
// each id instead of the id, and when a new id's fingerprint is an earlier
// one's, seen says whether an earlier valid event of the act has that id.
// A Chain is checked with Check or with CheckWith, never both.
func (c *Chain) CheckWith(e *Entry, seen func(events.ID) bool) { c.check(e, seen) }

func (c *Chain) check(e *Entry, seen func(events.ID) bool) {
	if e.Defect != nil {
		return
	}
	ev := &e.Event
	var reason Reason
	var msg string
	switch {
	case ev.Schema >= 2 && ev.PrevHash != c.Tip():
		reason, msg = ReasonChain, fmt.Sprintf("event %s at sequence %d names %s as the previous event of %s, but the act's last valid event hashes to %s", ev.ID, e.Seq, shortDigest(ev.PrevHash), ev.Act, shortDigest(c.tip))
	case ev.Schema < 2 && c.chained:
		reason, msg = ReasonChain, fmt.Sprintf("event %s at sequence %d has schema %d, without a chain, but %s's chain began before it", ev.ID, e.Seq, ev.Schema, ev.Act)
	case c.used(ev.ID, seen):
		reason, msg = ReasonDuplicateID, fmt.Sprintf("event id %s at sequence %d is already an earlier event of %s", ev.ID, e.Seq, ev.Act)
	default:
		if ev.Schema < 2 && e.Defect == nil {
			// Schema 1 has no stored hash: computed only if a chained
			// event follows (Tip).
			c.pending = new(events.Event)
			*c.pending = *ev
			c.add(ev.ID, events.Digest{}, false, seen != nil)
			return
		}
		c.pending = nil
		c.add(ev.ID, ev.Hash, true, seen != nil)
		return
	}
	d := &Defect{Reason: reason, Message: msg, Act: ev.Act, ID: ev.ID, Digest: ev.Hash}
	if d.Digest.IsZero() {
		d.Digest, _ = ev.ComputeHash()
	}
	e.Defect = d
	e.Event = events.Event{}
}

// PeekTip is Tip without keeping the hash it computes, for readers that
// may run together (Tip keeps it, and so writes the Chain).
func (c *Chain) PeekTip() events.Digest {
	if c.pending != nil {
		h, _ := c.pending.ComputeHash()
		return h
	}
	return c.tip
}

// Chained reports whether the act's chain began: an event of schema 2 is
// among its valid events.
func (c *Chain) Chained() bool { return c.chained }

// Resume sets where a chain checked with CheckWith stands, as a reader
// saved it: the hash of the act's last valid event and whether its chain
// began. The ids of its valid events are then noted with Note.
func (c *Chain) Resume(tip events.Digest, chained bool) {
	c.tip, c.chained, c.pending = tip, chained, nil
}

// Note adds the id of one of the act's valid events to a chain resumed
// with Resume, for CheckWith.
func (c *Chain) Note(id events.ID) {
	tip, chained := c.tip, c.chained
	c.add(id, tip, chained, true)
}

// used reports whether id is an earlier valid event's: from the ids kept,
// or, for CheckWith, from seen when the fingerprints match.
func (c *Chain) used(id events.ID, seen func(events.ID) bool) bool {
	if seen == nil {
		if c.idSet != nil {
			_, ok := c.idSet[id]
			return ok
		}
		for _, x := range c.ids {
			if x == id {
				return true
			}
		}
		return false
	}
	fp := fingerprint(id)
	if c.fpSet != nil {
		if _, ok := c.fpSet[fp]; ok {
			return seen(id)
		}
		return false
	}
	for _, x := range c.fps {
		if x == fp {
			return seen(id)
		}
	}
	return false
}

func (c *Chain) add(id events.ID, h events.Digest, chained, compact bool) {
	c.tip = h
	c.chained = c.chained || chained
	switch {
	case compact && c.fpSet != nil:
		c.fpSet[fingerprint(id)] = struct{}{}
	case compact:
		c.fps = append(c.fps, fingerprint(id))
		if len(c.fps) > chainSetFrom {
			c.fpSet = make(map[uint64]struct{}, 2*len(c.fps))
			for _, x := range c.fps {
				c.fpSet[x] = struct{}{}
			}
			c.fps = nil
		}
	case c.idSet != nil:
		c.idSet[id] = struct{}{}
	default:
		c.ids = append(c.ids, id)
		if len(c.ids) > chainSetFrom {
			c.idSet = make(map[events.ID]struct{}, 2*len(c.ids))
			for _, x := range c.ids {
				c.idSet[x] = struct{}{}
			}
			c.ids = nil
		}
	}
}

func shortDigest(d events.Digest) string {
	if d.IsZero() {
		return "none (the act's first event)"
	}
	return d.String()[:16] + "…"
}
