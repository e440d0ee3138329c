package natsjs

import (
	"context"
	"iter"

	"github.com/lexledger/lexledger/eventlog"
)

// Follow delivers the stream from sequence from (1 for the beginning) and
// keeps delivering new events as they are stored, in order, until ctx ends
// or an error occurs. It is the projector's source: an ordered consumer,
// recreated by the client library after a disconnection without gaps or
// repeats. A message that is not a readable, sealed event of its act is
// delivered as an entry with a Defect (eventlog.Inspect), and the
// following goes on; its place in its act's chain is the follower's to
// check (eventlog.Chain).
func (s *Store) Follow(ctx context.Context, from uint64) iter.Seq2[eventlog.Entry, error] {
	return s.follow(ctx, from, nil)
}
