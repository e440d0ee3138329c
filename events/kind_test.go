package events_test

import (
	"testing"

	"github.com/lexledger/lexledger/events"
)

// TestUKActIsRecordedAsAnAct: a UK Act of Parliament is recorded with the
// kind "act", goes through passage like a law, and validates.
func TestUKActIsRecordedAsAnAct(t *testing.T) {
	doc := `{"schema":2,"id":"01KZSEED000000000000000001","act":"/akn/uk/act/ukpga/1998/42","type":"adopted","date":"1998-11-09","body":{"title":"Human Rights Act 1998","kind":"act"}}`
	e, err := events.Decode([]byte(doc))
	if err != nil {
		t.Fatalf("Decode(a UK Act): %v, want it accepted", err)
	}
	if err := events.Validate(nil, e); err != nil {
		t.Fatalf("Validate(a UK Act): %v, want it accepted", err)
	}
	if !events.ValidKind("act") || !events.HasPassage("act") {
		t.Errorf("kind act: valid %v, passage %v; want both", events.ValidKind("act"), events.HasPassage("act"))
	}
}

// TestUnspecifiedAmendment: an amendment whose kind of change is not known
// is recorded as such, not as a substitution.
func TestUnspecifiedAmendment(t *testing.T) {
	doc := `{"act":"/akn/kz/act/code/1997-07-16/167","type":"amended","date":"2009-12-10","effective_from":"2009-12-10","instrument":"/akn/kz/act/2009-12-10/judicial-system-improvement","body":{"effect":"unspecified"}}`
	e, err := events.Decode([]byte(doc))
	if err != nil {
		t.Fatalf("Decode(an unspecified amendment): %v, want it accepted", err)
	}
	if e.Body.Effect != events.Unspecified {
		t.Errorf("effect %q, want unspecified", e.Body.Effect)
	}
}
