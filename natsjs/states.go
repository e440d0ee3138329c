package natsjs

import (
	"context"
	"errors"
	"strings"

	"github.com/lexledger/lexledger/events"
	"github.com/nats-io/nats.go/jetstream"
)

// EachState calls fn with the act and value of every state the state
// bucket holds now, in one pass over the bucket (a watcher that delivers
// the latest value of each key). A key that names no act, which the
// projector never writes, is skipped.
func (v *Views) EachState(ctx context.Context, fn func(act events.ActID, data []byte)) error {
	if v.kv == nil {
		return nil // opened for reading before the bucket existed
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := v.kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return mapError(err)
	}
	defer w.Stop()
	for {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				return errors.New("state bucket: the watcher stopped before it delivered every state")
			}
			if e == nil {
				return nil // every state delivered
			}
			act, err := events.ActIDFromTokens(strings.Split(e.Key(), "."))
			if err != nil {
				continue
			}
			fn(act, e.Value())
		case <-ctx.Done():
			return mapError(ctx.Err())
		}
	}
}

// DeleteStates removes acts' states from the state bucket. It returns the
// first error, after trying every act.
func (v *Views) DeleteStates(ctx context.Context, acts []events.ActID) error {
	var first error
	for _, act := range acts {
		if err := v.kv.Delete(ctx, actKey(act)); err != nil && first == nil {
			first = mapError(err)
		}
	}
	return first
}
