package events

import (
	"errors"
	"fmt"
)

// Code classifies an error for the clerk and for transports, which answer
// with the code's Status: as the HTTP status, and as the error code of the
// NATS service. Codes are append-only.
type Code string

// The error codes.
const (
	CodeInvalid     Code = "invalid"        // the request is malformed: fix it and send again
	CodeConflict    Code = "conflict"       // the act moved on: read it again and decide
	CodeRule        Code = "rule_violation" // a lifecycle rule forbids the step
	CodeNotFound    Code = "not_found"      // no such act or event
	CodeTooLarge    Code = "too_large"      // the request exceeds a size limit
	CodeUnavailable Code = "unavailable"    // the engine cannot be reached: try again later
	CodeInternal    Code = "internal"       // a defect: report it
	// CodeStreamWeakened: the events stream was changed so that events
	// could be lost or admitted, or deleted; nothing is recorded until an
	// admin restores it. Retry later with the same ids.
	CodeStreamWeakened Code = "stream_weakened"
	// CodeOutOfScope: the reader follows part of the ledger and the act
	// is outside it; ask a reader that follows it, or the whole ledger.
	CodeOutOfScope Code = "out_of_scope"
)

// The statuses of the codes: HTTP's numbers, written here so that this
// package needs no net/http. The NATS service answers with the same ones.
const (
	statusBadRequest         = 400
	statusNotFound           = 404
	statusConflict           = 409
	statusMisdirected        = 421
	statusTooLarge           = 413
	statusUnprocessable      = 422
	statusInternal           = 500
	statusServiceUnavailable = 503
)

// Status returns the status that transports answer an error of code c
// with: the HTTP status, and the NATS service's error code. It is the one
// place where codes meet statuses; an unknown code is 500.
func (c Code) Status() int {
	switch c {
	case CodeInvalid:
		return statusBadRequest
	case CodeConflict:
		return statusConflict
	case CodeRule:
		return statusUnprocessable
	case CodeNotFound:
		return statusNotFound
	case CodeOutOfScope:
		return statusMisdirected
	case CodeTooLarge:
		return statusTooLarge
	case CodeUnavailable, CodeStreamWeakened:
		return statusServiceUnavailable
	}
	return statusInternal
}

// Error is the one error type that a person can cause, and the kind that
// every error a transport answers with is given. Its Message says what was
// wrong and what to do about it; Err, when set, is the cause, which
// errors.Is and errors.As see through Unwrap (a store's
// eventlog.ErrUnavailable under CodeUnavailable, say).
type Error struct {
	Code    Code
	Rule    Rule   // the lifecycle rule broken, with CodeRule
	Message string // a sentence for the clerk
	Act     ActID  // the act concerned, when there is one
	// Current is the act's version at the time of a conflict.
	Current uint64
	// Index is the 1-based position of the offending event in a batch, 0
	// when the request held one event.
	Index int
	// Err is the cause, if any. It is not shown to the clerk beyond what
	// Message says.
	Err error
}

// Error returns Message, or the cause's text when there is no message.
func (e *Error) Error() string {
	if e.Message == "" && e.Err != nil {
		return e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, CodeInternal
// when there is none, and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// Rule names a lifecycle rule. Rule names are append-only: clients and
// metrics key on them.
type Rule string

// The lifecycle rules. The seven numbered ones are the minimum; the rest make
// the record coherent. docs/EVENTS.md explains each.
const (
	RuleSignedBeforeAdopted   Rule = "signed_before_adopted"   // 1
	RuleAfterVeto             Rule = "after_veto"              // 1
	RuleAfterTermination      Rule = "after_termination"       // 2
	RuleActNotFound           Rule = "act_not_found"           // 3
	RuleRetroactiveUnflagged  Rule = "retroactive_unflagged"   // 4
	RuleValidTimeOrder        Rule = "valid_time_order"        // 5
	RuleNoActiveSuspension    Rule = "no_active_suspension"    // 5
	RuleAfterRepeal           Rule = "after_repeal"            // 6
	RuleRecordImmutable       Rule = "record_immutable"        // 7
	RuleActExists             Rule = "act_exists"              // a second creation
	RuleDuplicateStep         Rule = "duplicate_step"          // adopted, signed, ... twice
	RuleStepOrder             Rule = "step_order"              // a step dated before the step it follows
	RulePublishedBeforeSigned Rule = "published_before_signed" // a bill published before assent
	RuleNotAdopted            Rule = "not_adopted"             // an effect on a bill that is not law
	RuleWrongKind             Rule = "wrong_kind"              // ratification of a non-treaty, passage of a decree
	RuleTargetNotFound        Rule = "target_not_found"        // a correction or retraction of an unknown event
	RuleInconsistentRecord    Rule = "inconsistent_record"     // a correction that would break an earlier rule
	RuleAlreadyAdopted        Rule = "already_adopted"         // withdrawn, rejected or lapsed after adoption
	RuleNoVeto                Rule = "no_veto"                 // a veto overridden that was never made
	RuleNotEnded              Rule = "not_ended"               // re-enactment of an act still in force
	RuleFirstEvent            Rule = "first_event"             // title and kind belong to the first event
	RuleTextChange            Rule = "text_change"             // a textual change that does not apply to the text of its day
	// RuleIDUsed comes with CodeConflict, not CodeRule: an event id already
	// names another event (on another act, or with other content).
	RuleIDUsed Rule = "id_used"
)

// ruleError returns a CodeRule error about act.
func ruleError(rule Rule, act ActID, format string, args ...any) *Error {
	return &Error{Code: CodeRule, Rule: rule, Act: act, Message: fmt.Sprintf(format, args...)}
}
