package projector

import (
	"context"
	"time"
)

// Reconcile runs the reconcile of the state bucket, for benchmarks.
func (s *Service) Reconcile(ctx context.Context) { s.reconcile(ctx) }

// SetFeedClock makes the feed's retries wait by now rather than the
// system's clock; call it before Run.
func (s *Service) SetFeedClock(now func() time.Time) { s.fd.now = now }
