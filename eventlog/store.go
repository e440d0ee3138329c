package eventlog

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
	// stream sequence of each message (Entry.Version is left 0). Errors wrap
	// ErrConflict (an expectation failed, or an id was already stored within
	// the store's duplicate window; nothing was written) or ErrUnavailable;
	// any other error leaves the outcome unknown.
	Append(ctx context.Context, msgs []Message) ([]Entry, error)
	// AppendEach writes msgs independently, pipelined: each lands or fails
	// on its own, with the errors of Append.
	AppendEach(ctx context.Context, msgs []Message) []Result
	// Load returns the act's events with stream sequence greater than after,
	// in order, with their StoredAt (Version is left 0). Errors wrap
	// ErrUnavailable, or say that the stream holds something unreadable.
	Load(ctx context.Context, act events.ActID, after uint64) ([]Entry, error)
}

// Message is one event to append.
type Message struct {
	Event     *events.Event
	Data      []byte // the event's encoding
	Expect    bool   // check ExpectSeq
	ExpectSeq uint64 // the act's last stream sequence, 0 for none
}

// Result is the outcome of one message of AppendEach: Entry when Err is nil.
type Result struct {
	Entry Entry
	Err   error
}

// Position is where a replay of the whole stream starts: a stream sequence
// or a record time.
type Position struct {
	Seq  uint64    // the first sequence to read; 0 or 1 for the beginning
	Time time.Time // when set, the first event stored at or after it
}

// Errors a Store returns, wrapped with their cause; match them with
// errors.Is. The ledger gives them their kinds (events.CodeConflict,
// events.CodeUnavailable) when it answers a clerk, keeping them as causes.
var (
	// ErrConflict: the store refused a write because an act's last
	// sequence was not the expected one. Nothing was written; read the act
	// again and decide again.
	ErrConflict = errors.New("the act changed since it was read")
	// ErrUnavailable: the store did not answer, or answered that it cannot
	// serve the request now. Retrying later with the same event ids is safe.
	ErrUnavailable = errors.New("the event store is unavailable")
)
