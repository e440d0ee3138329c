package events_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/lexledger/lexledger/events"
)

// TestSchema2Fixtures reads events recorded with hash chains (schema 2):
// each decodes strictly, re-encodes to the same bytes, its hash is the
// SHA-256 of its canonical encoding, and each names the one before it as
// prev_hash. A change that breaks this breaks every stored chain.
func TestSchema2Fixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/v2/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no schema 2 fixtures: %v", err)
	}
	var prev events.Digest
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		data = bytes.TrimSpace(data)
		e, err := events.Decode(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := e.Validate(); err != nil {
			t.Errorf("%s: Validate = %v", f, err)
		}
		again, err := events.Encode(&e)
		if err != nil || !bytes.Equal(again, data) {
			t.Errorf("%s: Encode(Decode) differs from the recorded bytes", f)
		}
		h, err := e.ComputeHash()
		if err != nil || h != e.Hash {
			t.Errorf("%s: hash %s, but the canonical encoding hashes to %s", f, e.Hash, h)
		}
		if e.PrevHash != prev {
			t.Errorf("%s: prev_hash %s, want the previous fixture's hash %s", f, e.PrevHash, prev)
		}
		prev = e.Hash
	}
}

// TestSealMatchesEncode checks that Seal, which encodes once, gives the
// same bytes as setting the hash and encoding again.
func TestSealMatchesEncode(t *testing.T) {
	e, err := events.Decode([]byte(`{"id":"01M8AAWX5201A3NTNNVVHR2XPV","act":"/akn/kz/act/2009-12-04/216","type":"drafted","date":"2009-03","body":{"title":"Law <on> \"Refugees\"","kind":"law"}}`))
	if err != nil {
		t.Fatal(err)
	}
	e.Schema, e.RecordedBy = 2, "x"
	sealed, err := e.Seal()
	if err != nil {
		t.Fatal(err)
	}
	again, _ := events.Encode(&e)
	if !bytes.Equal(sealed, again) {
		t.Errorf("Seal gave\n%s\nEncode gives\n%s", sealed, again)
	}
	e.Body.Title = "changed"
	if h, _ := e.ComputeHash(); h == e.Hash {
		t.Error("changing the title did not change the hash")
	}
}
