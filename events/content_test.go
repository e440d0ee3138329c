package events_test

import (
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
)

// An event's content is what the clerk gave: the fields the ledger sets
// (schema, record time and identity, the hash chain) do not change it, and
// every field the clerk gives does. A retry is recognised by it.
func TestContentDigest(t *testing.T) {
	decode := func(s string) events.Event {
		t.Helper()
		e, err := events.Decode([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	base := decode(`{"id":"01M8AAWX5201A3NTNNVVHR2XPV","act":"/akn/kz/act/2009-12-04/216","type":"amended","date":"2010-06-01","effective_from":"2010-07-01","instrument":"/akn/kz/act/2010-06-01/1","provisions":["art_18"],"body":{"effect":"substitution","texts":{"art_18":"x","art_1":"y"}}}`)
	digest := func(e events.Event) events.Digest {
		t.Helper()
		d, err := e.ContentDigest()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	want := digest(base)

	recorded := base
	recorded.Schema = events.SchemaVersion
	recorded.RecordedAt = time.Date(2026, 11, 25, 21, 48, 27, 0, time.UTC)
	recorded.RecordedBy = "alice@http"
	recorded.PrevHash = events.Digest{1}
	if _, err := recorded.Seal(); err != nil {
		t.Fatal(err)
	}
	if got := digest(recorded); got != want {
		t.Errorf("the ledger's fields changed the content digest")
	}
	// The same event, its texts in another order and spaced otherwise.
	if got := digest(decode(`{"id":"01M8AAWX5201A3NTNNVVHR2XPV", "act":"/akn/kz/act/2009-12-04/216","type":"amended","date":"2010-06-01","effective_from":"2010-07-01","instrument":"/akn/kz/act/2010-06-01/1","provisions":["art_18"],"body":{"texts":{"art_1":"y","art_18":"x"},"effect":"substitution"}}`)); got != want {
		t.Errorf("the same content, spelled otherwise, has another digest")
	}
	for name, change := range map[string]func(*events.Event){
		"id":         func(e *events.Event) { e.ID = events.NewID() },
		"act":        func(e *events.Event) { e.Act = "/akn/kz/act/2009-12-04/217" },
		"type":       func(e *events.Event) { e.Type = events.Repealed },
		"date":       func(e *events.Event) { e.Date = events.MustDate("2010-06") },
		"valid time": func(e *events.Event) { e.EffectiveTo = events.MustDate("2011-01-01") },
		"provisions": func(e *events.Event) { e.Provisions = []string{"art_18", "art_19"} },
		"text":       func(e *events.Event) { e.Body.Texts = map[string]string{"art_18": "x", "art_1": "z"} },
		"note":       func(e *events.Event) { e.Body.Note = "n" },
	} {
		e := base
		change(&e)
		if digest(e) == want {
			t.Errorf("a change of the %s left the content digest as it was", name)
		}
	}
}
