// Package audit gives auditors evidence that the ledger they replay is the
// ledger that was written: it verifies each act's hash chain, keeps a Merkle
// tree over the whole stream in sequence order (package merkle), signs and
// checks checkpoints of that tree as C2SP signed notes (tlog-checkpoint,
// golang.org/x/mod/sumdb/note; note.go), still checks the JSON checkpoints
// signed with nkeys before them, and proves the inclusion of an event in a
// signed tree for a third party to check offline.
//
// It is pure: the projector feeds it events and publishes its checkpoints;
// the verify command feeds it a replay. docs/VERIFY.md specifies every
// encoding it signs or hashes.
package audit

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/lexledger/lexledger/merkle"
	"github.com/nats-io/nkeys"
)

// Checkpoint is a signed statement: the Merkle tree of the stream's first
// TreeSize events, ending at stream sequence StreamSeq, has this Root.
//
// A checkpoint is a signed note (Note set; Sign, note.go): the fields are
// those its note states. One of the old form (Note empty; SignLegacy) is a
// JSON object whose Signature covers Signed().
type Checkpoint struct {
	// Origin names the ledger: the note's first line and its key's name;
	// empty in the old form.
	Origin    string      `json:"origin,omitempty"`
	TreeSize  uint64      `json:"tree_size"`
	Root      merkle.Hash `json:"root"`
	StreamSeq uint64      `json:"stream_seq"`
	Time      time.Time   `json:"time"`
	// Key is the signer's public key: a note verifier key
	// (origin+hash+base64) for a note, empty when the note was read from
	// storage without its key; a public nkey in the old form.
	Key string `json:"key"`
	// Signature is, for a note, its signer's signature line after the key
	// name (base64 of the 4-byte key hash and the ed25519 signature); in
	// the old form, the base64 ed25519 signature of Signed().
	Signature string `json:"signature"`
	// Note is the signed note, signature lines included: what is stored
	// and what a third party checks (docs/VERIFY.md).
	Note string `json:"note,omitempty"`
}

// Signed returns the bytes the signature of a checkpoint of the old form
// covers:
//
//	lexledger-checkpoint/v1\n{tree_size}\n{root hex}\n{stream_seq}\n{time RFC 3339 nano, UTC}\n
func (c *Checkpoint) Signed() []byte {
	b := []byte("lexledger-checkpoint/v1\n")
	b = strconv.AppendUint(b, c.TreeSize, 10)
	b = append(b, '\n')
	b = append(b, c.Root.String()...)
	b = append(b, '\n')
	b = strconv.AppendUint(b, c.StreamSeq, 10)
	b = append(b, '\n')
	b = append(b, c.Time.UTC().Format(time.RFC3339Nano)...)
	return append(b, '\n')
}

// SignLegacy signs c in the old JSON form with kp, setting Key and
// Signature. The projector signs notes (Sign); this remains so that the
// old form can be made to test its verification.
func (c *Checkpoint) SignLegacy(kp nkeys.KeyPair) error {
	pub, err := kp.PublicKey()
	if err != nil {
		return err
	}
	c.Key = pub
	c.Time = c.Time.UTC()
	sig, err := kp.Sign(c.Signed())
	if err != nil {
		return err
	}
	c.Signature = base64.StdEncoding.EncodeToString(sig)
	return nil
}

// Verify checks c's signature. A note must carry a signature by one of
// trusted (ParseTrustedKey; with none, by its Key, and without that it
// returns an error wrapping ErrUnpinned), and its fields must be the
// note's. The old form must be signed by the key it names, which must be
// one of trusted (an nkey, or the verifier key of the same ed25519 key)
// when trusted is not empty.
func (c *Checkpoint) Verify(trusted []string) error {
	keys, err := ParseTrustedKeys(trusted)
	if err != nil {
		return err
	}
	if c.Note != "" {
		return c.verifyNote(keys)
	}
	return c.verifyLegacy(keys)
}

func (c *Checkpoint) verifyLegacy(trusted []TrustedKey) error {
	if len(trusted) > 0 && !slices.ContainsFunc(trusted, func(k TrustedKey) bool { return k.Text == c.Key || sameNKey(k, c.Key) }) {
		return fmt.Errorf("checkpoint at tree size %d is signed by %s, which is not a trusted key", c.TreeSize, c.Key)
	}
	kp, err := nkeys.FromPublicKey(c.Key)
	if err != nil {
		return fmt.Errorf("checkpoint at tree size %d names key %q, which is not a public nkey: %w", c.TreeSize, c.Key, err)
	}
	sig, err := base64.StdEncoding.DecodeString(c.Signature)
	if err != nil {
		return fmt.Errorf("checkpoint at tree size %d: signature is not base64: %w", c.TreeSize, err)
	}
	if err := kp.Verify(c.Signed(), sig); err != nil {
		return fmt.Errorf("checkpoint at tree size %d: the signature does not verify with key %s", c.TreeSize, c.Key)
	}
	return nil
}

// sameNKey reports whether the nkey pub is the key of k.
func sameNKey(k TrustedKey, pub string) bool {
	raw, err := nkeys.Decode(nkeys.PrefixByteServer, []byte(pub))
	return err == nil && k.Pub.Equal(ed25519.PublicKey(raw))
}

// MarshalCheckpoint encodes a checkpoint in its stored form: a note as the
// note's bytes, a checkpoint of the old form as JSON.
func MarshalCheckpoint(c Checkpoint) ([]byte, error) {
	if c.Note != "" {
		return []byte(c.Note), nil
	}
	return json.Marshal(c)
}

// UnmarshalCheckpoint decodes a stored checkpoint: a signed note (its
// fields read from its text, its signatures not checked yet: Verify), or
// a JSON object, of the old form or as the HTTP API answers (then, if it
// carries a note, the fields are read from the note).
func UnmarshalCheckpoint(data []byte) (Checkpoint, error) {
	if len(data) > 0 && data[0] == '{' {
		var c Checkpoint
		if err := json.Unmarshal(data, &c); err != nil {
			return c, err
		}
		if c.Note == "" {
			return c, nil
		}
		n, err := ParseNote([]byte(c.Note))
		n.Key = c.Key
		return n, err
	}
	return ParseNote(data)
}

// NewSigningKey creates an ed25519 key pair for signing checkpoints in the
// old JSON form and returns it with its seed and public nkey. New keys are
// note keys (GenerateSigner).
func NewSigningKey() (kp nkeys.KeyPair, seed []byte, pub string, err error) {
	if kp, err = nkeys.CreateServer(); err != nil {
		return nil, nil, "", err
	}
	if seed, err = kp.Seed(); err != nil {
		return nil, nil, "", err
	}
	pub, err = kp.PublicKey()
	return kp, seed, pub, err
}
