package eventlog

import (
	"time"

	"github.com/lexledger/lexledger/events"
)

// Entry is one event at its place in the log: its stream sequence, its
// version within its act when the reader knows it, and the store's own
// record time when the reader has it.
//
// Its JSON is the wire form of a recorded event, field names append-only:
// an act's history lists {"version", "sequence", "event"}, and GET
// /v1/events answers lines of {"sequence", "stored_at", "event"}. The
// fields that a reader does not know (Version 0, a zero StoredAt) are left
// out. A message that is not a valid event of its act is an entry with a
// Defect and no event: {"sequence", "stored_at", "defect"}.
type Entry struct {
	// Version is the event's position within its act, 1 for the act's
	// first event; 0 when unknown (a read of the whole stream).
	Version uint64 `json:"version,omitempty"`
	// Seq is the event's stream sequence, from 1.
	Seq uint64 `json:"sequence"`
	// StoredAt is the store's own timestamp of the event, zero when the
	// store did not say (an acknowledged append).
	StoredAt time.Time    `json:"stored_at,omitzero"`
	Event    events.Event `json:"event,omitzero"`
	// Defect is set, and Event zero, when the message stored at Seq is not
	// a readable, well-sealed event of its act (Inspect, Chain): readers
	// yield it instead of stopping, and every view leaves it out.
	Defect *Defect `json:"defect,omitempty"`
}
