package events

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Digest is a SHA-256 hash, written as 64 lower-case hex digits.
type Digest [32]byte

// IsZero reports whether d is the zero Digest (none).
func (d Digest) IsZero() bool { return d == Digest{} }

// String returns the hex form.
func (d Digest) String() string { return hex.EncodeToString(d[:]) }

// MarshalText returns the hex form.
func (d Digest) MarshalText() ([]byte, error) {
	b := make([]byte, 64)
	hex.Encode(b, d[:])
	return b, nil
}

// UnmarshalText parses 64 hex digits.
func (d *Digest) UnmarshalText(b []byte) error {
	if len(b) != 64 {
		return Errorf(CodeInvalid, "hash %q is not 64 hex digits", clip(string(b)))
	}
	if _, err := hex.Decode(d[:], b); err != nil {
		return Errorf(CodeInvalid, "hash %q is not 64 hex digits", clip(string(b)))
	}
	return nil
}

// Canonical returns the canonical encoding of e, the bytes its hash is
// computed over: the encoding of Encode (fields in the order of the Event
// struct, no spaces, texts sorted by eId, strings escaped as
// encoding/json escapes them, empty fields left out) with the hash field
// left out. docs/VERIFY.md specifies it for independent verifiers.
func (e *Event) Canonical() ([]byte, error) {
	c := *e
	c.Hash = Digest{}
	return Encode(&c)
}

// ComputeHash returns SHA-256 of e's canonical encoding.
func (e *Event) ComputeHash() (Digest, error) {
	b, err := e.Canonical()
	if err != nil {
		return Digest{}, err
	}
	return sha256.Sum256(b), nil
}

// Seal sets e.Hash and returns e's full encoding, encoding e once: the
// canonical encoding with `,"hash":"..."` added before its closing brace,
// in the same buffer.
func (e *Event) Seal() ([]byte, error) {
	e.Hash = Digest{}
	c, err := appendEvent(make([]byte, 0, 1024), e)
	if err != nil {
		return nil, err
	}
	e.Hash = sha256.Sum256(c)
	out := append(c[:len(c)-1], `,"hash":"`...)
	out = hex.AppendEncode(out, e.Hash[:])
	out = append(out, `"}`...)
	if len(out) > MaxEventBytes {
		e.Hash = Digest{}
		return nil, Errorf(CodeTooLarge, "the event is %d bytes once encoded, more than the limit of %d: record long texts in several events, one per provision", len(out), MaxEventBytes)
	}
	return out, nil
}

// ContentDigest returns SHA-256 of the encoding of e's content: the fields
// a clerk gives (id, act, type, date, valid time, retroactive, instrument,
// provisions, body), without those the ledger sets (schema, recorded_at,
// recorded_by, prev_hash, hash). Two events with one id are the same event
// when their content digests are equal: the second is a retry of the first.
// Otherwise the id is taken (RuleIDUsed).
func (e *Event) ContentDigest() (Digest, error) {
	c := *e
	c.Schema, c.RecordedAt, c.RecordedBy, c.PrevHash, c.Hash = 0, time.Time{}, "", Digest{}, Digest{}
	b, err := appendEvent(make([]byte, 0, 1024), &c)
	if err != nil {
		return Digest{}, err
	}
	return sha256.Sum256(b), nil
}
