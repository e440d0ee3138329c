package natsjs

import (
	"context"
	"fmt"

	"github.com/lexledger/lexledger/audit"
)

// Verify is one verification pass over what the servers store, as
// `projector verify` runs it: every message of the ledger's stream, as
// stored, into v (hashes, chains, defects, the Merkle tree), then every
// checkpoint of the checkpoints stream checked against that tree, with
// the time the server stored it. It returns what it saw of the
// checkpoints stream, for v.CompareState and v.State; the policy and the
// remembered state are the caller's to apply. progress, when not nil, is
// called once for each message read. A read that fails or is cancelled
// ends the pass with an error: v then holds what was read before it.
func Verify(ctx context.Context, s *Store, views *Views, v *audit.Verifier, progress func()) (audit.CheckpointStream, error) {
	read := uint64(0)
	for raw, err := range s.ReadRaw(ctx) {
		if err != nil {
			return audit.CheckpointStream{}, fmt.Errorf("replay stopped after sequence %d: %w", read, err)
		}
		v.AddStored(raw.Seq, raw.Subject, raw.Act, raw.Err, raw.Data)
		read = raw.Seq
		if progress != nil {
			progress()
		}
	}
	if err := ctx.Err(); err != nil {
		return audit.CheckpointStream{}, fmt.Errorf("verification cancelled: %w", err)
	}
	cps, err := views.ReadCheckpoints(ctx)
	if err != nil {
		return audit.CheckpointStream{}, fmt.Errorf("read checkpoints: %w", err)
	}
	for _, m := range cps.Checkpoints {
		c, err := audit.UnmarshalCheckpoint(m.Data)
		if err != nil {
			v.Failures = append(v.Failures, audit.Failure{Kind: "checkpoint_signature", Message: fmt.Sprintf("the message at sequence %d of %s is not a readable checkpoint: %v", m.Seq, CheckpointsStream, err)})
			continue
		}
		v.CheckStored(c, m.Time)
	}
	return audit.CheckpointStream{Exists: cps.Exists, Messages: cps.Messages}, nil
}
