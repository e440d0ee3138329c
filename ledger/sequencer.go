package ledger

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/lexledger/lexledger/consolidation"
	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
)

// storeTimeout bounds one read of the store by the sequencer.
const storeTimeout = 10 * time.Second

// DefaultAppendTimeout bounds one write: past it the outcome is unknown,
// the commands get CodeUnavailable (503, wrapping eventlog.ErrUnavailable),
// and a client retries with the same ids — safe, since every write states its acts' expected sequences. It is
// short so that a clustered ledger that lost the stream's leader answers
// promptly instead of holding every clerk behind a write nobody will
// acknowledge; the clerks' retries reach the new leader.
const DefaultAppendTimeout = 3 * time.Second

// unit is one command or one atomic batch of commands, waiting for the
// sequencer.
type unit struct {
	ctx      context.Context
	identity string
	cmds     []Command
	contents []events.Digest // each event's ContentDigest
	done     chan struct{}
	receipts []Receipt
	err      error
	wake     chan struct{} // the baton: lead, then wait again
	leader   bool          // set under Ledger.mu with the baton
	// fresh lists the acts loaded from the store while deciding this unit:
	// a rule or expectation that fails on them is final.
	fresh map[events.ActID]bool
	// plans[i] says how command i is answered once the batch that holds
	// the unit is stored.
	plans []plan
}

func (u *unit) finish(rs []Receipt, err error) {
	u.receipts, u.err = rs, err
	close(u.done)
}

// act is the sequencer's cache of one act, held in an actCache.
type act struct {
	id    events.ActID
	state events.State
	log   []entry              // one per version: where each event is
	ids   map[events.ID]idInfo // the version of each event id
	last  events.Digest        // the hash of the act's last event: the next one's prev_hash
	stale bool                 // the store may hold more than the cache: reload first
	// tail is the stream sequence of the last message on the act's
	// subject when it is a defect after the last event: the sequence that
	// the next write expects, though the chain goes on from last.
	tail uint64
	// records are the act's record events, in order: what checkRecord
	// needs to decide a correction from the event it corrects alone.
	records []recordRef
	// held is what the act counts in its actCache, as last counted;
	// prev and next link the cache's list of recency.
	held       int
	prev, next *act
}

type entry struct {
	seq uint64
	at  int64 // record time, Unix nanoseconds
}

type idInfo struct {
	version uint32
	content events.Digest // the event's ContentDigest
}

// recordRef is where one of an act's record events is, and the event it
// corrects or retracts.
type recordRef struct {
	version  uint32
	retracts bool
	id       events.ID
	concerns events.ID
}

// noteRecord notes e, the act's event at version v, if it is a record
// event.
func (a *act) noteRecord(v int, e *events.Event) {
	switch e.Type {
	case events.RecordCorrected:
		a.records = append(a.records, recordRef{version: uint32(v), id: e.ID, concerns: e.Body.Corrects})
	case events.RecordRetracted:
		a.records = append(a.records, recordRef{version: uint32(v), retracts: true, id: e.ID, concerns: e.Body.Retracts})
	}
}

func (a *act) version() uint64 { return uint64(len(a.log)) }

func (a *act) lastSeq() uint64 {
	if n := len(a.log); n > 0 && a.log[n-1].seq > a.tail {
		return a.log[n-1].seq
	}
	return a.tail
}

// stage is an act as it will be if the batch being built commits.
type stage struct {
	a          *act
	state      events.State
	version    uint64
	expectSeq  uint64
	expectSent bool
	lastHash   events.Digest
	staged     []staged // events of this act in the batch
}

// lastAt is the record time of the act's last event, staged or stored; zero
// for a new act.
func (st *stage) lastAt() time.Time {
	if n := len(st.staged); n > 0 {
		return st.staged[n-1].event.RecordedAt
	}
	if n := len(st.a.log); n > 0 {
		return time.Unix(0, st.a.log[n-1].at)
	}
	return time.Time{}
}

type staged struct {
	event   *events.Event
	msg     int           // index in batch.msgs
	content events.Digest // the event's ContentDigest
}

// batch is one atomic write being built.
type batch struct {
	msgs   []eventlog.Message
	ids    map[events.ID]int // the index in msgs of each id
	stages map[events.ActID]*stage
	order  []events.ActID
	units  []*unit
}

// plan is how one command is answered after the batch commits.
type plan struct {
	dup     *Receipt // already recorded: this receipt
	act     events.ActID
	version uint64 // the act's version after the event
	msg     int    // index in msgs, for the stream sequence
	alias   int    // >= 0: same id as msgs[alias], staged by another unit
}

func newBatch() *batch {
	return &batch{stages: make(map[events.ActID]*stage, 1), ids: make(map[events.ID]int, 1)}
}

// takeBatch returns an empty batch: the one the last group used, or a new
// one. Only the baton holder calls it.
func (l *Ledger) takeBatch() *batch {
	if b := l.spare; b != nil {
		l.spare = nil
		return b
	}
	return newBatch()
}

// putBatch empties b, once nothing refers to it, for the next group.
func (l *Ledger) putBatch(b *batch) {
	clear(b.msgs)
	clear(b.order)
	clear(b.units)
	clear(b.stages)
	clear(b.ids)
	b.msgs, b.order, b.units = b.msgs[:0], b.order[:0], b.units[:0]
	l.spare = b
}

// submit queues u and waits for its answer. Commands are decided by
// whichever caller holds the baton: the first to arrive when none does. It
// takes every unit waiting (up to MaxBatch events) into one batch, and when
// done passes the baton to the first unit still waiting, which was about to
// wake for its own answer anyway. A lone clerk thus never waits for another
// goroutine, and concurrent clerks share batches (and their disk syncs).
func (l *Ledger) submit(u *unit) ([]Receipt, error) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil, &events.Error{Code: events.CodeUnavailable, Err: ErrClosed, Message: "the ledger is shutting down and did not take the command: retry with the same event ids, which is safe"}
	}
	l.pending = append(l.pending, u)
	if !l.busy {
		l.busy = true
		l.mu.Unlock()
		l.lead()
	} else {
		l.mu.Unlock()
	}
	for {
		select {
		case <-u.done:
			return u.receipts, u.err
		case <-u.wake:
			l.mu.Lock()
			u.leader = false
			l.mu.Unlock()
			l.lead()
		case <-u.ctx.Done():
			l.mu.Lock()
			if u.leader {
				// Chosen to lead just now: lead, then leave.
				u.leader = false
				l.mu.Unlock()
				l.lead()
			} else if i := slices.Index(l.pending, u); i >= 0 {
				l.pending = slices.Delete(l.pending, i, i+1)
				l.mu.Unlock()
			} else {
				// In a batch being written: its outcome is unknown to the
				// caller; a retry with the same ids is answered from it.
				l.mu.Unlock()
			}
			return nil, u.ctx.Err()
		}
	}
}

// processSafely is process, but a defect that panics fails the group's
// unanswered commands instead of leaving the baton held for ever.
func (l *Ledger) processSafely(group []*unit) {
	defer func() {
		if r := recover(); r != nil {
			l.log.Error("defect in the sequencer; its commands fail and their acts are read again", "panic", r)
			err := &events.Error{Code: events.CodeInternal, Message: fmt.Sprintf("internal error in the ledger (%v): the events may or may not be recorded; retry with the same ids, which is safe", r)}
			for _, u := range group {
				select {
				case <-u.done:
				default:
					u.finish(nil, err)
				}
			}
			l.acts.all(func(a *act) { a.stale = true })
		}
	}()
	l.process(group)
}

// lead takes the waiting units (up to MaxBatch events), decides and writes
// them, and passes the baton on, or drops it when nobody waits.
func (l *Ledger) lead() {
	l.mu.Lock()
	var group []*unit
	n := 0
	for len(l.pending) > 0 {
		u := l.pending[0]
		if len(group) > 0 && n+len(u.cmds) > l.opts.MaxBatch {
			break
		}
		group = append(group, u)
		n += len(u.cmds)
		l.pending = l.pending[1:]
	}
	l.mu.Unlock()

	l.processSafely(group)

	l.mu.Lock()
	defer l.mu.Unlock()
	// No batch is being built or written: the least recently used acts
	// can be dropped, but not those of the commands that wait, which the
	// next group would read back at once.
	if l.acts.held > l.acts.max {
		l.acts.trim(l.waitingFor())
	}
	if len(l.pending) == 0 {
		l.busy = false
		l.idle.Broadcast()
		return
	}
	next := l.pending[0]
	next.leader = true
	next.wake <- struct{}{}
}

type outcome int

const (
	staged_  outcome = iota // the unit's events are in the batch
	settled                 // the unit is answered (duplicates, or an error)
	needLoad                // an act must be read from the store first
	// deferred: an id of the unit is staged in the batch for another
	// event (another act, or other content), or the unit's expectation or
	// a rule fails only on events of other units staged in the batch;
	// decide the unit after the batch is written.
	deferred
)

// process decides and writes a group of units, as few batches as it can.
func (l *Ledger) process(units []*unit) {
	for len(units) > 0 {
		b := l.takeBatch()
		var load events.ActID
		i := 0
		for ; i < len(units); i++ {
			u := units[i]
			if err := u.ctx.Err(); err != nil {
				u.finish(nil, err)
				continue
			}
			out, act := l.stageUnit(b, u)
			if out == needLoad && b.stages[act] == nil && !u.fresh[act] {
				// Nothing in b is of the act (one dropped from the cache,
				// most often): reading it now reads what reading it after
				// b is written would, so b need not be written first, and
				// a group of commands on dropped acts stays one batch.
				if err := l.load(act); err != nil {
					u.finish(nil, err)
					continue
				}
				if u.fresh == nil {
					u.fresh = map[events.ActID]bool{}
				}
				u.fresh[act] = true
				i-- // decide u again
				continue
			}
			if out == needLoad || out == deferred {
				load = act
				break
			}
			if out == staged_ {
				b.units = append(b.units, u)
			}
		}
		for _, u := range l.flush(b) {
			l.processAlone(u)
		}
		l.putBatch(b)
		if i == len(units) {
			return
		}
		u := units[i]
		if load == "" {
			// deferred: decided first in the next batch
		} else if err := l.load(load); err != nil {
			u.finish(nil, err)
			i++
		} else {
			if u.fresh == nil {
				u.fresh = map[events.ActID]bool{}
			}
			u.fresh[load] = true
		}
		units = units[i:]
	}
}

// processAlone decides and writes one unit in batches of its own, loading
// acts and retrying after conflicts, up to MaxRetries times.
func (l *Ledger) processAlone(u *unit) {
	for attempt := 0; ; attempt++ {
		if err := u.ctx.Err(); err != nil {
			u.finish(nil, err)
			return
		}
		b := newBatch()
		out, id := l.stageUnit(b, u)
		switch out {
		case settled:
			return
		case deferred:
			// A batch of its own holds no other unit's ids.
			u.finish(nil, &events.Error{Code: events.CodeInternal, Message: "internal error: a command was deferred in a batch of its own; nothing was written: retry with the same ids"})
			return
		case needLoad:
			if err := l.load(id); err != nil {
				u.finish(nil, err)
				return
			}
			if u.fresh == nil {
				u.fresh = map[events.ActID]bool{}
			}
			u.fresh[id] = true
			continue
		}
		b.units = []*unit{u}
		if len(l.flush(b)) == 0 {
			return
		}
		if attempt >= l.opts.MaxRetries {
			u.finish(nil, &events.Error{Code: events.CodeConflict, Message: fmt.Sprintf("the acts of this request kept changing during %d attempts: read them again and retry", attempt+1)})
			return
		}
		u.fresh = nil
	}
}

// stageUnit adds u's events to b, or settles u, or names an act to load.
// It is all or nothing: a unit that fails leaves b as it was.
func (l *Ledger) stageUnit(b *batch, u *unit) (outcome, events.ActID) {
	type saved struct {
		id     events.ActID
		st     *stage
		copy   stage
		exists bool
	}
	// The acts u touches, as they were: a unit touches few acts, so a
	// list searched in order is cheaper than a map.
	var touchedBuf [2]saved
	touched := touchedBuf[:0]
	isTouched := func(id events.ActID) bool {
		for i := range touched {
			if touched[i].id == id {
				return true
			}
		}
		return false
	}
	msgs0, order0 := len(b.msgs), len(b.order)
	undo := func() {
		for k := msgs0; k < len(b.msgs); k++ {
			delete(b.ids, b.msgs[k].Event.ID)
		}
		for _, s := range touched {
			if !s.exists {
				delete(b.stages, s.id)
				continue
			}
			*s.st = s.copy
		}
		b.msgs, b.order = b.msgs[:msgs0], b.order[:order0]
	}
	plans := make([]plan, len(u.cmds))
	n := len(u.cmds)
	for i := range u.cmds {
		c := &u.cmds[i]
		e := &c.Event
		a := l.acts.get(e.Act)
		if a == nil {
			if l.acts.dropped(e.Act) {
				// Dropped from the cache, not new: read it back.
				undo()
				return needLoad, e.Act
			}
			a = &act{id: e.Act, ids: map[events.ID]idInfo{}}
			a.state.Act = e.Act
			l.acts.put(a)
		}
		if a.stale {
			undo()
			return needLoad, e.Act
		}
		st := b.stages[e.Act]
		if !isTouched(e.Act) {
			if st != nil {
				touched = append(touched, saved{id: e.Act, st: st, copy: *st, exists: true})
			} else {
				st = &stage{a: a, state: a.state, version: a.version(), expectSeq: a.lastSeq(), lastHash: a.last}
				b.stages[e.Act] = st
				b.order = append(b.order, e.Act)
				touched = append(touched, saved{id: e.Act, st: st})
			}
		}
		// A cached act may be behind the store (another ledger wrote to it):
		// a refusal is final only once the act was read while deciding u.
		fresh := u.fresh[e.Act]
		// Events of other units staged on the act in this batch: a
		// refusal that rests on them is only right if they are written,
		// which the write may yet refuse (an id taken, the store
		// unavailable). Such a unit is decided after the batch is written,
		// against the act as it then is, so that no clerk is refused, or
		// told a version, on account of an event never stored.
		othersStaged := false
		for k := range touched {
			if touched[k].id == e.Act {
				othersStaged = touched[k].exists && len(touched[k].copy.staged) > 0
			}
		}

		// Idempotency: an id already recorded, or staged by another unit.
		// The same id is a retry when the content is the same; otherwise
		// it names another event. An id on another act is caught here
		// within a batch, and by the store's claims across batches and
		// ledgers.
		if info, ok := a.ids[e.ID]; ok {
			ent := a.log[info.version-1]
			if info.content != u.contents[i] {
				undo()
				u.finish(nil, at(i, n, idUsed(e, e.Act, ent.seq, uint64(info.version), a.version())))
				return settled, ""
			}
			plans[i] = plan{dup: &Receipt{ID: e.ID, Act: e.Act, Type: e.Type, Version: uint64(info.version), Seq: ent.seq,
				RecordedAt: time.Unix(0, ent.at).UTC(), Duplicate: true}, alias: -1}
			continue
		}
		if k, ok := b.ids[e.ID]; ok {
			if m := &b.msgs[k]; m.Event.Act != e.Act || m.Content != u.contents[i] {
				// Another event staged with this id: whether this one is
				// refused depends on whether that one is stored.
				undo()
				return deferred, ""
			}
			plans[i] = plan{alias: k}
			continue
		}

		// The clerk's expectation.
		if c.ExpectedVersion != nil && *c.ExpectedVersion != st.version {
			if othersStaged {
				undo()
				return deferred, ""
			}
			// Versions only grow: an expectation below the cached version is
			// stale for certain; one above it may be news from another ledger.
			if *c.ExpectedVersion > st.version && !fresh {
				undo()
				return needLoad, e.Act
			}
			undo()
			u.finish(nil, at(i, n, &events.Error{Code: events.CodeConflict, Act: e.Act, Current: st.version,
				Message: fmt.Sprintf("act %s is at version %d, not %d as expected: read its history and decide again", e.Act, st.version, *c.ExpectedVersion)}))
			return settled, ""
		}

		// The lifecycle rules.
		var err error
		immaterial := false // a correction of words: the rule state stands
		if spec, _ := events.SpecOf(e.Type); spec.Group == events.Record {
			immaterial, err = l.checkRecord(st, e)
		} else if err = l.refoldStale(st); err != nil {
			// The act's history could not be read or folded.
		} else if err = st.state.Check(e); err == nil && len(e.Body.Changes) > 0 {
			err = l.checkText(st, e)
		}
		if err != nil {
			if othersStaged && events.ErrorCode(err) != events.CodeInternal {
				undo()
				return deferred, ""
			}
			if !fresh && events.ErrorCode(err) != events.CodeInternal {
				undo()
				return needLoad, e.Act
			}
			undo()
			u.finish(nil, at(i, n, err))
			return settled, ""
		}

		// Stage it.
		e.RecordedAt = l.now(st.lastAt())
		e.RecordedBy = u.identity
		e.PrevHash = st.lastHash
		data, err := e.Seal()
		if err != nil {
			undo()
			u.finish(nil, at(i, n, err))
			return settled, ""
		}
		b.msgs = append(b.msgs, eventlog.Message{Event: e, Data: data, Expect: !st.expectSent, ExpectSeq: st.expectSeq, Content: u.contents[i]})
		b.ids[e.ID] = len(b.msgs) - 1
		st.expectSent = true
		st.lastHash = e.Hash
		stale := st.state.Stale
		st.state.Apply(e)
		if immaterial {
			st.state.Stale = stale // as folded again, one version on (events.ImmaterialCorrection)
		}
		st.version++
		st.staged = append(st.staged[:len(st.staged):len(st.staged)], staged{event: e, msg: len(b.msgs) - 1, content: u.contents[i]})
		plans[i] = plan{act: e.Act, version: st.version, msg: len(b.msgs) - 1, alias: -1}
	}
	u.plans = plans
	if len(b.msgs) == msgs0 && !slices.ContainsFunc(plans, func(p plan) bool { return p.alias >= 0 }) {
		// Nothing new: every event was recorded before.
		l.answer(b, u, nil)
		return settled, ""
	}
	// New events, or copies of events another unit staged in this batch
	// (a client's retry while its first attempt waits): answered once the
	// batch is stored.
	return staged_, ""
}

// checkRecord validates a correction or retraction against the act's whole
// history, plus the events staged before it. The history is the one kept
// for the act (historyOf), extended by what the store holds after it: the
// act is read only when no history of it is kept (or the kept one is
// behind the act), not for every correction. A correction of words alone
// is accepted without the history (immaterial), which it then reports.
func (l *Ledger) checkRecord(st *stage, e *events.Event) (immaterial bool, err error) {
	if l.immaterial(st, e) {
		return true, nil
	}
	h, hist, err := l.stagedHistory(st)
	if err != nil {
		return false, err
	}
	err = events.ValidateMemo(hist, *e, l.hist.memoOf(h))
	l.hist.counted(h)
	if err == nil && e.Type == events.RecordCorrected {
		err = checkCorrectedText(hist, e)
	}
	return false, err
}

// immaterial reports whether e corrects only words about the step of an
// event of st's act (events.CorrectsWordsOnly, then
// events.ImmaterialCorrection): decided from that event
// and the record events that concern it, read by their sequences, not
// from the act's history. A history the cache dropped is read by the
// act's subject, which makes the engine visit every block between the
// act's first event and its last: on a realistic book of 1,000,000 events
// those reads were most of an import's time (BENCHMARKS.md, Corrections
// decided without the history). It reports false when it cannot tell, and
// for an amendment with textual changes, whose correction checkRecord
// also checks against the text before it: the history then decides.
func (l *Ledger) immaterial(st *stage, e *events.Event) bool {
	a := st.a
	if e.Type != events.RecordCorrected || a.stale || !events.CorrectsWordsOnly(e.Body.Correction) {
		return false
	}
	sl, ok := l.store.(eventlog.SeqLoader)
	if !ok {
		return false
	}
	// The target, its corrections, and the retractions of either: those
	// written, by their sequences, then those staged in this batch.
	concerned := map[events.ID]bool{e.Body.Corrects: true}
	var seqs []uint64
	if info, ok := a.ids[e.Body.Corrects]; ok {
		seqs = append(seqs, a.log[info.version-1].seq)
		for _, r := range a.records {
			if concerned[r.concerns] {
				seqs = append(seqs, a.log[r.version-1].seq)
				if !r.retracts {
					concerned[r.id] = true
				}
			}
		}
	}
	if len(seqs) > maxSeqReads {
		return false // a read by sequences of so many is slower than the history's
	}
	var needed []events.Event
	for _, s := range st.staged {
		x := s.event
		switch {
		case x.ID == e.Body.Corrects && len(seqs) == 0:
			needed = append(needed, *x)
		case x.Type == events.RecordCorrected && concerned[x.Body.Corrects]:
			needed = append(needed, *x)
			concerned[x.ID] = true
		case x.Type == events.RecordRetracted && concerned[x.Body.Retracts]:
			needed = append(needed, *x)
		}
	}
	if len(seqs) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		defer cancel()
		stored, err := sl.LoadSeqs(ctx, e.Act, seqs)
		if err != nil || len(stored) != len(seqs) {
			return false
		}
		written := make([]events.Event, 0, len(stored)+len(needed))
		for _, s := range stored {
			written = append(written, s.Event)
		}
		needed = append(written, needed...)
	}
	if len(needed) == 0 || needed[0].ID != e.Body.Corrects {
		return false
	}
	current, ok := events.ImmaterialCorrection(needed[0], needed[1:], *e)
	return ok && len(current.Body.Changes) == 0
}

// stagedHistory returns the history of st's act (historyOf) and its events
// followed by those staged on it in this batch: the record that a command
// staged next is decided against. The caller must not change the events.
func (l *Ledger) stagedHistory(st *stage) (*history, []events.Event, error) {
	h, err := l.historyOf(st.a.id, st.a)
	if err != nil {
		return nil, nil, err
	}
	if len(st.staged) == 0 {
		return h, h.events, nil
	}
	hist := make([]events.Event, 0, len(h.events)+len(st.staged))
	hist = append(hist, h.events...)
	for _, s := range st.staged {
		hist = append(hist, *s.event)
	}
	return h, hist, nil
}

// refoldStale folds st's rule state again when a record event staged
// before in this batch left it stale (events.State.Apply): from the act's
// history and the events staged on it, so that an event staged after a
// correction or a retraction is checked against the record as corrected.
func (l *Ledger) refoldStale(st *stage) error {
	if !st.state.Stale {
		return nil
	}
	h, hist, err := l.stagedHistory(st)
	if err != nil {
		return err
	}
	folded, err := events.FoldMemo(hist, l.hist.memoOf(h))
	l.hist.counted(h)
	if err != nil {
		return err
	}
	folded.Act = st.a.id
	st.state = *folded
	return nil
}

// checkCorrectedText checks a correction of an amendment that makes
// textual changes as a new amendment's are checked: the amendment as
// corrected must apply to the text in force on its date, after the events
// before it. hist holds the corrected event (ValidateMemo found it).
func checkCorrectedText(hist []events.Event, e *events.Event) error {
	i := slices.IndexFunc(hist, func(x events.Event) bool { return x.ID == e.Body.Corrects })
	if i < 0 || hist[i].Type != events.Amended {
		return nil
	}
	// The amendment as it stands, its earlier corrections applied, as
	// ValidateMemo corrects it.
	current := hist[i]
	if eff, err := events.Effective(hist); err == nil {
		if k := slices.IndexFunc(eff, func(x events.Event) bool { return x.ID == e.Body.Corrects }); k >= 0 {
			current = eff[k]
		}
	}
	fixed, err := events.ApplyCorrection(current, e.Body.Correction)
	if err != nil || len(fixed.Body.Changes) == 0 {
		return nil // ValidateMemo decided the correction itself
	}
	prior, err := events.Effective(hist[:i])
	if err != nil {
		return err
	}
	if err := consolidation.Check(prior, &fixed); err != nil {
		if ee := (*events.Error)(nil); errors.As(err, &ee) {
			c := *ee
			c.Message = "the correction of " + e.Body.Corrects.String() + " would make its changes fail: " + ee.Message
			return &c
		}
		return err
	}
	return nil
}

// checkText checks an amendment's textual changes against the act's text
// in force on their date, as the act's history (kept, or read as
// checkRecord reads it) and the events staged before it make it.
func (l *Ledger) checkText(st *stage, e *events.Event) error {
	_, hist, err := l.stagedHistory(st)
	if err != nil {
		return err
	}
	eff, err := events.Effective(hist)
	if err != nil {
		return err
	}
	return consolidation.Check(eff, e)
}

// flush writes b and answers its units, but for those whose acts changed
// under them, which it returns undecided for the caller to decide again
// (processAlone).
//
// A batch is written either as one atomic batch, or, when it holds only
// single-event commands on distinct acts, as independent pipelined appends,
// whichever the cost model expects to be faster: on a single file-backed
// server an atomic batch costs milliseconds to set up, so a few events go
// faster one by one; many events go faster together. Now and then it
// writes them the other way, to measure that way again (costModel).
func (l *Ledger) flush(b *batch) (retry []*unit) {
	if len(b.msgs) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), l.opts.AppendTimeout)
	defer cancel()
	if len(b.msgs) > 1 && l.independent(b) {
		atomic, explored := l.cost.choose(len(b.msgs), time.Now())
		if l.onChoice != nil {
			l.onChoice(choice{n: len(b.msgs), atomic: atomic, explored: explored, model: l.cost})
		}
		if !atomic {
			return l.flushEach(ctx, b)
		}
	}
	start := time.Now()
	stored, err := l.store.Append(ctx, b.msgs)
	if used := (*eventlog.IDUsedError)(nil); errors.As(err, &used) {
		// Nothing was written: the cache is current. The units whose ids
		// are taken are refused, the others decided again.
		return l.refuseUsed(ctx, b, b.units, used.Used)
	}
	if err != nil {
		// Whatever happened, the store may hold more than the cache knows.
		for _, id := range b.order {
			l.acts.peek(id).stale = true
		}
		if errors.Is(err, eventlog.ErrConflict) {
			return b.units
		}
		l.failUnits(b.units, len(b.msgs), err)
		return nil
	}
	if now := time.Now(); len(b.msgs) == 1 {
		// The store writes one message as a plain publish, not as an
		// atomic batch: learning its time as an atomic batch's would
		// make batches look almost free (issue 15).
		l.cost.observeEach(1, now.Sub(start), now)
	} else {
		l.cost.observeAtomic(len(b.msgs), now.Sub(start), now)
	}
	for _, id := range b.order {
		l.commitStage(id, b.stages[id], b.msgs, stored)
	}
	for _, u := range b.units {
		l.answer(b, u, stored)
	}
	return nil
}

// independent reports whether b's units can land independently: one event
// each, on distinct acts, none waiting on another's event. Acts are counted
// by their staged events, not by b.order: a unit answered as a duplicate
// leaves an empty stage behind, so b.order may name as many acts as there
// are messages while two of the messages share an act.
func (l *Ledger) independent(b *batch) bool {
	if len(b.msgs) != len(b.units) {
		return false
	}
	for _, u := range b.units {
		if len(u.cmds) != 1 || u.plans[0].alias >= 0 || u.plans[0].dup != nil {
			return false
		}
	}
	for _, st := range b.stages {
		if len(st.staged) > 1 {
			return false
		}
	}
	return true
}

// flushEach writes b's messages as independent appends.
func (l *Ledger) flushEach(ctx context.Context, b *batch) (retry []*unit) {
	start := time.Now()
	results := l.store.AppendEach(ctx, b.msgs)
	now := time.Now()
	l.cost.observeEach(len(b.msgs), now.Sub(start), now)
	stored := make([]eventlog.Entry, len(b.msgs))
	for i, r := range results {
		stored[i] = r.Entry
	}
	var used []eventlog.UsedID
	for _, u := range b.units {
		p := u.plans[0]
		act := b.msgs[p.msg].Event.Act
		if err := results[p.msg].Err; err != nil {
			if e := (*eventlog.IDUsedError)(nil); errors.As(err, &e) {
				used = append(used, eventlog.UsedID{Index: p.msg, Held: e.Used[0].Held})
				continue // nothing written: the cache is current
			}
			l.acts.peek(act).stale = true
			if errors.Is(err, eventlog.ErrConflict) {
				retry = append(retry, u)
			} else {
				l.failUnits([]*unit{u}, 1, err)
			}
			continue
		}
		l.commitStage(act, b.stages[act], b.msgs, stored)
		l.answer(b, u, stored)
	}
	if used != nil {
		// Each unit here is one event: the refused ones are answered, no
		// other is returned.
		var owners []*unit
		for _, uu := range used {
			for _, u := range b.units {
				if u.plans[0].msg == uu.Index {
					owners = append(owners, u)
				}
			}
		}
		l.refuseUsed(ctx, b, owners, used)
	}
	return retry
}

// refuseUsed answers the units of units that wrote (or shared, as a
// retry) a message of b whose id the store found claimed by another event
// (used), and returns the others, to be decided again.
func (l *Ledger) refuseUsed(ctx context.Context, b *batch, units []*unit, used []eventlog.UsedID) (retry []*unit) {
	held := make(map[int]eventlog.Claim, len(used))
	for _, uu := range used {
		held[uu.Index] = uu.Held
	}
	for _, u := range units {
		var err error
		for i, p := range u.plans {
			k := p.msg
			if p.alias >= 0 {
				k = p.alias
			}
			c, ok := held[k]
			if p.dup != nil || !ok {
				continue
			}
			e := &u.cmds[i].Event
			var current uint64 // the command's act's version, as cached
			if a := l.acts.peek(e.Act); a != nil {
				current = a.version()
			}
			seq, version, found := l.whereIs(ctx, c.ID, c.Act)
			if found {
				err = at(i, len(u.cmds), idUsed(e, c.Act, seq, version, current))
			} else {
				err = at(i, len(u.cmds), &events.Error{Code: events.CodeConflict, Rule: events.RuleIDUsed, Act: e.Act, Current: current,
					Message: fmt.Sprintf("event id %s is claimed by an event of act %s that is not recorded (an earlier attempt failed, or is still being written): an id names one event for ever; give this event a new id", e.ID, c.Act)})
			}
			break
		}
		if err != nil {
			u.finish(nil, err)
		} else {
			retry = append(retry, u)
		}
	}
	return retry
}

// whereIs finds the event with id among act's events: in the cache, or
// else in the store (without changing the cache). An event whose claim
// won a race may still be on its way: the store is asked again a few
// times, for at most about a tenth of a second, before giving up.
func (l *Ledger) whereIs(ctx context.Context, id events.ID, act events.ActID) (seq, version uint64, found bool) {
	if a := l.acts.peek(act); a != nil && !a.stale {
		if info, ok := a.ids[id]; ok {
			return a.log[info.version-1].seq, uint64(info.version), true
		}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	for _, wait := range []time.Duration{0, 10 * time.Millisecond, 30 * time.Millisecond, 60 * time.Millisecond} {
		time.Sleep(wait)
		entries, err := l.store.Load(ctx, act, 0)
		if err != nil {
			return 0, 0, false
		}
		for i, en := range entries {
			if en.Event.ID == id {
				return en.Seq, uint64(i + 1), true
			}
		}
	}
	return 0, 0, false
}

// idUsed is the refusal of e, whose id names the event at stream sequence
// seq (version version) of act: another act's, or e's own with other
// content. current is e's act's version, as the ledger knows it.
func idUsed(e *events.Event, act events.ActID, seq, version, current uint64) *events.Error {
	err := &events.Error{Code: events.CodeConflict, Rule: events.RuleIDUsed, Act: e.Act, Current: current}
	if act == e.Act {
		err.Message = fmt.Sprintf("event id %s is already used by the event at sequence %d of %s (its version %d), whose content differs: a retry must send the same event; give a new event a new id", e.ID, seq, act, version)
	} else {
		err.Message = fmt.Sprintf("event id %s is already used by the event at sequence %d of act %s (its version %d): an id names one event in the whole ledger; give this event a new id", e.ID, seq, act, version)
	}
	return err
}

func (l *Ledger) failUnits(units []*unit, events int, err error) {
	l.log.Warn("append failed", "events", events, "err", err)
	if !errors.Is(err, eventlog.ErrUnavailable) {
		err = fmt.Errorf("%w: %w", eventlog.ErrUnavailable, err)
	}
	e := unavailable(err)
	for _, u := range units {
		u.finish(nil, e)
	}
}

// commitStage makes a written stage the act's cached state, and extends
// the act's kept history with its events. After a correction or retraction
// the act's rule state is folded again from that history; without one, the
// act is marked stale, to be read again from the store before its next
// command.
func (l *Ledger) commitStage(id events.ActID, st *stage, msgs []eventlog.Message, stored []eventlog.Entry) {
	if len(st.staged) == 0 {
		return
	}
	a := st.a
	a.state = st.state
	for _, s := range st.staged {
		a.log = append(a.log, entry{seq: stored[s.msg].Seq, at: s.event.RecordedAt.UnixNano()})
		a.ids[s.event.ID] = idInfo{version: uint32(len(a.log)), content: s.content}
		a.noteRecord(len(a.log), s.event)
	}
	a.last = st.lastHash
	l.acts.recount(a)
	h := l.keepWritten(id, st, msgs, stored)
	if !a.state.Stale {
		return
	}
	if h == nil {
		a.stale = true // fold again from the store
		return
	}
	if h = l.decoded(h); h == nil {
		a.stale = true // fold again from the store
		return
	}
	folded, err := events.FoldMemo(h.events, l.hist.memoOf(h))
	l.hist.counted(h)
	if err != nil {
		l.log.Warn("cannot fold an act again after a record event; it is read again", "act", id, "err", err)
		a.stale = true
		return
	}
	a.state = *folded
	a.state.Act = id
}

// answer settles u from its plans.
func (l *Ledger) answer(b *batch, u *unit, stored []eventlog.Entry) {
	plans := u.plans
	rs := make([]Receipt, len(u.cmds))
	for i, p := range plans {
		e := &u.cmds[i].Event
		switch {
		case p.dup != nil:
			rs[i] = *p.dup
		case p.alias >= 0:
			m := b.msgs[p.alias].Event
			a := l.acts.peek(m.Act)
			info := a.ids[m.ID]
			rs[i] = Receipt{ID: m.ID, Act: m.Act, Type: m.Type, Version: uint64(info.version), Seq: stored[p.alias].Seq, RecordedAt: m.RecordedAt, Duplicate: true}
		default:
			rs[i] = Receipt{ID: e.ID, Act: e.Act, Type: e.Type, Version: p.version, Seq: stored[p.msg].Seq, RecordedAt: e.RecordedAt}
		}
	}
	u.finish(rs, nil)
}

// load reads an act's whole history from the store into the cache.
func (l *Ledger) load(id events.ActID) error {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	stored, err := l.store.Load(ctx, id, 0)
	if err != nil {
		return fmt.Errorf("read %s: %w", id, err)
	}
	// The store marks the messages on the act's subject that are not its
	// events (defects): the act is its other events, and its chain goes on
	// from the last of those; the next write expects the last message.
	hist := make([]events.Event, 0, len(stored))
	a := &act{id: id, ids: make(map[events.ID]idInfo, len(stored)), log: make([]entry, 0, len(stored))}
	for _, s := range stored {
		if s.Defect != nil {
			a.tail = s.Seq
			continue
		}
		content, err := s.Event.ContentDigest()
		if err != nil {
			return fmt.Errorf("read %s: event %s at sequence %d: %w", id, s.Event.ID, s.Seq, err)
		}
		hist = append(hist, s.Event)
		a.log = append(a.log, entry{seq: s.Seq, at: s.Event.RecordedAt.UnixNano()})
		a.ids[s.Event.ID] = idInfo{version: uint32(len(a.log)), content: content}
		a.noteRecord(len(a.log), &s.Event)
	}
	st, err := events.Fold(hist)
	if err != nil {
		return fmt.Errorf("fold %s: %w", id, err)
	}
	if n := len(hist); n > 0 {
		if a.last = hist[n-1].Hash; a.last.IsZero() {
			// An event of schema 1, before chains: its hash is computed.
			if a.last, err = hist[n-1].ComputeHash(); err != nil {
				return fmt.Errorf("hash %s: %w", id, err)
			}
		}
	}
	a.state = *st
	a.state.Act = id
	l.acts.put(a)
	// The whole history was just read: it replaces the one kept.
	if h := l.hist.peek(id); h != nil {
		l.hist.drop(h)
	}
	if l.hist.max > 0 {
		var last uint64
		if n := len(stored); n > 0 {
			last = stored[n-1].Seq
		}
		l.hist.add(&history{act: id, events: hist, seq: last})
	}
	return nil
}

// now returns the record time: the clock, but strictly after the last record
// time given, so that record order and record time agree within a process,
// and strictly after prev, the record time of the act's previous event, so
// that they agree within an act whichever ledger wrote it. A clock behind
// either (set back, or behind another ledger's) gives times that stand
// still, a nanosecond apart, until it catches up.
func (l *Ledger) now(prev time.Time) time.Time {
	t := l.opts.Clock().UTC()
	if !t.After(l.lastTime) {
		t = l.lastTime.Add(time.Nanosecond)
	}
	if !t.After(prev) {
		t = prev.UTC().Add(time.Nanosecond)
	}
	l.lastTime = t
	return t
}
