package projector

import (
	"context"
	"time"

	"github.com/lexledger/lexledger/eventlog"
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
