package ledger

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
)

// DefaultHistoryCache is the default of Options.HistoryCache: the events of
// the act histories the sequencer keeps in memory at most, however many
// events a ledger records. A decoded event of the realistic book takes about
// 840 bytes; at this bound the histories added about 180 MB to the resident
// set of a 1,000,000-event import (BENCHMARKS.md). An event kept as written
// (history.sealed) takes its encoded size until its history is used.
const DefaultHistoryCache = 100_000

// history is one act's events as the store holds them, through the stream
// sequence seq: the last message on the act's subject that it covers,
// a defect included (defects are not in events). The stream is
// append-only, so a history is never wrong, only short: what the store
// holds after seq is read with Load(act, seq) and appended.
//
// The sequencer keeps the histories of the acts it created, read (load) or
// checked a correction or retraction of (checkRecord), the most recently
// used first, to check corrections and retractions without reading their
// acts back, and to fold an act again after one instead of reading it
// again (commitStage). The acts' caches (act) hold no events.
type history struct {
	act    events.ActID
	events []events.Event
	// sealed holds the act's events after those in events, as this
	// ledger wrote them, not yet decoded: most acts never need their
	// history (only corrections and retractions do), and decoding every
	// event written cost a twentieth of the CPU of an append over HTTP,
	// and its pointers the garbage collector's time (issue 15). They are
	// decoded when the history is used (decoded).
	sealed [][]byte
	seq    uint64
	// memo holds the act's events as corrected, so that each check and
	// fold applies each correction once (events.CorrectionMemo); its
	// entries count as events in the cache's bound.
	memo       *events.CorrectionMemo
	memoHeld   int      // memo.Len() as last counted
	prev, next *history // the list of recency: ring.next is the most recent
}

// len is the number of h's events, decoded or not.
func (h *history) len() int { return len(h.events) + len(h.sealed) }

// histories is a cache of act histories, the least recently used dropped
// first once they hold more than max events (each entry of a memo counts
// as one). Only the baton holder uses it.
type histories struct {
	max   int // events held at most; 0 keeps none
	held  int // events and memo entries held
	byAct map[events.ActID]*history
	ring  history // sentinel of the list of recency
}

func newHistories(max int) *histories {
	c := &histories{max: max, byAct: map[events.ActID]*history{}}
	c.ring.next, c.ring.prev = &c.ring, &c.ring
	return c
}

// get returns act's history, or nil, and makes it the most recent.
func (c *histories) get(act events.ActID) *history {
	h := c.byAct[act]
	if h != nil {
		c.unlink(h)
		c.pushFront(h)
	}
	return h
}

// peek returns act's history, or nil.
func (c *histories) peek(act events.ActID) *history { return c.byAct[act] }

// add makes h, new, the most recent history, and drops others if it is
// too large for them all.
func (c *histories) add(h *history) {
	c.byAct[h.act] = h
	c.pushFront(h)
	c.grew(h, h.len())
}

// grew accounts for n events appended to h, the most recent history, and
// drops the least recently used histories until they fit: h itself last,
// when it alone is too large.
func (c *histories) grew(h *history, n int) {
	if c.byAct[h.act] != h {
		return // not held: dropped already
	}
	c.held += n
	for c.held > c.max && c.ring.prev != &c.ring {
		c.drop(c.ring.prev)
	}
}

// drop forgets h.
func (c *histories) drop(h *history) {
	if c.byAct[h.act] != h {
		return
	}
	delete(c.byAct, h.act)
	c.unlink(h)
	c.held -= h.len() + h.memoHeld
}

// memoOf returns h's memo of corrected events: a new one when it holds
// more entries than h has events (entries of corrections that were later
// retracted, or of a batch that was not written, are never used again).
func (c *histories) memoOf(h *history) *events.CorrectionMemo {
	if h.memo == nil || h.memo.Len() > h.len() {
		if c.byAct[h.act] == h {
			c.held -= h.memoHeld
		}
		h.memo, h.memoHeld = events.NewCorrectionMemo(), 0
	}
	return h.memo
}

// counted accounts for the entries h's memo gained, h being the most
// recent history, and drops histories until they fit.
func (c *histories) counted(h *history) {
	n := h.memo.Len() - h.memoHeld
	h.memoHeld += n
	c.grew(h, n)
}

func (c *histories) unlink(h *history) {
	h.prev.next, h.next.prev = h.next, h.prev
	h.prev, h.next = nil, nil
}

func (c *histories) pushFront(h *history) {
	h.prev, h.next = &c.ring, c.ring.next
	c.ring.next.prev = h
	c.ring.next = h
}

// historyOf returns the history of a's events as the store holds them, through a's last
// stream sequence as the cache knows it at least: the kept history, with
// what the store holds after it read and appended (nothing when the kept
// history is as recent as a). The result may run past a's last sequence
// when another writer appended to the act: the store then refuses the
// write that the decision leads to, since it expects a's last sequence,
// and the act is read again. The caller must not change its events. It
// may have been dropped from the cache already, if too large for it.
func (l *Ledger) historyOf(id events.ActID, a *act) (*history, error) {
	h := l.decoded(l.hist.get(id))
	if h != nil && h.seq >= a.lastSeq() {
		return h, nil
	}
	var after uint64
	if h != nil {
		after = h.seq
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	stored, through, err := l.readAfter(ctx, id, a, after)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", id, err)
	}
	if h == nil {
		h = &history{act: id, events: make([]events.Event, 0, len(stored))}
		l.hist.add(h)
	}
	n := len(h.events)
	for _, s := range stored {
		if s.Defect == nil {
			h.events = append(h.events, s.Event)
		}
	}
	h.seq = max(h.seq, through)
	l.hist.grew(h, len(h.events)-n)
	return h, nil
}

// maxSeqReads is the most events read one by one by their sequences: a
// get by sequence makes the server load the block that holds it, and
// blocks are dropped soon after, so an act of many events spread over the
// stream is cheaper to read by its subject, each block between once. Two
// realistic imports of 1,000,000 events stalled (a batch timed out) when
// every history was read by its sequences (BENCHMARKS.md).
const maxSeqReads = 32

// readAfter reads a's events after stream sequence after, and says
// through which sequence the read covers the act's subject: by their
// sequences, which a's cache holds, when the store can (SeqLoader), so
// that the engine reads only the blocks that hold them; by the act's
// subject otherwise (an act of more than maxSeqReads events to read), or
// when that read fails. Both give the act's events
// as its cache knows them, the cache being current (historyOf's caller
// loads a stale act first); a read by subject also gives its defects,
// which a history leaves out.
func (l *Ledger) readAfter(ctx context.Context, id events.ActID, a *act, after uint64) (stored []eventlog.Entry, through uint64, err error) {
	i, _ := slices.BinarySearchFunc(a.log, after+1, func(e entry, seq uint64) int { return cmp.Compare(e.seq, seq) })
	if sl, ok := l.store.(eventlog.SeqLoader); ok && !a.stale && len(a.log)-i <= maxSeqReads {
		seqs := make([]uint64, 0, len(a.log)-i)
		for _, e := range a.log[i:] {
			seqs = append(seqs, e.seq)
		}
		stored, err := sl.LoadSeqs(ctx, id, seqs)
		if err == nil {
			// Through the act's last message, a defect after its last
			// event included, as a read by subject would have it.
			return stored, max(after, a.lastSeq()), nil
		}
		l.log.Warn("reading an act's events by their sequences failed; it is read by its subject", "act", id, "err", err)
	}
	stored, err = l.store.Load(ctx, id, after)
	through = after
	if n := len(stored); n > 0 {
		through = stored[n-1].Seq
	}
	return stored, through, err
}

// decoded decodes the events of h written by this ledger and kept sealed,
// and returns h; or nil, h forgotten, when one cannot be decoded. nil
// gives nil.
func (l *Ledger) decoded(h *history) *history {
	if h == nil || len(h.sealed) == 0 {
		return h
	}
	h.events = slices.Grow(h.events, len(h.sealed))
	for _, data := range h.sealed {
		e, err := events.Decode(data)
		if err != nil {
			// The bytes were sealed by this process: a defect. Read the
			// act again.
			l.log.Warn("cannot decode an event this ledger wrote; its act's history is read again", "act", h.act, "err", err)
			l.hist.drop(h)
			return nil
		}
		h.events = append(h.events, e)
	}
	clear(h.sealed)
	h.sealed = h.sealed[:0]
	return h
}

// keepWritten appends the events of st, just written, to the kept history
// of its act, as the bytes written (what a read of the store would return,
// decoded when the history is used), when that history ran exactly to the
// sequence the write expected; it forgets the history otherwise. An act
// new to the store gets a history of the events written. It returns the
// history, or nil.
func (l *Ledger) keepWritten(id events.ActID, st *stage, msgs []eventlog.Message, stored []eventlog.Entry) *history {
	h := l.hist.get(id)
	switch {
	case h == nil && st.expectSeq == 0 && l.hist.max > 0:
		// The store held nothing on the act's subject (the write expected
		// so): its history is what was just written.
		h = &history{act: id}
		l.hist.add(h)
	case h == nil:
		return nil
	case h.seq != st.expectSeq:
		l.hist.drop(h)
		return nil
	}
	for _, s := range st.staged {
		// A copy of the bytes only: the sealing buffer is larger.
		h.sealed = append(h.sealed, bytes.Clone(msgs[s.msg].Data))
		h.seq = stored[s.msg].Seq
	}
	l.hist.grew(h, len(st.staged))
	if l.hist.peek(id) != h {
		return nil // too large to keep
	}
	return h
}
