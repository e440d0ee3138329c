package events

import (
	"crypto/rand"
	"encoding/json"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// SchemaVersion is the version of the event encoding that this code writes.
// Every version ever written stays readable: testdata/v1 and testdata/v2
// hold recorded events that Decode must keep accepting.
//
//	1  the first encoding
//	2  adds prev_hash and hash: each event chained to its act's previous one
const SchemaVersion = 2

// Event is one immutable step in the life of an act. The JSON names are
// append-only.
type Event struct {
	Schema int   `json:"schema"`
	ID     ID    `json:"id"`   // the idempotency key of the append
	Act    ActID `json:"act"`  // the act concerned
	Type   Type  `json:"type"` // see Types
	// Date is the legal date of the step, to the precision known.
	Date Date `json:"date"`
	// Valid time, where the type has it: [EffectiveFrom, EffectiveTo).
	EffectiveFrom Date `json:"effective_from,omitzero"`
	EffectiveTo   Date `json:"effective_to,omitzero"`
	// Retroactive allows EffectiveFrom before the act's adoption.
	Retroactive bool `json:"retroactive,omitempty"`
	// Instrument is the act that caused this step: the amending or repealing
	// act, the ratifying law.
	Instrument ActID `json:"instrument,omitempty"`
	// Provisions are the Akoma Ntoso eIds concerned; none means the whole act.
	Provisions []string `json:"provisions,omitempty"`
	Body       Body     `json:"body,omitzero"`
	// Set by the ledger, never by the client.
	RecordedAt time.Time `json:"recorded_at,omitzero"`
	RecordedBy string    `json:"recorded_by,omitempty"`
	// The act's hash chain (schema 2), set by the ledger: PrevHash is the
	// hash of the act's previous event (zero for its first), Hash this
	// event's hash (see Event.ComputeHash). Hash is the last field, so that
	// the encoding with it is the encoding without it plus the field.
	PrevHash Digest `json:"prev_hash,omitzero"`
	Hash     Digest `json:"hash,omitzero"`
}

// Body holds the type-specific fields. Which ones a type requires or allows
// is in its Spec.
type Body struct {
	Title        string            `json:"title,omitempty"`
	Kind         Kind              `json:"kind,omitempty"`
	Summary      string            `json:"summary,omitempty"`
	DraftingBody string            `json:"drafting_body,omitempty"`
	Chamber      string            `json:"chamber,omitempty"`
	Reading      string            `json:"reading,omitempty"`
	Signatory    string            `json:"signatory,omitempty"`
	Gazette      string            `json:"gazette,omitempty"` // gazette and number
	Effect       AmendmentEffect   `json:"effect,omitempty"`
	Texts        map[string]string `json:"texts,omitempty"` // eId -> text
	Reason       string            `json:"reason,omitempty"`
	Note         string            `json:"note,omitempty"`
	ELI          string            `json:"eli,omitempty"`
	Corrects     ID                `json:"corrects,omitzero"`
	// Correction holds the corrected values of the event named by Corrects,
	// as a JSON object with the event's own field names (body fields under
	// "body"). See ApplyCorrection.
	Correction json.RawMessage `json:"correction,omitempty"`
	Retracts   ID              `json:"retracts,omitzero"`
	// Structure is the act's text as a tree of provisions: the text as
	// drafted, introduced or adopted (the enacted text), the latest
	// recorded replacing the ones before. docs/TEXT.md.
	Structure []Node `json:"structure,omitempty"`
	// Changes are an amendment's textual changes to its act, in order.
	Changes []Change `json:"changes,omitempty"`
}

var (
	idMu      sync.Mutex
	idEntropy = ulid.Monotonic(rand.Reader, 0)
)

// ID is an event identifier: a ULID, sortable by creation time, and the
// idempotency key of an append. Its text form is 26 Crockford base-32
// characters.
type ID ulid.ULID

// NewID returns a new ID, strictly increasing within the process.
func NewID() ID {
	idMu.Lock()
	defer idMu.Unlock()
	return ID(ulid.MustNew(ulid.Timestamp(time.Now()), idEntropy))
}

// ParseID parses the 26-character text form strictly.
func ParseID(s string) (ID, error) {
	u, err := ulid.ParseStrict(s)
	if err != nil {
		return ID{}, Errorf(CodeInvalid, "event id %q is not a ULID (26 characters of Crockford base 32, such as 01ARZ3NDEKTSV4RRFFQ69G5FAV): omit it to let the ledger assign one", clip(s))
	}
	return ID(u), nil
}

// String returns the 26-character form.
func (id ID) String() string { return ulid.ULID(id).String() }

// IsZero reports whether id is the zero ID (none given).
func (id ID) IsZero() bool { return id == ID{} }

// Time returns the creation time encoded in id, to the millisecond.
func (id ID) Time() time.Time { return ulid.ULID(id).Timestamp() }

// MarshalText returns the 26-character form.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText parses strictly with ParseID.
func (id *ID) UnmarshalText(b []byte) error {
	v, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// has reports whether field f is set on e.
func (e *Event) has(f Field) bool {
	b := &e.Body
	switch f {
	case FEffectiveFrom:
		return !e.EffectiveFrom.IsZero()
	case FEffectiveTo:
		return !e.EffectiveTo.IsZero()
	case FRetroactive:
		return e.Retroactive
	case FInstrument:
		return e.Instrument != ""
	case FProvisions:
		return len(e.Provisions) > 0
	case FTitle:
		return b.Title != ""
	case FKind:
		return b.Kind != ""
	case FSummary:
		return b.Summary != ""
	case FDraftingBody:
		return b.DraftingBody != ""
	case FChamber:
		return b.Chamber != ""
	case FReading:
		return b.Reading != ""
	case FSignatory:
		return b.Signatory != ""
	case FGazette:
		return b.Gazette != ""
	case FEffect:
		return b.Effect != ""
	case FTexts:
		return len(b.Texts) > 0
	case FStructure:
		return len(b.Structure) > 0
	case FChanges:
		return len(b.Changes) > 0
	case FReason:
		return b.Reason != ""
	case FNote:
		return b.Note != ""
	case FELI:
		return b.ELI != ""
	case FCorrects:
		return !b.Corrects.IsZero()
	case FCorrection:
		return len(b.Correction) > 0
	case FRetracts:
		return !b.Retracts.IsZero()
	}
	return false
}

var allFields = []Field{FEffectiveFrom, FEffectiveTo, FRetroactive, FInstrument, FProvisions,
	FTitle, FKind, FSummary, FDraftingBody, FChamber, FReading, FSignatory, FGazette, FEffect,
	FTexts, FReason, FNote, FELI, FCorrects, FCorrection, FRetracts, FStructure, FChanges}
