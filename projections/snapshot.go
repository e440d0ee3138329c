package projections

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"

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
		for _, rec := range p.acts[id].records {
			line = append(line[:0], `{"seq":`...)
			line = strconv.AppendUint(line, rec.seq, 10)
			line = append(line, `,"event":`...)
			if rec.data != nil {
				line = append(line, rec.data...)
			} else {
				var err error
				if line, err = events.AppendEncode(line, p.unencoded[rec.seq]); err != nil {
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

// ReadSnapshot restores a projection from WriteSnapshot's output.
func ReadSnapshot(r io.Reader) (*Projection, error) {
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
	p := New()
	seen := map[events.ActID]bool{}
	var cur *actRec
	var curID events.ActID
	flush := func() {
		if cur != nil {
			cur.current = p.buildFrom(curID, cur.records)
			p.indexInstruments(curID, cur.current)
		}
	}
	for sc.Scan() {
		var line snapshotLine
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			return nil, fmt.Errorf("snapshot line: %w", err)
		}
		if line.Defect != nil {
			if n := len(p.defects); n > 0 && p.defects[n-1].Seq >= line.Seq {
				return nil, fmt.Errorf("snapshot lists defect %d after %d: it is damaged", line.Seq, p.defects[n-1].Seq)
			}
			p.defects = append(p.defects, eventlog.Entry{Seq: line.Seq, Defect: line.Defect})
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
			flush()
			curID = e.Event.Act
			cur = &actRec{}
			p.acts[curID] = cur
			c := curID.Country()
			p.byCountry[c] = append(p.byCountry[c], curID)
		}
		// A snapshot written before defects were checked may hold an
		// event off its act's chain: not this derivation's, so rebuild.
		if cur.chain.Check(&e); e.Defect != nil {
			return nil, fmt.Errorf("%w: its event at sequence %d is a defect (%s): %s", ErrOtherVersion, e.Seq, e.Defect.Reason, e.Defect.Message)
		}
		known := e.Event.RecordedAt
		if n := len(cur.knownFrom); n > 0 && cur.knownFrom[n-1].After(known) {
			known = cur.knownFrom[n-1]
		}
		cur.records = append(cur.records, p.record(&e))
		cur.knownFrom = append(cur.knownFrom, known)
		if len(cur.knownFrom) == 1 {
			p.noteRecord(known)
		}
		if inst := e.Event.Instrument; inst != "" && e.Event.Type == events.Amended {
			list := p.madeBy[inst]
			if i, found := slices.BinarySearch(list, curID); !found {
				p.madeBy[inst] = slices.Insert(list, i, curID)
			}
		}
		seen[curID] = true
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	flush()
	p.lastSeq, p.events = h.LastSeq, h.Events
	if uint64(len(p.acts)) != uint64(h.Acts) {
		return nil, fmt.Errorf("snapshot holds %d acts, its header says %d", len(p.acts), h.Acts)
	}
	if len(p.defects) != h.Defects {
		return nil, fmt.Errorf("snapshot holds %d defects, its header says %d", len(p.defects), h.Defects)
	}
	return p, nil
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
