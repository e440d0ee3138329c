package witness

import (
	"errors"
	"net/http"
)

// The kinds of refusal, each answered with its own HTTP status as C2SP
// tlog-witness prescribes. Errors from [Witness.Add] and [Submit] are
// *Error values that wrap one of them: test with errors.Is.
var (
	// ErrMalformed: the request or its checkpoint cannot be parsed, or its
	// old size is above the checkpoint's size (400 Bad Request).
	ErrMalformed = errors.New("malformed request")
	// ErrUnknownOrigin: the witness is not configured for the checkpoint's
	// origin (404 Not Found).
	ErrUnknownOrigin = errors.New("unknown log origin")
	// ErrUnverified: no signature on the checkpoint verifies with a key the
	// witness trusts for its origin (403 Forbidden).
	ErrUnverified = errors.New("no trusted log signature")
	// ErrConflict: the old size is not the size the witness last cosigned,
	// or the checkpoint has that size but another root hash (409
	// Conflict).
	ErrConflict = errors.New("conflict with the last cosigned checkpoint")
	// ErrBadProof: the consistency proof does not show the checkpoint to
	// extend the one the witness last cosigned (422 Unprocessable Entity).
	ErrBadProof = errors.New("consistency proof does not verify")
	// ErrInternal: the witness failed on its side, for example to persist
	// its state; nothing was cosigned (500 Internal Server Error).
	ErrInternal = errors.New("witness failure")
)

// Error is a refusal: its Kind is one of the Err values above, and its
// message says what was wrong and what to do.
type Error struct {
	Kind error
	Msg  string
	// Size is, when HasSize is set, the tree size the witness last
	// cosigned for the origin (zero if none): a 409 Conflict on the old
	// size carries it, and the log resubmits with a proof from it.
	Size    uint64
	HasSize bool
}

func (e *Error) Error() string { return "witness: " + e.Msg }

// Unwrap returns the kind, for errors.Is.
func (e *Error) Unwrap() error { return e.Kind }

// statuses maps each kind to its HTTP status: the one place where they
// meet.
var statuses = []struct {
	kind   error
	status int
}{
	{ErrMalformed, http.StatusBadRequest},
	{ErrUnknownOrigin, http.StatusNotFound},
	{ErrUnverified, http.StatusForbidden},
	{ErrConflict, http.StatusConflict},
	{ErrBadProof, http.StatusUnprocessableEntity},
	{ErrInternal, http.StatusInternalServerError},
}

// Status returns the HTTP status that answers err: 500 for an error of no
// known kind.
func Status(err error) int {
	for _, s := range statuses {
		if errors.Is(err, s.kind) {
			return s.status
		}
	}
	return http.StatusInternalServerError
}

// kindOf returns the kind of refusal an HTTP status stands for, or nil.
func kindOf(status int) error {
	for _, s := range statuses {
		if s.status == status {
			return s.kind
		}
	}
	return nil
}

func refuse(kind error, msg string) *Error { return &Error{Kind: kind, Msg: msg} }
