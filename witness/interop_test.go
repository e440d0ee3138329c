package witness_test

import (
	"crypto/rand"
	"testing"
	"time"

	tdnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/lexledger/lexledger/witness"
)

// Cosignatures interoperate with github.com/transparency-dev/formats, the
// note formats of the transparency-dev witnesses (omniwitness): its
// cosignature/v1 verifier checks ours, ours checks its cosigner's, and
// both derive the same verifier key from a witness's note key.
func TestCosignaturesInteroperateWithTransparencyDev(t *testing.T) {
	log := newTestLog(t, testOrigin)
	log.grow(12)
	signed := log.checkpoint(12)
	skey, vkey, err := witness.GenerateKey(rand.Reader, "witness.test/w1")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Unix(1_700_000_000, 0)

	t.Run("OK the same verifier key", func(t *testing.T) {
		if _, err := note.NewSigner(skey); err != nil {
			t.Fatalf("a witness key is not a note signer key: %v", err)
		}
		c, err := witness.NewCosigner(skey, nil)
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := tdnote.VKeyToCosignatureV1(c.NoteVerifierKey())
		if err != nil {
			t.Fatal(err)
		}
		if theirs != vkey {
			t.Fatalf("transparency-dev derives verifier key %q; we derive %q", theirs, vkey)
		}
	})
	t.Run("OK theirs verifies ours", func(t *testing.T) {
		c, err := witness.NewCosigner(skey, func() time.Time { return at })
		if err != nil {
			t.Fatal(err)
		}
		cosigned, err := note.Sign(&note.Note{Text: log.text(12)}, c)
		if err != nil {
			t.Fatal(err)
		}
		v, err := tdnote.NewVerifierForCosignatureV1(vkey)
		if err != nil {
			t.Fatal(err)
		}
		n, err := note.Open(append(signed, cosigned[len(log.text(12))+1:]...), note.VerifierList(v))
		if err != nil {
			t.Fatalf("transparency-dev's verifier rejects our cosignature: %v", err)
		}
		got, err := tdnote.CoSigV1Timestamp(n.Sigs[0])
		if err != nil || !got.Equal(at) {
			t.Fatalf("transparency-dev reads the cosignature's time as %v (%v); want %v", got, err, at)
		}
	})
	t.Run("OK ours verifies theirs", func(t *testing.T) {
		s, err := tdnote.NewSignerForCosignatureV1(skey)
		if err != nil {
			t.Fatal(err)
		}
		cosigned, err := note.Sign(&note.Note{Text: log.text(12)}, s)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := witness.VerifyCosignature(vkey, signed, cosigned[len(log.text(12))+1:]); err != nil {
			t.Fatalf("our verifier rejects transparency-dev's cosignature: %v", err)
		}
	})
}
