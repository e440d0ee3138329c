package audit

import (
	"bytes"
	"crypto/sha256"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/merkle"
	"github.com/oklog/ulid/v2"
)

// Defects is what a replay finds beside tampering: the messages that are
// not valid events of their acts, as every projector finds them
// (eventlog.Inspect and eventlog.Chain), left out of the views. A verifier
// keeps one; a stream with defects does not verify (Report.OK is false),
// since an auditor must look at each.
type Defects struct {
	acts map[events.ActID]*actState
	list []eventlog.Entry
}

// actState is what a replay keeps of one act, found with one lookup per
// message: the chain of its valid events, as the projector holds it, and,
// for a Verifier, the hash of its last event as stored.
type actState struct {
	chain eventlog.Chain
	last  events.Digest
	added bool // a Verifier added an event of the act (Acts)
}

// state returns act's state, made when it has none.
func (d *Defects) state(act events.ActID) *actState {
	st := d.acts[act]
	if st == nil {
		if d.acts == nil {
			d.acts = map[events.ActID]*actState{}
		}
		st = &actState{}
		d.acts[act] = st
	}
	return st
}

// Classify checks the message stored at seq on subject, whose act is act
// (actErr when the subject names none), as the projector does, and keeps
// it if it is a defect, which it reports. Messages must come in stream
// order.
func (d *Defects) Classify(seq uint64, subject string, act events.ActID, actErr error, data []byte) bool {
	e, ok := fastEntry(seq, act, actErr, data)
	if !ok {
		e = eventlog.Inspect(seq, subject, data, actSubject{act: act, err: actErr})
	}
	return d.keep(subject, &e)
}

// classifySealed is Classify for a message on act's subject whose bytes
// sealedTail has read and checked: hash and prev are its own.
func (d *Defects) classifySealed(st *actState, seq uint64, subject string, act events.ActID, data []byte, hash, prev events.Digest) bool {
	e, ok := sealedEntry(seq, act, data, hash, prev)
	if !ok {
		e = eventlog.Inspect(seq, subject, data, actSubject{act: act})
	}
	return d.keepIn(st, subject, &e)
}

// keep checks e, read from subject, against its act's chain, and keeps it
// if it is a defect, which it reports.
func (d *Defects) keep(subject string, e *eventlog.Entry) bool {
	if e.Defect != nil {
		return d.keepIn(nil, subject, e)
	}
	return d.keepIn(d.state(e.Event.Act), subject, e)
}

// keepIn is keep with the state of e's act, st, already found: nil only
// when e is a defect.
func (d *Defects) keepIn(st *actState, subject string, e *eventlog.Entry) bool {
	if e.Defect == nil {
		st.chain.Check(e)
	}
	if e.Defect == nil {
		return false
	}
	e.Defect.Subject = subject
	d.list = append(d.list, *e)
	return true
}

// Tip returns the hash of act's last valid event, zero for none.
func (d *Defects) Tip(act events.ActID) events.Digest {
	if st := d.acts[act]; st != nil {
		return st.chain.Tip()
	}
	return events.Digest{}
}

// List returns the defects found, in stream order.
func (d *Defects) List() []eventlog.Entry { return d.list }

// fastEntry reads a message in the ledger's own encoding without decoding
// it: its hash, prev_hash, id and act, enough for its act's chain. It
// returns false for anything else, which eventlog.Inspect reads.
func fastEntry(seq uint64, act events.ActID, actErr error, data []byte) (eventlog.Entry, bool) {
	if actErr != nil {
		return eventlog.Entry{}, false
	}
	hash, prev, ok := sealedTail(data)
	if !ok {
		return eventlog.Entry{}, false
	}
	return sealedEntry(seq, act, data, hash, prev)
}

// sealedEntry is fastEntry for bytes whose tail sealedTail has read and
// checked: it reads the id and the act at their head.
func sealedEntry(seq uint64, act events.ActID, data []byte, hash, prev events.Digest) (eventlog.Entry, bool) {
	const head, actField = `{"schema":2,"id":"`, `","act":"`
	rest, ok := bytes.CutPrefix(data, []byte(head))
	if !ok || len(rest) < 26+len(actField)+len(act)+1 {
		return eventlog.Entry{}, false
	}
	// As events.ParseID reads an id, without its error's copy of the bytes.
	u, err := ulid.ParseStrict(string(rest[:26]))
	if err != nil || string(rest[26:26+len(actField)]) != actField {
		return eventlog.Entry{}, false
	}
	id := events.ID(u)
	rest = rest[26+len(actField):]
	if string(rest[:len(act)]) != string(act) || rest[len(act)] != '"' {
		return eventlog.Entry{}, false
	}
	return eventlog.Entry{Seq: seq, Event: events.Event{Schema: 2, ID: id, Act: act, PrevHash: prev, Hash: hash}}, true
}

// actSubject is the one subject a message was read from, naming act (or
// failing with err): what eventlog.Inspect checks an event's act against.
type actSubject struct {
	act events.ActID
	err error
}

func (s actSubject) IsSubjectOf(_ string, act events.ActID) bool { return s.err == nil && act == s.act }

func (s actSubject) ActOfSubject(string) (events.ActID, error) { return s.act, s.err }

// unreadableLeaf is the leaf of a message that is not an event: that of
// SHA-256 of its bytes, as the projector's tree holds it; without the
// bytes, a leaf that no checkpoint can have signed.
func unreadableLeaf(data []byte) merkle.Hash {
	if data == nil {
		return merkle.LeafHash([]byte("unreadable"))
	}
	h := sha256.Sum256(data)
	return leafOfDigest(h)
}
