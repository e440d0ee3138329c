package projector

import "context"

// Reconcile runs the reconcile of the state bucket, for benchmarks.
func (s *Service) Reconcile(ctx context.Context) { s.reconcile(ctx) }
