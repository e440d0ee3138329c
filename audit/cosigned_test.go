package audit_test

import (
	"crypto/rand"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/lexledger/lexledger/audit"
	"github.com/lexledger/lexledger/witness"
)

// A checkpoint stored again with witnesses' cosignatures appended
// (docs/WITNESS.md) is the same checkpoint: the verifier checks its log
// signature and counts it once; a copy whose log signature was altered
// still fails.
func TestCosignedCheckpointCountsOnce(t *testing.T) {
	recs := sealChain(t, 12, 3)
	s := mustSigner(t, audit.DefaultOrigin)
	c := noteOf(t, recs, s)
	skey, vkey, err := witness.GenerateKey(rand.Reader, "witness.test/w1")
	if err != nil {
		t.Fatal(err)
	}
	cosigner, err := witness.NewCosigner(skey, nil)
	if err != nil {
		t.Fatal(err)
	}
	text, _, _ := strings.Cut(c.Note, "\n\n")
	signed, err := note.Sign(&note.Note{Text: text + "\n"}, cosigner)
	if err != nil {
		t.Fatal(err)
	}
	cosigned := c
	cosigned.Note += strings.TrimPrefix(string(signed), text+"\n\n")
	if _, err := witness.VerifyCosignature(vkey, []byte(cosigned.Note), nil); err != nil {
		t.Fatalf("the test's cosigned note: %v", err)
	}
	stored, err := audit.MarshalCheckpoint(cosigned)
	if err != nil {
		t.Fatal(err)
	}
	read, err := audit.UnmarshalCheckpoint(stored)
	if err != nil {
		t.Fatal(err)
	}
	if err := read.Verify([]string{s.VerifierKey()}); err != nil {
		t.Fatalf("the cosigned note's log signature: %v", err)
	}

	_, rep := replay(recs, []string{s.VerifierKey()}, c, read)
	if !rep.OK || rep.Checkpoints != 1 {
		t.Fatalf("verified %d checkpoints (ok %v: %s); want the cosigned copy counted as the same one", rep.Checkpoints, rep.OK, failures(rep))
	}

	forged := read
	forged.Note = strings.Replace(forged.Note, "— "+audit.DefaultOrigin+" ", "— "+audit.DefaultOrigin+" AAAA", 1)
	forged.Signature = ""
	_, rep = replay(recs, []string{s.VerifierKey()}, c, forged)
	if rep.OK || len(find(rep, "checkpoint_signature", c.StreamSeq)) != 1 {
		t.Fatalf("a cosigned copy with an altered log signature: ok %v, %s; want a checkpoint_signature failure", rep.OK, failures(rep))
	}
}
