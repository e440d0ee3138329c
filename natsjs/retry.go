package natsjs

import (
	"context"
	"time"
)

// readTry is the time a try of a read from the stream is given before the
// read is sent again. The first readTries tries are given readTry each: a
// leader elected while one waits (an election takes 5 to 7 s) answers the
// next. Then each try is given readTry longer than the one before (a read
// that is only slow is given more), until the read's context ends.
//
// A read that nobody answers waits for nothing: a direct get is answered
// by one of the stream's replicas, chosen at random by the servers, and a
// replica whose process hangs (paused, its host frozen) never answers
// while the other servers still count its routes, for as long as it
// hangs; a message get is answered by the stream's leader, and for a few
// seconds after an election or a restart there is none. Before tries, the
// ledger's sequencer waited out its whole read timeout (ten seconds)
// there, holding every append behind it: after a 45-second pause of the
// leader's node appends came back after 16 to 33 seconds, and after a
// quorum loss 6 to 23 seconds after the nodes were back (RELIABILITY.md,
// Jepsen-style runs).
var readTry = time.Second

// readTries is how many tries are given readTry alone.
const readTries = 6

// retried calls read with a context that ends after a try's time, and
// again whenever that try's time ran out, until read returns before its
// try's end or ctx ends. read must be a read: it may be sent several
// times.
func retried[T any](ctx context.Context, read func(context.Context) (T, error)) (T, error) {
	try := readTry
	for n := 1; ; n++ {
		tctx, cancel := context.WithTimeout(ctx, try)
		v, err := read(tctx)
		timedOut := tctx.Err() != nil
		cancel()
		if err == nil || !timedOut || ctx.Err() != nil {
			return v, err
		}
		if n >= readTries {
			try += readTry
		}
	}
}
