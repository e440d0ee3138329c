package projector

import (
	"context"

	"github.com/lexledger/lexledger/projections"
)

// Position is where the projection stands: the answer of GET /v1/projection.
type Position struct {
	LastSeq uint64 `json:"last_seq"` // the last stream sequence applied
	Events  uint64 `json:"events"`
	Behind  uint64 `json:"behind"` // events stored but not yet applied
	Ready   bool   `json:"ready"`  // caught up with the stream at least once
	Version int    `json:"projection_version"`
	Digest  string `json:"digest,omitempty"` // with digest: SHA-256 of the snapshot bytes
	// Scope is the part of the ledger followed: the patterns of act
	// identifiers (eventlog.Scope); absent for the whole ledger. LastSeq
	// and Behind are then of that part's events.
	Scope []string `json:"scope,omitempty"`
}

// Position reads the stream's last sequence and returns where the
// projection stands, with the digest of its snapshot bytes if digest is
// set. Its error is the stream's, when its last sequence cannot be read.
func (s *Service) Position(ctx context.Context, digest bool) (Position, error) {
	behind, _, err := s.Lag(ctx)
	if err != nil {
		return Position{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	pos := Position{LastSeq: s.proj.LastSeq(), Events: s.proj.Events(), Behind: behind, Ready: s.ready, Version: projections.Version,
		Scope: s.opts.Scope.Patterns()}
	if digest {
		pos.Digest = s.proj.Digest()
	}
	return pos, nil
}
