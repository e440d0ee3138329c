package events_test

import (
	"os"
	"strings"
	"testing"

	"github.com/lexledger/lexledger/events"
)

// TestEventsDocEnvelope: the envelope that docs/EVENTS.md shows is an event
// as the ledger stores it today: it decodes, its schema is the one written
// (SchemaVersion), and its hash is its own.
func TestEventsDocEnvelope(t *testing.T) {
	data, err := os.ReadFile("../docs/EVENTS.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	_, after, ok := strings.Cut(doc, "## The envelope")
	if !ok {
		t.Fatal("docs/EVENTS.md has no section \"The envelope\"")
	}
	_, after, ok = strings.Cut(after, "```json\n")
	block, _, ok2 := strings.Cut(after, "```")
	if !ok || !ok2 {
		t.Fatal("the envelope section has no JSON example")
	}
	e, err := events.Decode([]byte(block))
	if err != nil {
		t.Fatalf("the envelope example does not decode: %v", err)
	}
	if e.Schema != events.SchemaVersion {
		t.Errorf("the envelope example has schema %d; the ledger writes %d", e.Schema, events.SchemaVersion)
	}
	if e.Hash.IsZero() {
		t.Errorf("the envelope example has no hash; every event of schema %d has one", events.SchemaVersion)
	} else if h, err := e.ComputeHash(); err != nil || h != e.Hash {
		t.Errorf("the envelope example's hash is %s, its content's is %s (%v)", e.Hash, h, err)
	}
}
