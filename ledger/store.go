package ledger

import (
	"context"
	"errors"
	"time"

	"github.com/lexledger/lexledger/events"
)

// Store is the event store under the ledger: an append-only log with one
// ordered sub-log per act and per-act optimistic concurrency. Package natsjs
// implements it on NATS JetStream.
type Store interface {
	// Append writes msgs atomically and in order: all of them or none. A
	// message with Expect set is written only if the act's last stored event
	// has stream sequence ExpectSeq (0: the act has no event). It returns the
	// stream sequence and record time of each message. Errors: ErrConflict
	// (an expectation failed, or an id was already stored within the store's
	// duplicate window), ErrUnavailable, or another error whose outcome is
	// unknown.
	Append(ctx context.Context, msgs []Message) ([]Stored, error)
	// AppendEach writes msgs independently, pipelined: each lands or fails
	// on its own, with the errors of Append.
	AppendEach(ctx context.Context, msgs []Message) []Result
	// Load returns the act's events with stream sequence greater than after,
	// in order.
	Load(ctx context.Context, act events.ActID, after uint64) ([]Stored, error)
}

// Message is one event to append.
type Message struct {
	Event     *events.Event
	Data      []byte // the event's encoding
	Expect    bool   // check ExpectSeq
	ExpectSeq uint64 // the act's last stream sequence, 0 for none
}

// Result is the outcome of one message of AppendEach.
type Result struct {
	Stored Stored
	Err    error
}

// Stored is an event as the store holds it.
type Stored struct {
	Seq   uint64    // stream sequence
	Time  time.Time // the store's own timestamp
	Event events.Event
}

// Position is where a replay of the whole stream starts: a stream sequence
// or a record time.
type Position struct {
	Seq  uint64    // the first sequence to read; 0 or 1 for the beginning
	Time time.Time // when set, the first event stored at or after it
}

// Errors a Store returns, to be matched with errors.Is.
var (
	ErrConflict    = errors.New("the act changed since it was read")
	ErrUnavailable = errors.New("the event store is unavailable")
	ErrClosed      = errors.New("the ledger is closed")
)
