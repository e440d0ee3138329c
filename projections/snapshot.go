package projections

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"slices"
	"strconv"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
)

// Version is the version of the projection's derivation and snapshot
// format. A snapshot of another version is not restored: the projector
// rebuilds from the stream instead.
const Version = 1

type snapshotHeader struct {
	Projection int    `json:"projection"`
	LastSeq    uint64 `json:"last_seq"`
	Events     uint64 `json:"events"`
	Acts       int    `json:"acts"`
	Defects    int    `json:"defects,omitempty"`
}

// snapshotLine is one event of a snapshot: {"seq": N, "event": {...}}, or
// one defect: {"seq": N, "defect": {...}}. It is the snapshot's own
// encoding, which WriteSnapshot writes by hand; the field names are part of
// format Version. Defect lines came later within the version: a snapshot
// without them reads as before, and one of a stream without defects is
// byte for byte what it was.
type snapshotLine struct {
	Seq    uint64           `json:"seq"`
	Event  events.Event     `json:"event"`
	Defect *eventlog.Defect `json:"defect"`
}

// WriteSnapshot writes the projection's state: a header line, then every
// event, act by act in identifier order, each act's in stream order, then
// every defect in stream order. The bytes depend only on the stream
// applied, so two projections that applied the same stream write the same
// snapshot.
func (p *Projection) WriteSnapshot(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	h, _ := json.Marshal(snapshotHeader{Projection: Version, LastSeq: p.lastSeq, Events: p.events, Acts: len(p.acts), Defects: len(p.defects)})
	bw.Write(h)
	bw.WriteByte('\n')
	ids := make([]events.ActID, 0, len(p.acts))
	for id := range p.acts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	line := make([]byte, 0, 1024)
	for _, id := range ids {
		log := p.acts[id].log
		for rec := range log.Records(0, log.Len()) {
			line = append(line[:0], `{"seq":`...)
			line = strconv.AppendUint(line, rec.Seq, 10)
			line = append(line, `,"event":`...)
			if rec.Data != nil {
				line = append(line, rec.Data...)
			} else {
				var err error
				if line, err = events.AppendEncode(line, p.unencoded[rec.Seq]); err != nil {
					return err
				}
			}
			line = append(line, "}\n"...)
			if _, err := bw.Write(line); err != nil {
				return err
			}
		}
	}
	for _, d := range p.defects {
		line = append(line[:0], `{"seq":`...)
		line = strconv.AppendUint(line, d.Seq, 10)
		line = append(line, `,"defect":`...)
		js, err := json.Marshal(d.Defect)
		if err != nil {
			return err
		}
		line = append(append(line, js...), "}\n"...)
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// ErrOtherVersion is returned by ReadSnapshot for a snapshot written by
// another projection version.
var ErrOtherVersion = fmt.Errorf("snapshot of another projection version")

// ReadSnapshot restores a projection from WriteSnapshot's output, with
// its records in memory.
func ReadSnapshot(r io.Reader) (*Projection, error) { return ReadSnapshotWith(r, NewMemStore()) }

// ReadSnapshotWith restores a projection from WriteSnapshot's output into
// st, which must be empty; st holds what the snapshot held once it
// returns. On an error st holds part of it.
func ReadSnapshotWith(r io.Reader, st Store) (*Projection, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), events.MaxEventBytes+64)
	if !sc.Scan() {
		return nil, fmt.Errorf("empty snapshot: %v", sc.Err())
	}
	var h snapshotHeader
	if err := json.Unmarshal(sc.Bytes(), &h); err != nil {
		return nil, fmt.Errorf("snapshot header: %w", err)
	}
	if h.Projection != Version {
		return nil, fmt.Errorf("%w: %d, this is %d", ErrOtherVersion, h.Projection, Version)
	}
	p := NewWith(st)
	seen := map[events.ActID]bool{}
	var cur *actRec
	var curID events.ActID
	var evs []events.Event
	for sc.Scan() {
		var line snapshotLine
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			return nil, fmt.Errorf("snapshot line: %w", err)
		}
		if line.Defect != nil {
			if n := len(p.defects); n > 0 && p.defects[n-1].Seq >= line.Seq {
				return nil, fmt.Errorf("snapshot lists defect %d after %d: it is damaged", line.Seq, p.defects[n-1].Seq)
			}
			d := eventlog.Entry{Seq: line.Seq, Defect: line.Defect}
			if err := st.AppendDefect(d); err != nil {
				return nil, err
			}
			p.defects = append(p.defects, d)
			continue
		}
		e := eventlog.Entry{Seq: line.Seq, Event: line.Event}
		if err := e.Event.Validate(); err != nil {
			return nil, fmt.Errorf("snapshot event at sequence %d: %w", e.Seq, err)
		}
		if e.Event.Act != curID {
			if seen[e.Event.Act] {
				return nil, fmt.Errorf("snapshot lists the events of %s in two places: it is damaged", e.Event.Act)
			}
			if cur != nil {
				p.markChanged(cur)
				p.addRestored(curID, cur, evs)
			}
			curID = e.Event.Act
			cur, evs = &actRec{log: st.Act(curID)}, evs[:0]
		}
		if err := p.restoreEvent(cur, &e, evs); err != nil {
			return nil, err
		}
		if err := cur.log.Append(p.record(&e, cur.last)); err != nil {
			return nil, err
		}
		evs = append(evs, e.Event)
		seen[curID] = true
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if cur != nil {
		p.markChanged(cur)
		p.addRestored(curID, cur, evs)
	}
	p.lastSeq, p.events = h.LastSeq, h.Events
	if err := st.Commit(p.lastSeq); err != nil {
		return nil, err
	}
	if len(p.changed) > 0 {
		if err := p.saveSummaries(); err != nil {
			return nil, fmt.Errorf("write the acts' summaries: %w", err)
		}
	}
	if uint64(len(p.acts)) != uint64(h.Acts) {
		return nil, fmt.Errorf("snapshot holds %d acts, its header says %d", len(p.acts), h.Acts)
	}
	if len(p.defects) != h.Defects {
		return nil, fmt.Errorf("snapshot holds %d defects, its header says %d", len(p.defects), h.Defects)
	}
	return p, nil
}

// Open restores a projection from a Durable store, at its checkpoint
// (Saved): what the projection keeps in memory is rebuilt from the acts'
// summaries, and from the records of the acts whose summaries are behind
// (summary.go). A store whose records are not those of this derivation (an
// event off its act's chain, an event kept without its bytes) is an
// ErrOtherVersion error: Reset it and rebuild from the stream.
func Open(st Durable) (*Projection, error) {
	p := NewWith(st)
	var (
		err      error
		upgraded bool
	)
	if at := st.SummarizedAt(); at > 0 {
		err = p.openSummaries(st, at)
	} else {
		upgraded, err = p.openScan(st)
	}
	if err != nil {
		return nil, err
	}
	for d, err := range st.Defects() {
		if err != nil {
			return nil, err
		}
		p.defects = append(p.defects, d)
	}
	p.lastSeq = st.Saved()
	if len(p.changed) > 0 || upgraded {
		if err := p.saveSummaries(); err != nil {
			return nil, fmt.Errorf("write the acts' summaries: %w", err)
		}
	}
	return p, nil
}

// openSummaries restores the acts from their summaries, every one of
// which covered its act's records at sequence at (CommitSummaries): no
// record is read, but those after at, whose acts (at most summaryEvery)
// are folded from their records, as are the acts whose summary does not
// decode (of another version). Each act's chain is resumed without its
// ids, which Apply reads from the act's records when its next event comes
// (actRec.noteIDs).
func (p *Projection) openSummaries(st Durable, at uint64) error {
	behind := map[events.ActID]bool{}
	for l := range st.Leaves(at + 1) {
		behind[l.Act] = true
	}
	var fold []events.ActID
	for id, data := range st.Summaries() {
		if behind[id] {
			continue
		}
		sum, err := decodeSummary(data)
		if err != nil || sum.v1 {
			fold = append(fold, id)
			continue
		}
		r := &actRec{unnoted: true, last: sum.last}
		r.chain.Resume(sum.tip, sum.chained)
		p.addSummarized(id, r, sum.n, &sum, sum.first)
	}
	for id := range behind {
		fold = append(fold, id)
	}
	slices.Sort(fold)
	for _, id := range fold {
		l := st.Act(id)
		if l.Len() == 0 {
			continue // a summary left of an act without records
		}
		if err := p.restoreAct(id, l); err != nil {
			return err
		}
	}
	return nil
}

// openScan restores the acts from one scan of every record, beside the
// summaries, for a store whose summaries were never all written at once
// (SummarizedAt is 0): an act whose summary covers all its records is
// restored from it and from its records' ids, without a decode. A summary
// of version 1 is written again in this version, with the record times
// the scan read: it returns whether it wrote any, so that Open commits
// them (CommitSummaries) even when no act was folded.
func (p *Projection) openScan(st Durable) (upgraded bool, _ error) {
	// The summaries, read beside the records: both come in act order.
	nextSummary, stop := iter.Pull2(st.Summaries())
	defer stop()
	sumAct, sumData, sumOK := nextSummary()
	var sumV1 []byte // the bytes of the act's summary of version 1
	summaryOf := func(id events.ActID) (summary, bool) {
		for sumOK && sumAct < id {
			sumAct, sumData, sumOK = nextSummary()
		}
		if !sumOK || sumAct != id {
			return summary{}, false
		}
		sum, err := decodeSummary(sumData)
		if err == nil && sum.v1 {
			sumV1 = append(sumV1[:0], sumData...)
		}
		return sum, err == nil
	}
	var (
		r      *actRec
		curID  events.ActID
		n      int
		evs    []events.Event
		sum    summary
		useSum bool
		first  time.Time
	)
	finish := func() error {
		switch {
		case r == nil:
			return nil
		case useSum && n == sum.n:
			p.addSummarized(curID, r, n, &sum, first)
			if sum.v1 {
				upgraded = true
				return st.PutSummary(curID, upgrade(sumV1, first, r.last))
			}
			return nil
		case useSum:
			// Changed after its summary was written: folded from its
			// records, read again.
			return p.restoreAct(curID, st.Log(curID, n))
		}
		r.log = st.Log(curID, n)
		p.markChanged(r)
		p.addRestored(curID, r, evs)
		return nil
	}
	// One pass over every record, act by act: an iterator an act costs
	// more than reading its records (BenchmarkOpen). An act with a summary
	// of all its records is read from it and its records' ids and times,
	// without a decode.
	for id, rec := range st.Scan() {
		if id != curID || r == nil {
			if err := finish(); err != nil {
				return false, err
			}
			r, curID, n, evs = &actRec{}, id, 0, evs[:0]
			sum, useSum = summaryOf(id)
			first = rec.KnownFrom
			if useSum {
				r.chain.Resume(sum.tip, sum.chained)
			}
		}
		n++
		if useSum {
			r.chain.Note(rec.ID)
			r.last = rec.KnownFrom
			continue
		}
		e, err := p.restoredEntry(id, &rec)
		if err != nil {
			return false, err
		}
		if err := p.restoreEvent(r, &e, evs); err != nil {
			return false, err
		}
		evs = append(evs, e.Event)
	}
	err := finish() // before upgraded is read: it may set it
	return upgraded, err
}

// restoredEntry decodes a record that Open read for act id.
func (p *Projection) restoredEntry(id events.ActID, rec *Record) (eventlog.Entry, error) {
	if rec.Data == nil {
		return eventlog.Entry{}, fmt.Errorf("%w: the store keeps the event at sequence %d without its bytes", ErrOtherVersion, rec.Seq)
	}
	e := p.entry(rec)
	if e.Event.Act != id {
		return eventlog.Entry{}, fmt.Errorf("%w: the store keeps the event at sequence %d of %s under %s", ErrOtherVersion, rec.Seq, e.Event.Act, id)
	}
	return e, nil
}

// restoreAct restores act id from its records in log, decoded and folded.
func (p *Projection) restoreAct(id events.ActID, log ActLog) error {
	r := &actRec{log: log}
	var evs []events.Event
	for rec := range log.Records(0, log.Len()) {
		e, err := p.restoredEntry(id, &rec)
		if err != nil {
			return err
		}
		if err := p.restoreEvent(r, &e, evs); err != nil {
			return err
		}
		evs = append(evs, e.Event)
	}
	p.markChanged(r)
	p.addRestored(id, r, evs)
	return nil
}

// addSummarized adds an act restored from its summary sum, which covers
// its n records, the first known from first: its chain, kind, spans and
// place in the indexes, without its model (folded when first asked).
func (p *Projection) addSummarized(id events.ActID, r *actRec, n int, sum *summary, first time.Time) {
	r.id, r.kind, r.log = id, sum.kind, p.durable.Log(id, n)
	sp := sum.spans
	r.spans.Store(&sp)
	for _, inst := range sum.named {
		list := p.madeBy[inst]
		if j, found := slices.BinarySearch(list, id); !found {
			p.madeBy[inst] = slices.Insert(list, j, id)
		}
	}
	p.acts[id] = r
	p.addToCountry(r)
	p.noteRecord(first)
	p.events += uint64(n)
}

// restoreEvent checks a restored event against its act's chain, whose
// events before it are earlier, and moves the act's KnownFrom on.
func (p *Projection) restoreEvent(r *actRec, e *eventlog.Entry, earlier []events.Event) error {
	// A snapshot written before defects were checked may hold an event
	// off its act's chain: not this derivation's, so rebuild.
	seen := func(id events.ID) bool {
		for i := range earlier {
			if earlier[i].ID == id {
				return true
			}
		}
		return false
	}
	if r.chain.CheckWith(e, seen); e.Defect != nil {
		return fmt.Errorf("%w: its event at sequence %d is a defect (%s): %s", ErrOtherVersion, e.Seq, e.Defect.Reason, e.Defect.Message)
	}
	known := e.Event.RecordedAt
	if r.last.After(known) {
		known = r.last
	}
	r.last = known
	return nil
}

// addRestored adds a restored act, whose records are in its log and whose
// events are evs: its model and its place in the indexes.
func (p *Projection) addRestored(id events.ActID, r *actRec, evs []events.Event) {
	for i := range evs {
		if inst := evs[i].Instrument; inst != "" && evs[i].Type == events.Amended {
			list := p.madeBy[inst]
			if j, found := slices.BinarySearch(list, id); !found {
				p.madeBy[inst] = slices.Insert(list, j, id)
			}
		}
	}
	r.id = id
	m := p.buildEvents(id, evs)
	p.indexInstruments(id, m.amendments)
	p.acts[id] = r
	p.setModel(r, m)
	p.addToCountry(r)
	p.noteRecord(evs[0].RecordedAt) // the first record's KnownFrom
	p.events += uint64(len(evs))
}

// Digest returns the SHA-256 of the projection's snapshot, in hex: two
// auditors who replayed the same stream to the same sequence compare one
// string.
func (p *Projection) Digest() string {
	h := sha256.New()
	if err := p.WriteSnapshot(h); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
}
