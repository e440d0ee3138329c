package events_test

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/lexledger/lexledger/events"
)

func TestErrorCode(t *testing.T) {
	e := events.Errorf(events.CodeConflict, "act %s moved on to version %d", law, 7)
	for _, c := range []struct {
		name string
		err  error
		want events.Code
	}{
		{"no error has no code", nil, ""},
		{"an *Error has its code", e, events.CodeConflict},
		{"a wrapped *Error has its code", fmt.Errorf("append %s: %w", law, e), events.CodeConflict},
		{"any other error is internal", io.EOF, events.CodeInternal},
		{"a plain error is internal", errors.New("disk full"), events.CodeInternal},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := events.ErrorCode(c.err); got != c.want {
				t.Errorf("ErrorCode(%v) = %q, want %q", c.err, got, c.want)
			}
		})
	}
	if want := "act " + string(law) + " moved on to version 7"; e.Error() != want || e.Message != want {
		t.Errorf("Errorf gave %q, want %q", e.Error(), want)
	}
}

// TestCodeAndRuleNamesAreAppendOnly fails when a persisted name changes:
// clients, transports and metrics key on them.
func TestCodeAndRuleNamesAreAppendOnly(t *testing.T) {
	codes := map[events.Code]string{
		events.CodeInvalid: "invalid", events.CodeConflict: "conflict", events.CodeRule: "rule_violation",
		events.CodeNotFound: "not_found", events.CodeTooLarge: "too_large", events.CodeUnavailable: "unavailable",
		events.CodeInternal: "internal",
	}
	for c, want := range codes {
		if string(c) != want {
			t.Errorf("an error code is now %q, want %q: codes are never renamed", c, want)
		}
	}
	rules := map[events.Rule]string{
		events.RuleSignedBeforeAdopted:   "signed_before_adopted",
		events.RuleAfterVeto:             "after_veto",
		events.RuleAfterTermination:      "after_termination",
		events.RuleActNotFound:           "act_not_found",
		events.RuleRetroactiveUnflagged:  "retroactive_unflagged",
		events.RuleValidTimeOrder:        "valid_time_order",
		events.RuleNoActiveSuspension:    "no_active_suspension",
		events.RuleAfterRepeal:           "after_repeal",
		events.RuleRecordImmutable:       "record_immutable",
		events.RuleActExists:             "act_exists",
		events.RuleDuplicateStep:         "duplicate_step",
		events.RuleStepOrder:             "step_order",
		events.RulePublishedBeforeSigned: "published_before_signed",
		events.RuleNotAdopted:            "not_adopted",
		events.RuleWrongKind:             "wrong_kind",
		events.RuleTargetNotFound:        "target_not_found",
		events.RuleInconsistentRecord:    "inconsistent_record",
		events.RuleAlreadyAdopted:        "already_adopted",
		events.RuleNoVeto:                "no_veto",
		events.RuleNotEnded:              "not_ended",
		events.RuleFirstEvent:            "first_event",
		events.RuleTextChange:            "text_change",
		events.RuleIDUsed:                "id_used",
	}
	if len(rules) != 23 {
		t.Errorf("%d distinct rules, want 23: two rule constants share a name", len(rules))
	}
	for r, want := range rules {
		if string(r) != want {
			t.Errorf("a rule is now %q, want %q: rule names are never renamed", r, want)
		}
	}
}

// An *Error wraps its cause: errors.Is and errors.As see through it, and
// its text is the message, or the cause's when there is no message.
func TestErrorUnwrap(t *testing.T) {
	cause := errors.New("the event store is unavailable")
	e := &events.Error{Code: events.CodeUnavailable, Message: "try again later", Err: fmt.Errorf("%w: timeout", cause)}
	wrapped := fmt.Errorf("append %s: %w", law, e)
	if !errors.Is(wrapped, cause) {
		t.Errorf("errors.Is(%v, cause) is false through an *Error", wrapped)
	}
	if got := events.ErrorCode(wrapped); got != events.CodeUnavailable {
		t.Errorf("ErrorCode = %q, want unavailable", got)
	}
	if e.Error() != "try again later" {
		t.Errorf("Error() = %q, want the message", e.Error())
	}
	if bare := (&events.Error{Code: events.CodeInternal, Err: cause}); bare.Error() != cause.Error() {
		t.Errorf("Error() without a message = %q, want the cause's %q", bare.Error(), cause.Error())
	}
}

// Each code has one status, the HTTP status that both transports answer
// with; the numbers are HTTP's.
func TestCodeStatus(t *testing.T) {
	for code, want := range map[events.Code]int{
		events.CodeInvalid: 400, events.CodeNotFound: 404, events.CodeConflict: 409,
		events.CodeTooLarge: 413, events.CodeRule: 422, events.CodeInternal: 500,
		events.CodeUnavailable: 503, "no_such_code": 500,
	} {
		if got := code.Status(); got != want {
			t.Errorf("%s.Status() = %d, want %d", code, got, want)
		}
	}
}
