package natsjs

import (
	"context"
	"iter"
	"time"

	"github.com/lexledger/lexledger/eventlog"
)

// ThroughImport returns a copy of s that reads as a store found through
// another account's import does (message gets, no consumer), so
// that tests on one account cover both ways of reading.
func ThroughImport(s *Store) *Store {
	c := *s
	c.direct = true
	return &c
}

// FollowWith is Follow with last standing for the stream's last sequence,
// stalled after stall.
func FollowWith(s *Store, ctx context.Context, from uint64, stall time.Duration, last func(context.Context) (uint64, error)) iter.Seq2[eventlog.Entry, error] {
	return s.follow(ctx, from, nil, last, stall)
}
