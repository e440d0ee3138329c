package audit

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lexledger/lexledger/witness"
)

// Defaults of the policy (verify --max-uncovered, --max-checkpoint-age).
const (
	DefaultMaxUncovered     = 10000
	DefaultMaxCheckpointAge = 24 * time.Hour
)

// Policy is what an auditor who pins the signer's key (verify --key)
// demands of the checkpoints beyond their being sound (ApplyPolicy).
type Policy struct {
	// MaxUncovered is the most events that may follow the newest
	// checkpoint.
	MaxUncovered uint64
	// MaxAge is the most time since the newest checkpoint was signed
	// while events follow it; 0: no bound.
	MaxAge time.Duration
	// Now is the time the age is measured at.
	Now time.Time
	// WitnessKeys are the cosignature/v1 verifier keys of the witnesses
	// required (witness.NewCosignatureVerifier); none: none required.
	WitnessKeys []string
	// WitnessQuorum is how many of them must have cosigned the newest
	// checkpoint; 0 means a majority of the distinct keys.
	WitnessQuorum int
}

// MajorityQuorum is the quorum a Policy takes by default of n distinct
// witness keys: more than half, so that two quorums share a witness and
// two histories cannot both be cosigned unless a witness of each is
// dishonest.
func MajorityQuorum(n int) int { return n/2 + 1 }

// verified is the newest checkpoint: as checked, when it was stored, its
// note's text and every signature line stored with it.
type verified struct {
	c    Checkpoint
	at   time.Time
	text string
	sigs []string
}

// note returns the note with every signature line gathered, the form
// witness.Quorum and a third party read; the old JSON form has none.
func (n *verified) note() string {
	if n.text == "" {
		return n.c.Note
	}
	return n.text + "\n" + strings.Join(n.sigs, "")
}

// merge adds the signature lines of a stored copy of n's note.
func (n *verified) merge(note string) {
	_, sigs := splitNote(note)
	for line := range strings.Lines(sigs) {
		if !strings.HasSuffix(line, "\n") {
			line += "\n"
		}
		if !slices.Contains(n.sigs, line) {
			n.sigs = append(n.sigs, line)
		}
	}
}

// cosigned returns the note with the signature lines gathered, less any
// line that claims to be by one of the witnesses of wkeys and does not
// verify: anyone who may publish into the checkpoints stream could store a
// copy of the note with such a line, and one invalid line by a witness
// fails the note's valid line by it too.
func (n *verified) cosigned(wkeys []string) string {
	var keep []string
	for _, line := range n.sigs {
		name, b64, _ := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(line, "— "), "\n"), " ")
		raw, err := base64.StdEncoding.DecodeString(b64)
		ok := true
		for _, vk := range wkeys {
			v, verr := witness.NewCosignatureVerifier(vk)
			if verr != nil || err != nil || len(raw) < 4 || v.Name() != name || v.KeyHash() != binary.BigEndian.Uint32(raw) {
				continue
			}
			_, verr = witness.VerifyCosignature(vk, []byte(n.text+"\n"+line), nil)
			ok = ok && verr == nil
		}
		if ok {
			keep = append(keep, line)
		}
	}
	return n.text + "\n" + strings.Join(keep, "")
}

// splitNote splits a signed note into its text (with its final newline)
// and its signature lines, at the last blank line as
// golang.org/x/mod/sumdb/note does; ("", "") for what is not a note.
func splitNote(note string) (text, sigs string) {
	i := strings.LastIndex(note, "\n\n")
	if i < 0 {
		return "", ""
	}
	return note[:i+1], note[i+2:]
}

// streamSeqFailure checks what a checkpoint says of the stream: a tree of
// n events ends at stream sequence n (every message is a leaf, from
// sequence 1), within the stream, whose last sequence is last.
func streamSeqFailure(c Checkpoint, last uint64) (Failure, bool) {
	switch {
	case c.StreamSeq > last:
		return Failure{Seq: c.StreamSeq, Kind: "checkpoint_stream_seq", Message: fmt.Sprintf("the checkpoint of tree size %d says its last event is at stream sequence %d, beyond the stream's last sequence %d: it was made wrongly or forged; ask its signer", c.TreeSize, c.StreamSeq, last)}, true
	case c.StreamSeq != c.TreeSize:
		return Failure{Seq: c.StreamSeq, Kind: "checkpoint_stream_seq", Message: fmt.Sprintf("the checkpoint of tree size %d says its last event is at stream sequence %d, but a tree of %d events ends at sequence %d (each message is a leaf, from sequence 1): it was made wrongly or forged; ask its signer", c.TreeSize, c.StreamSeq, c.TreeSize, c.TreeSize)}, true
	}
	return Failure{}, false
}

// ApplyPolicy checks the newest checkpoint verified with a trusted key
// (CheckStored) against p: run it after every checkpoint was checked, when
// the signer's key is pinned. It reports
//   - checkpoint_missing: the stream holds events and no checkpoint is
//     signed by a trusted key (one that is, but does not fit the stream,
//     has failed already);
//   - checkpoint_uncovered: more than p.MaxUncovered events follow the
//     newest checkpoint;
//   - checkpoint_stale: events follow the newest checkpoint, and it was
//     signed (by the time its note states, else the time it was stored)
//     more than p.MaxAge before p.Now. A ledger that did not grow needs no
//     new checkpoint: the signer signs only when the stream grew;
//   - witness_quorum: witnesses are required and fewer than the quorum
//     cosigned the newest checkpoint (witness.Quorum).
func (v *Verifier) ApplyPolicy(p Policy) {
	size := v.leaves().Size()
	n := v.newest
	if n == nil {
		// A checkpoint signed by a trusted key that does not fit the
		// stream has failed already, saying why.
		if size > 0 && v.signed == 0 {
			v.fail(Failure{Seq: v.lastSeq, Kind: "checkpoint_missing", Message: fmt.Sprintf("no checkpoint signed by a trusted key covers the stream's %d events: have the ledger sign one (a projector with its key signs every minute the stream grows; POST /v1/checkpoints signs now), and check that --key is the ledger's verifier key", size)})
		}
		if len(p.WitnessKeys) > 0 && size > 0 && v.signed == 0 {
			v.fail(Failure{Seq: v.lastSeq, Kind: "witness_quorum", Message: "witnesses are required (--witness-key), but there is no checkpoint for them to have cosigned"})
		}
		return
	}
	c := n.c
	uncovered := size - min(size, c.TreeSize)
	if uncovered > p.MaxUncovered {
		v.fail(Failure{Seq: c.TreeSize + 1, Kind: "checkpoint_uncovered", Message: fmt.Sprintf("%d events (sequences %d to %d) follow the newest checkpoint (tree size %d, signed at %s), more than the %d allowed (--max-uncovered): the signer stopped or falls behind; check the signing projector (its log, /readyz, lex_projector_checkpoint_refusals_total) and have it sign (POST /v1/checkpoints)",
			uncovered, c.TreeSize+1, size, c.TreeSize, c.Time.Format(time.RFC3339), p.MaxUncovered)})
	}
	signed, how := c.Time, "signed"
	if signed.IsZero() {
		signed, how = n.at, "stored"
	}
	if age := p.Now.Sub(signed); uncovered > 0 && p.MaxAge > 0 && !signed.IsZero() && age > p.MaxAge {
		v.fail(Failure{Seq: c.TreeSize + 1, Kind: "checkpoint_stale", Message: fmt.Sprintf("the newest checkpoint (tree size %d) was %s at %s, %s ago, more than the %s allowed (--max-checkpoint-age), and %d events follow it: the signer stopped; check the signing projector and have it sign (POST /v1/checkpoints)",
			c.TreeSize, how, signed.Format(time.RFC3339), age.Round(time.Second), p.MaxAge, uncovered)})
	}
	if len(p.WitnessKeys) == 0 {
		return
	}
	if n.text == "" {
		v.fail(Failure{Seq: c.StreamSeq, Kind: "witness_quorum", Message: fmt.Sprintf("the newest checkpoint (tree size %d) is of the old JSON form, which witnesses do not cosign: have the ledger sign a checkpoint note (POST /v1/checkpoints) and its witnesses cosign it", c.TreeSize)})
		return
	}
	q := p.WitnessQuorum
	if q == 0 {
		q = MajorityQuorum(distinct(p.WitnessKeys))
	}
	names, err := witness.Quorum([]byte(n.cosigned(p.WitnessKeys)), p.WitnessKeys, q)
	v.witnessedBy = names
	if err != nil {
		v.fail(Failure{Seq: c.StreamSeq, Kind: "witness_quorum", Message: fmt.Sprintf("the newest checkpoint (tree size %d, signed at %s) lacks a quorum of witnesses: %v. Until it has one, a history shown to you alone cannot be told from the one others see: check that the ledger submits its checkpoints to its witnesses (its log) and that they are up",
			c.TreeSize, c.Time.Format(time.RFC3339), err)})
	}
}

// distinct counts the distinct keys of keys.
func distinct(keys []string) int {
	seen := map[string]bool{}
	for _, k := range keys {
		seen[strings.TrimSpace(k)] = true
	}
	return len(seen)
}
