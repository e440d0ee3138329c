// Package audit gives auditors evidence that the ledger they replay is the
// ledger that was written: it verifies each act's hash chain, keeps a Merkle
// tree over the whole stream in sequence order (package merkle), signs and
// checks checkpoints of that tree with ed25519 keys (nkeys), and proves the
// inclusion of an event in a signed tree for a third party to check offline.
//
// It is pure: the projector feeds it events and publishes its checkpoints;
// the verify command feeds it a replay. docs/VERIFY.md specifies every
// encoding it signs or hashes.
package audit

import (
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
type Checkpoint struct {
	TreeSize  uint64      `json:"tree_size"`
	Root      merkle.Hash `json:"root"`
	StreamSeq uint64      `json:"stream_seq"`
	Time      time.Time   `json:"time"`
	Key       string      `json:"key"`       // the signer's public nkey
	Signature string      `json:"signature"` // base64 (standard, padded) ed25519 signature of Signed()
}

// Signed returns the bytes a checkpoint's signature covers:
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

// Sign signs c with kp, setting Key and Signature.
func (c *Checkpoint) Sign(kp nkeys.KeyPair) error {
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

// Verify checks c's signature with the key it names, and that the key is
// one of trusted (when trusted is not empty).
func (c *Checkpoint) Verify(trusted []string) error {
	if len(trusted) > 0 && !slices.Contains(trusted, c.Key) {
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

// MarshalCheckpoint encodes a checkpoint as JSON.
func MarshalCheckpoint(c Checkpoint) ([]byte, error) { return json.Marshal(c) }

// UnmarshalCheckpoint decodes a checkpoint.
func UnmarshalCheckpoint(data []byte) (Checkpoint, error) {
	var c Checkpoint
	err := json.Unmarshal(data, &c)
	return c, err
}

// NewSigningKey creates an ed25519 key pair for signing checkpoints and
// returns it with its seed (keep it secret) and public key (publish it).
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
