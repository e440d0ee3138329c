package projector

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lexledger/lexledger/audit"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/merkle"
)

// The signer's guard (docs/VERIFY.md, Threat model): before it signs, a
// projector reads its own last checkpoint from the checkpoints stream, not
// from memory, and proves its tree a consistent extension of it with a
// consistency proof; it signs nothing otherwise. A projector that rebuilt
// a rewritten stream, and holds the genuine key, therefore refuses to sign
// the rewrite, loudly: an error in the log, the refusal counted
// (Status.CheckpointRefusals, a metric), and its readiness check failing
// with the reason (ReadyCheck) until it is restarted on a sound stream.
//
// Both helpers below are the only places that read stored checkpoints and
// check consistency, so that a change of the checkpoint's encoding
// touches them alone.

// storedCheckpoint returns the newest checkpoint in the checkpoints
// stream whose signature verifies with key (with the key it names, when
// key is empty): a checkpoint another key signed, or a forgery that names
// key, is passed over.
func (s *Service) storedCheckpoint(ctx context.Context, key string) (audit.Checkpoint, bool, error) {
	var trusted []string
	if key != "" {
		trusted = []string{key}
	}
	var found audit.Checkpoint
	data, _, err := s.sink.LastCheckpoint(ctx, func(data []byte) bool {
		c, err := audit.UnmarshalCheckpoint(data)
		if err != nil {
			return false
		}
		// A note names its key by name and hash only: a projector that
		// does not sign has no key to check it with, and takes it as it
		// is; a signer takes only its own.
		if err := c.Verify(trusted); err != nil && (key != "" || !errors.Is(err, audit.ErrUnpinned)) {
			return false
		}
		if c.Key == "" { // a note: named by the key it verified with, or its origin
			c.Key = key
			if key == "" {
				c.Key = c.Origin
			}
		}
		found = c
		return true
	})
	if err != nil {
		return audit.Checkpoint{}, false, fmt.Errorf("read the last checkpoint of the checkpoints stream: %w", err)
	}
	return found, data != nil, nil
}

// extends proves that the tree now (size and root) is a consistent
// extension of checkpoint c, with a consistency proof from c's size and
// root. The caller holds s.mu.
func (s *Service) extends(c audit.Checkpoint) error {
	size := s.audit.tree.Size()
	if size < c.TreeSize {
		return fmt.Errorf("the tree holds %d events, fewer than the %d of the checkpoint signed by %s at %s (stream sequence %d): events were removed from the stream",
			size, c.TreeSize, c.Key, c.Time.Format(time.RFC3339), c.StreamSeq)
	}
	proof, err := s.audit.tree.ConsistencyProof(c.TreeSize, size)
	var root merkle.Hash
	if err == nil {
		root, err = s.audit.tree.Root()
	}
	if err == nil {
		err = merkle.VerifyConsistency(c.TreeSize, size, c.Root, root, proof)
	}
	if err != nil {
		return fmt.Errorf("the tree of %d events is not an extension of the checkpoint signed by %s at %s (tree size %d, root %s, stream sequence %d): an event up to sequence %d was altered, removed, added or moved (%v)",
			size, c.Key, c.Time.Format(time.RFC3339), c.TreeSize, c.Root, c.StreamSeq, c.StreamSeq, err)
	}
	return nil
}

// ErrRewrite is the class of a refusal to sign: the tree is not an
// extension of the signer's last checkpoint.
var ErrRewrite = errors.New("refusing to sign a checkpoint")

// refuse records and reports a refusal to sign.
func (s *Service) refuse(err error) error {
	err = fmt.Errorf("%w: %w; nothing is signed until the stream is restored (docs/RUNBOOK.md)", ErrRewrite, err)
	s.mu.Lock()
	s.audit.conflict = err
	s.audit.refusals++
	s.mu.Unlock()
	s.log.Error("checkpoint refused: the stream does not extend the last checkpoint signed with this key", "err", err)
	return &events.Error{Code: events.CodeConflict, Message: err.Error(), Err: err}
}

// loadCheckpoint finds the last checkpoint stored, after a start: signed
// with this projector's key when it signs, else with any key whose
// signature verifies. One its tree extends becomes the latest checkpoint
// (LatestCheckpoint, proofs); one it does not is a conflict that fails the
// readiness check.
func (s *Service) loadCheckpoint(ctx context.Context) error {
	key := ""
	if s.opts.Signer != nil {
		key = s.opts.Signer.VerifierKey()
	}
	c, ok, err := s.storedCheckpoint(ctx, key)
	if err != nil || !ok {
		return err
	}
	s.mu.Lock()
	s.audit.found = &c
	cerr := s.extends(c)
	if cerr == nil && (s.audit.last == nil || s.audit.last.TreeSize < c.TreeSize) {
		s.audit.last = &c
	}
	if cerr != nil {
		s.audit.conflict = cerr
	}
	s.mu.Unlock()
	if cerr != nil {
		s.log.Error("the stream does not extend its last checkpoint", "err", cerr)
	}
	return nil
}

// ReadyCheck is the projector's readiness: it has caught up with the
// stream (CaughtUp), its tree extends the last checkpoint found in the
// checkpoints stream, it has not refused to sign, no witness alarm is
// raised (witnessing.go), and the stream is not shorter than that
// checkpoint says it was.
func (s *Service) ReadyCheck(ctx context.Context) error {
	if err := s.CaughtUp(ctx); err != nil {
		return err
	}
	s.mu.RLock()
	conflict, found, size, treeErr := s.audit.conflict, s.audit.found, s.audit.tree.Size(), s.audit.treeErr
	s.mu.RUnlock()
	if treeErr != nil {
		return treeErr
	}
	if conflict != nil {
		return conflict
	}
	if err := s.witnessAlarm(); err != nil {
		return err
	}
	if msg := s.bytesUnsigned(); msg != "" {
		return errors.New(msg)
	}
	if found == nil {
		return nil
	}
	last, err := s.src.LastSeq(ctx)
	if err != nil {
		return fmt.Errorf("cannot read the stream's last sequence: %w", err)
	}
	if last < found.StreamSeq || size < found.TreeSize {
		return fmt.Errorf("the stream ends at sequence %d with %d events in the tree, but its last checkpoint (signed by %s at %s) covers stream sequence %d and %d events: events were removed",
			last, size, found.Key, found.Time.Format(time.RFC3339), found.StreamSeq, found.TreeSize)
	}
	return nil
}
