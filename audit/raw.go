package audit

import (
	"bytes"
	"crypto/sha256"
	"fmt"

	"github.com/lexledger/lexledger/events"
)

// The tail of every event of schema 2 as the ledger encodes it:
// ...,"prev_hash":"<64 hex>","hash":"<64 hex>"} (prev_hash absent for an
// act's first event). See events.Event.Seal.
const (
	hashTail = len(`,"hash":"`) + 64 + len(`"}`)
	prevTail = len(`,"prev_hash":"`) + 64 + len(`"`)
)

// AddRaw checks an event from its stored bytes, without decoding it when
// it has the ledger's own encoding: its hash is SHA-256 of the bytes
// without the hash field. Anything else (schema 1, or bytes that do not
// end as the ledger writes them) is decoded and checked by Add.
func (v *Verifier) AddRaw(seq uint64, act events.ActID, data []byte) {
	v.AddStored(seq, "", act, nil, data)
}

// AddStored checks the message stored at seq on subject, whose act is act
// (actErr when the subject names none): as AddRaw does, and as the
// projector does for defects (Report.Defects).
func (v *Verifier) AddStored(seq uint64, subject string, act events.ActID, actErr error, data []byte) {
	// The chain as stored breaks once at an altered or missing event; an
	// event that chains onto its act's last valid event (after a defect
	// was published beside it) breaks nothing: the projector goes on from
	// there too.
	if actErr == nil {
		// The ledger's own encoding, its hash right: read and hashed once,
		// and the act's state found once, for both the defects and the
		// chain.
		if hash, prev, ok := sealedTail(data); ok {
			st := v.defects.state(act)
			v.validTip = st.chain.Tip()
			v.defects.classifySealed(st, seq, subject, act, data, hash, prev)
			v.addSealedTo(st, seq, act, hash, prev)
			return
		}
	}
	v.validTip = v.defects.Tip(act)
	v.defects.Classify(seq, subject, act, actErr, data)
	if actErr != nil {
		v.bad(seq, "", fmt.Errorf("subject %s: %w", subject, actErr), data)
		return
	}
	v.addRaw(seq, act, data)
}

func (v *Verifier) addRaw(seq uint64, act events.ActID, data []byte) {
	hash, prev, ok := sealedTail(data)
	if !ok {
		// Not the ledger's encoding, or altered: decode for a precise
		// message (or report it unreadable).
		v.addDecoded(seq, act, data)
		return
	}
	v.addSealedTo(v.defects.state(act), seq, act, hash, prev)
}

// addSealedTo adds an event of act, whose state is st, whose stored bytes
// hash to hash (sealedTail) and name prev as its act's previous event.
func (v *Verifier) addSealedTo(st *actState, seq uint64, act events.ActID, hash, prev events.Digest) {
	if seq != v.lastSeq+1 {
		v.fail(Failure{Seq: seq, Act: act, Kind: "gap", Message: gapMessage(seq, v.lastSeq)})
	}
	v.lastSeq = seq
	v.events++
	if prev != st.last && prev != v.validTip {
		v.fail(Failure{Seq: seq, Act: act, Kind: "chain", Message: chainMessage(seq, act, prev, st.last)})
	}
	v.setLast(st, hash)
	v.appendLeaf(leafOfDigest(hash))
}

// sealedTail reads the hash and prev_hash at the end of an event in the
// ledger's own encoding and checks the hash: ok when data ends as the
// ledger writes events and SHA-256 of its bytes without the hash field is
// the hash it holds.
func sealedTail(data []byte) (hash, prev events.Digest, ok bool) {
	hash, prev, canonicalLen, ok := splitTail(data)
	if !ok {
		return hash, prev, false
	}
	h := sha256.New()
	h.Write(data[:canonicalLen])
	h.Write(closeBrace)
	var got events.Digest
	h.Sum(got[:0])
	return hash, prev, got == hash
}

var closeBrace = []byte{'}'}

// splitTail finds the hash and prev_hash at the end of an encoded event.
func splitTail(data []byte) (hash, prev events.Digest, canonicalLen int, ok bool) {
	n := len(data)
	if n < hashTail+2 || string(data[n-hashTail:n-hashTail+9]) != `,"hash":"` || string(data[n-2:]) != `"}` {
		return hash, prev, 0, false
	}
	if !decodeLowerHex(hash[:], data[n-hashTail+9:n-2]) {
		return hash, prev, 0, false
	}
	canonicalLen = n - hashTail
	if p := canonicalLen - prevTail; p > 0 && string(data[p:p+14]) == `,"prev_hash":"` && data[canonicalLen-1] == '"' {
		if !decodeLowerHex(prev[:], data[p+14:canonicalLen-1]) {
			return hash, prev, 0, false
		}
	}
	return hash, prev, canonicalLen, true
}

// addDecoded checks an event that the fast path could not: it decodes it,
// and reports stored bytes that are not the ledger's own encoding of the
// event they decode to (an id in lower case, an escape in upper case): the
// content may hash right, but the record was changed.
func (v *Verifier) addDecoded(seq uint64, act events.ActID, data []byte) {
	e, err := events.Decode(data)
	if err != nil {
		v.bad(seq, act, err, data)
		return
	}
	v.Add(seq, &e)
	if e.Schema >= 2 {
		if enc, err := events.Encode(&e); err == nil && !bytes.Equal(enc, data) {
			v.fail(Failure{Seq: seq, Act: act, Kind: "hash", Message: fmt.Sprintf("the event at sequence %d is stored in bytes that are not the ledger's encoding of it: the stored record was altered", seq)})
		}
	}
}

// decodeLowerHex decodes src, lower-case hex digits only, into dst, of
// half its length; it reports false for any other byte.
func decodeLowerHex(dst, src []byte) bool {
	if len(src) != 2*len(dst) {
		return false
	}
	var bad byte
	for i := range dst {
		hi, lo := hexValue[src[2*i]], hexValue[src[2*i+1]]
		bad |= hi | lo
		dst[i] = hi<<4 | lo&0x0f
	}
	return bad&0xf0 == 0
}

// hexValue is the value of each lower-case hex digit, 0xff for any other
// byte.
var hexValue = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c - 'a' + 10)
	}
	return t
}()
