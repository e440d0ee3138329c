package eventlog

import (
	"bytes"
	"crypto/sha256"
	"fmt"

	"github.com/lexledger/lexledger/events"
)

// Reason says why a stored message is a defect. The names are stored in
// snapshots, reports and metrics: append-only.
type Reason string

// The reasons, in the order a message is checked.
const (
	// ReasonUnreadable: not JSON, not an event (unknown fields or type,
	// impossible values), or larger than an event may be.
	ReasonUnreadable Reason = "unreadable"
	// ReasonUnknownSchema: an event of a schema this ledger does not read.
	ReasonUnknownSchema Reason = "unknown_schema"
	// ReasonInvalid: readable, but not a valid event (no id, an empty
	// valid-time interval...).
	ReasonInvalid Reason = "invalid"
	// ReasonHash: the event's hash is missing or is not the hash of its
	// content.
	ReasonHash Reason = "hash_mismatch"
	// ReasonSubject: the subject names no act, or another act than the
	// event's.
	ReasonSubject Reason = "subject_mismatch"
	// ReasonChain: prev_hash does not name the act's last valid event (or
	// an event without a chain follows the act's chained events).
	ReasonChain Reason = "chain_broken"
	// ReasonDuplicateID: the event's id is already an earlier valid event
	// of the act.
	ReasonDuplicateID Reason = "duplicate_id"
)

// Reasons lists every reason, for metrics and reports.
var Reasons = []Reason{ReasonUnreadable, ReasonUnknownSchema, ReasonInvalid, ReasonHash, ReasonSubject, ReasonChain, ReasonDuplicateID}

// Defect is a message on the events subjects that is not a readable,
// well-sealed event of its act: it was not written by the ledger, or was
// altered. It is kept at its stream sequence (it cannot be deleted) and
// left out of every view; its act's chain continues from the act's last
// valid event (docs/RUNBOOK.md, Defects).
type Defect struct {
	Reason  Reason `json:"reason"`
	Message string `json:"message"`
	// Subject is where the message is stored; empty for a defect found by
	// its place in its act's chain (Chain), which is on its act's subject.
	Subject string `json:"subject,omitempty"`
	// Act is the act the subject names, empty when it names none.
	Act events.ActID `json:"act,omitempty"`
	// ID is the event id the message claims, when it could be read.
	ID events.ID `json:"id,omitzero"`
	// Digest is what the Merkle tree of the stream holds for the message
	// (docs/VERIFY.md): the hash the event states, or, without one, the
	// hash of its content; SHA-256 of the stored bytes when they are not
	// an event at all.
	Digest events.Digest `json:"digest"`
}

// Error says where the defect is and what is wrong with it.
func (d *Defect) Error() string {
	return fmt.Sprintf("%s on %s: %s", d.Reason, d.Subject, d.Message)
}

// Subjects maps the subjects of the events onto their acts. Package natsjs
// implements it.
type Subjects interface {
	// IsSubjectOf reports whether subject is where act's events are stored.
	IsSubjectOf(subject string, act events.ActID) bool
	// ActOfSubject returns the act whose events are stored on subject, or
	// an error when subject names none.
	ActOfSubject(subject string) (events.ActID, error)
}

// Inspect decodes the message stored at seq on subject. It returns the
// entry of a readable event whose hash is that of its content, stored on
// its act's subject; otherwise an entry with a Defect and no Event. It
// checks a message alone: its place in its act's chain is Chain's to
// check.
//
// Its fast path hashes the stored bytes: the ledger stores the canonical
// encoding followed by its hash, so the hash of the bytes before the hash
// field is the event's hash. Other bytes are hashed from their decoded
// event.
func Inspect(seq uint64, subject string, data []byte, subjects Subjects) Entry {
	bad := func(e *events.Event, digest events.Digest, reason Reason, format string, args ...any) Entry {
		switch {
		case e != nil && !e.Hash.IsZero():
			digest = e.Hash // the hash it claims: its leaf, as verifiers take it
		case digest.IsZero() && e != nil:
			digest, _ = e.ComputeHash()
		}
		if digest.IsZero() {
			digest = sha256.Sum256(data)
		}
		act, _ := subjects.ActOfSubject(subject)
		d := &Defect{Reason: reason, Message: fmt.Sprintf(format, args...), Subject: subject, Act: act, Digest: digest}
		if e != nil {
			d.ID = e.ID
		}
		return Entry{Seq: seq, Defect: d}
	}
	e, err := events.Decode(data)
	if err != nil {
		return bad(nil, events.Digest{}, ReasonUnreadable, "sequence %d does not hold a readable event: %v", seq, err)
	}
	if e.Schema > events.SchemaVersion {
		return bad(&e, events.Digest{}, ReasonUnknownSchema, "sequence %d holds an event of schema %d; this ledger reads 1 to %d", seq, e.Schema, events.SchemaVersion)
	}
	if err := e.Validate(); err != nil {
		return bad(&e, events.Digest{}, ReasonInvalid, "sequence %d holds an event that is not valid: %v", seq, err)
	}
	sealed, digest := sealOf(&e, data)
	if !sealed {
		if e.Hash.IsZero() {
			return bad(&e, events.Digest{}, ReasonHash, "event %s at sequence %d has no hash: every event of schema %d is sealed by the ledger", e.ID, seq, e.Schema)
		}
		return bad(&e, events.Digest{}, ReasonHash, "event %s at sequence %d says its hash is %s, but its content hashes to %s", e.ID, seq, e.Hash, digest)
	}
	if !subjects.IsSubjectOf(subject, e.Act) {
		if act, err := subjects.ActOfSubject(subject); err != nil {
			return bad(&e, digest, ReasonSubject, "sequence %d: %v", seq, err)
		} else {
			return bad(&e, digest, ReasonSubject, "event %s at sequence %d is of act %s, but it is stored on the subject of %s", e.ID, seq, e.Act, act)
		}
	}
	return Entry{Seq: seq, Event: e}
}

// hashField is what precedes the hash at the end of a sealed encoding.
var hashField = []byte(`,"hash":"`)

// sealOf reports whether e, decoded from data, is sealed by its hash, and
// returns the hash of its content: for schema 1, which has no hash, the
// computed one.
func sealOf(e *events.Event, data []byte) (bool, events.Digest) {
	if e.Schema < 2 {
		h, err := e.ComputeHash()
		return err == nil, h
	}
	if e.Hash.IsZero() {
		h, _ := e.ComputeHash()
		return false, h
	}
	// `,"hash":"` + 64 hex + `"}`
	if n := len(data); n > 75 && bytes.Equal(data[n-75:n-66], hashField) && data[n-1] == '}' {
		sum := sha256.New()
		sum.Write(data[:n-75])
		sum.Write([]byte{'}'})
		var h events.Digest
		sum.Sum(h[:0])
		if h == e.Hash {
			return true, h
		}
	}
	h, err := e.ComputeHash()
	return err == nil && h == e.Hash, h
}

// Digest returns the digest of what is stored at e's sequence: the event's
// hash (computed for schema 1), or the defect's digest.
func (e *Entry) Digest() events.Digest {
	if e.Defect != nil {
		return e.Defect.Digest
	}
	if !e.Event.Hash.IsZero() {
		return e.Event.Hash
	}
	h, _ := e.Event.ComputeHash()
	return h
}
