package events_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
)

func TestParseID(t *testing.T) {
	const valid = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
	id, err := events.ParseID(valid)
	if err != nil {
		t.Fatalf("ParseID(%q) = %v, want it accepted", valid, err)
	}
	if id.String() != valid || id.IsZero() {
		t.Errorf("ParseID(%q) = %s (zero %v), want the same id, not zero", valid, id, id.IsZero())
	}
	if got := id.Time(); !got.Equal(time.UnixMilli(1469922850259)) {
		t.Errorf("ParseID(%q).Time() = %s, want 2016-07-30T23:54:10.259Z", valid, got.UTC())
	}
	if lower, err := events.ParseID(strings.ToLower(valid)); err != nil || lower != id {
		t.Errorf("ParseID(lower case) = %s, %v; want the same id (Crockford base 32 ignores case)", lower, err)
	}
	if max, err := events.ParseID("7ZZZZZZZZZZZZZZZZZZZZZZZZZ"); err != nil || max.String() != "7ZZZZZZZZZZZZZZZZZZZZZZZZZ" {
		t.Errorf("ParseID(the largest ULID) = %s, %v; want it accepted", max, err)
	}

	for _, s := range []string{
		"",
		valid[:25],
		valid + "0",
		"01ARZ3NDEKTSV4RRFFQ69G5FAU", // U is not in Crockford's alphabet
		"01ARZ3NDEKTSV4RRFFQ69G5FAI",
		"01ARZ3NDEKTSV4RRFFQ69G5FAL",
		"01ARZ3NDEKTSV4RRFFQ69G5FAO",
		"8ZZZZZZZZZZZZZZZZZZZZZZZZZ", // more than 128 bits
		"01ARZ3NDEKTSV4RRFFQ69G5FA ",
		" 01ARZ3NDEKTSV4RRFFQ69G5FA",
		"01ARZ3NDEKTSV4RRFFQ69G5FA-",
		"01ARZ3NDEKTSV4RRFFQ69G5FAé",
		"01ARZ3ND-EKTSV4RRFFQ69G5FA",
		"00000000-0000-0000-0000-000000000000",
	} {
		t.Run(s, func(t *testing.T) {
			got, err := events.ParseID(s)
			mustCode(t, "ParseID("+s+")", err, events.CodeInvalid, "is not a ULID (26 characters of Crockford base 32", "omit it to let the ledger assign one")
			if !got.IsZero() {
				t.Errorf("ParseID(%q) returned %s with its error, want the zero id", s, got)
			}
		})
	}
}

func TestIDText(t *testing.T) {
	var v struct {
		ID events.ID `json:"id"`
	}
	if err := json.Unmarshal([]byte(`{"id":"01ARZ3NDEKTSV4RRFFQ69G5FAV"}`), &v); err != nil {
		t.Fatalf("json.Unmarshal = %v", err)
	}
	out, err := json.Marshal(v)
	if err != nil || string(out) != `{"id":"01ARZ3NDEKTSV4RRFFQ69G5FAV"}` {
		t.Errorf("json.Marshal = %s, %v; want the 26-character form", out, err)
	}
	if err := json.Unmarshal([]byte(`{"id":"nope"}`), &v); events.ErrorCode(err) != events.CodeInvalid {
		t.Errorf("json.Unmarshal(a bad id) = %v, want CodeInvalid", err)
	}
	if !(events.ID{}).IsZero() {
		t.Errorf("the zero ID is not zero")
	}
}

func TestNewIDIsStrictlyIncreasing(t *testing.T) {
	const n = 10000
	prev := events.NewID()
	seen := map[events.ID]bool{prev: true}
	start := time.Now().Add(-time.Second)
	for i := 0; i < n; i++ {
		id := events.NewID()
		if bytes.Compare(id[:], prev[:]) <= 0 || id.String() <= prev.String() {
			t.Fatalf("NewID() call %d gave %s after %s, want a strictly greater id", i, id, prev)
		}
		if seen[id] {
			t.Fatalf("NewID() call %d repeated %s", i, id)
		}
		seen[id] = true
		if id.IsZero() {
			t.Fatalf("NewID() gave the zero id")
		}
		if _, err := events.ParseID(id.String()); err != nil {
			t.Fatalf("ParseID(NewID().String()) = %v", err)
		}
		prev = id
	}
	if ts := prev.Time(); ts.Before(start) || ts.After(time.Now().Add(time.Second)) {
		t.Errorf("NewID().Time() = %s, want about now", ts)
	}
}
