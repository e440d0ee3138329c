package projector

import (
	"context"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
)

// Reconcile runs the reconcile of the state bucket, for benchmarks.
func (s *Service) Reconcile(ctx context.Context) { s.reconcile(ctx) }

// SetFeedClock makes the feed's retries wait by now rather than the
// system's clock; call it before Run.
func (s *Service) SetFeedClock(now func() time.Time) { s.fd.now = now }

// ApplyEntry folds one entry as Run does, before the projector is ready,
// for the memory benchmark: projection, Merkle tree, leaf index and
// subscribers, without a source or a sink.
func (s *Service) ApplyEntry(e eventlog.Entry) error { return s.apply(context.Background(), e, false) }

// OpenTree moves the tree into files (Options.TreeDir) as Run does
// before it applies events, for the memory benchmark.
func (s *Service) OpenTree() error { return s.openTree() }

// Stop does what Run does as it returns, for the restart benchmark.
func (s *Service) Stop() error {
	s.stopTree()
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.audit.treeErr
}

// LeafOfEvent returns the tree's leaf of the applied event id, as a
// proof finds it.
func (s *Service) LeafOfEvent(id events.ID) (uint64, bool) {
	_, leaf, ok := s.locate(id)
	return leaf, ok
}

// StartHistory starts indexing the leaves of a reopened tree before its
// mark, as Run does before it follows the stream.
func (s *Service) StartHistory() { s.startHistory() }
