package eventlog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lexledger/lexledger/events"
)

// Store is the event store under the ledger: an append-only log with one
// ordered sub-log per act and per-act optimistic concurrency, in which an
// event id names one event for ever. Package natsjs implements it on NATS
// JetStream.
//
// Ids are claimed: before a message is written, the store records its
// event id with its act and content (a Claim), unless the id was claimed
// before. An id claimed for another act or other content is refused with
// an *IDUsedError; one claimed for the same act and content (a retry, or
// an attempt that stopped between its claim and its event) is written like
// any other message, its expectation deciding. The per-act expectation is
// what stops a retry from storing an event twice; the claim is what stops
// one id from naming two events, on one act or two, whatever the writers.
type Store interface {
	// Append writes msgs atomically and in order: all of them or none. A
	// message with Expect set is written only if the act's last stored event
	// has stream sequence ExpectSeq (0: the act has no event). It returns the
	// stream sequence of each message (Entry.Version is left 0). Errors wrap
	// ErrConflict (an expectation failed; nothing was written), ErrIDUsed
	// (an *IDUsedError: an id is taken; none of msgs was written, although
	// the claims of the others may have been) or ErrUnavailable; any other
	// error leaves the outcome unknown. The ids of msgs are distinct.
	Append(ctx context.Context, msgs []Message) ([]Entry, error)
	// AppendEach writes msgs independently, pipelined: each lands or fails
	// on its own, with the errors of Append (an *IDUsedError's Used names
	// only that message).
	AppendEach(ctx context.Context, msgs []Message) []Result
	// Load returns the act's events with stream sequence greater than after,
	// in order, with their StoredAt (Version is left 0). Errors wrap
	// ErrUnavailable, or say that the stream holds something unreadable.
	Load(ctx context.Context, act events.ActID, after uint64) ([]Entry, error)
}

// SeqLoader is a Store that can also read an act's events by their stream
// sequences, when the caller knows them: the engine then reads only where
// those events are, not every part of the log between the act's first
// event and its last (issue 15: in JetStream a read by subject visits each
// 8 MiB block between them).
type SeqLoader interface {
	// LoadSeqs returns the events of act at stream sequences seqs, in
	// their order, with their StoredAt (Version is left 0). It fails,
	// writing nothing, when a sequence holds no message, a message of
	// another act, or one that is not a readable event: the caller then
	// reads the act with Load, which says what the log holds.
	LoadSeqs(ctx context.Context, act events.ActID, seqs []uint64) ([]Entry, error)
}

// Message is one event to append.
type Message struct {
	Event     *events.Event
	Data      []byte // the event's encoding
	Expect    bool   // check ExpectSeq
	ExpectSeq uint64 // the act's last stream sequence, 0 for none
	// Content is the event's Event.ContentDigest, what its id is claimed
	// with; the store computes it when it is zero.
	Content events.Digest
}

// Claim says what an event id was first used for: the act and the content
// (Event.ContentDigest) of its event.
type Claim struct {
	ID      events.ID     `json:"id"`
	Act     events.ActID  `json:"act"`
	Content events.Digest `json:"content"`
}

// IDUsedError is the refusal of messages whose event ids are claimed by
// other events. It matches ErrIDUsed.
type IDUsedError struct {
	Used []UsedID
}

// UsedID is one refused message: its index in the call's msgs, and the
// claim that holds its id.
type UsedID struct {
	Index int
	Held  Claim
}

func (e *IDUsedError) Error() string {
	if len(e.Used) == 0 {
		return ErrIDUsed.Error()
	}
	u := e.Used[0]
	more := ""
	if len(e.Used) > 1 {
		more = fmt.Sprintf(" (and %d more)", len(e.Used)-1)
	}
	return fmt.Sprintf("%v: event id %s is claimed by an event of %s%s", ErrIDUsed, u.Held.ID, u.Held.Act, more)
}

// Is reports whether target is ErrIDUsed.
func (e *IDUsedError) Is(target error) bool { return target == ErrIDUsed }

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
	// ErrIDUsed: an event id is claimed by another event, of another act
	// or with other content (an *IDUsedError says which). Nothing of the
	// refused messages was written; give a new event a new id.
	ErrIDUsed = errors.New("the event id names another event")
	// ErrUnavailable: the store did not answer, or answered that it cannot
	// serve the request now. Retrying later with the same event ids is safe.
	ErrUnavailable = errors.New("the event store is unavailable")
	// ErrForbidden: the engine refused a write because this process's user
	// may not publish there (its permissions). Retrying does not help until
	// an admin changes them.
	ErrForbidden = errors.New("not permitted to write there")
)
