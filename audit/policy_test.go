package audit_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/audit"
	"github.com/lexledger/lexledger/witness"
	"golang.org/x/mod/sumdb/note"
)

// cosign returns c with the cosignature of the witness of skey appended to
// its note, as a witness's answer is stored beside the log's signature.
func cosign(t testing.TB, c audit.Checkpoint, skey string) audit.Checkpoint {
	t.Helper()
	w, err := witness.NewCosigner(skey, nil)
	if err != nil {
		t.Fatal(err)
	}
	text := c.NoteText()
	signed, err := note.Sign(&note.Note{Text: text}, w)
	if err != nil {
		t.Fatal(err)
	}
	c.Note += strings.TrimPrefix(string(signed), text+"\n")
	return c
}

func witnessKey(t testing.TB, name string) (skey, vkey string) {
	t.Helper()
	skey, vkey, err := witness.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	return skey, vkey
}

// TestPolicy checks each rule of the policy on the newest checkpoint, and
// that a sound ledger passes it.
func TestPolicy(t *testing.T) {
	s := mustSigner(t, audit.DefaultOrigin)
	keys := []string{s.VerifierKey()}
	recs := sealChain(t, nEvents, nActs)
	c40, c60 := noteOf(t, recs[:40], s), noteOf(t, recs, s) // signed at baseTime
	w1, v1 := witnessKey(t, "witness.test/w1")
	w2, v2 := witnessKey(t, "witness.test/w2")
	_, v3 := witnessKey(t, "witness.test/w3")
	now := baseTime.Add(time.Hour)
	base := audit.Policy{MaxUncovered: 10, MaxAge: 24 * time.Hour, Now: now}
	with := func(f func(*audit.Policy)) audit.Policy { p := base; f(&p); return p }
	cases := []struct {
		name string
		cps  []audit.Checkpoint
		p    audit.Policy
		kind string // "" for none
		seq  uint64
		says string
	}{
		{"covered", []audit.Checkpoint{c60}, base, "", 0, ""},
		{"no checkpoint", nil, base, "checkpoint_missing", nEvents, "covers the stream's 60 events"},
		{"too many uncovered", []audit.Checkpoint{c40}, base, "checkpoint_uncovered", 41, "20 events (sequences 41 to 60)"},
		{"few uncovered", []audit.Checkpoint{c40}, with(func(p *audit.Policy) { p.MaxUncovered = 20 }), "", 0, ""},
		{"stale", []audit.Checkpoint{c40}, with(func(p *audit.Policy) { p.MaxUncovered = 20; p.Now = baseTime.Add(25 * time.Hour) }), "checkpoint_stale", 41, "more than the 24h0m0s allowed"},
		{"old but covering all", []audit.Checkpoint{c60}, with(func(p *audit.Policy) { p.Now = baseTime.Add(90 * 24 * time.Hour) }), "", 0, ""},
		{"witnessed by 2 of 3", []audit.Checkpoint{cosign(t, cosign(t, c60, w1), w2)}, with(func(p *audit.Policy) { p.WitnessKeys = []string{v1, v2, v3} }), "", 0, ""},
		{"cosignatures stored as another copy", []audit.Checkpoint{c60, cosign(t, c60, w1), cosign(t, c60, w2)}, with(func(p *audit.Policy) { p.WitnessKeys = []string{v1, v2, v3} }), "", 0, ""},
		{"a forged cosignature in another copy", []audit.Checkpoint{forgeCosignature(t, c60, v1), cosign(t, cosign(t, c60, w1), w2)}, with(func(p *audit.Policy) { p.WitnessKeys = []string{v1, v2, v3}; p.WitnessQuorum = 2 }), "", 0, ""},
		{"witnessed by 1 of 3", []audit.Checkpoint{cosign(t, c60, w1)}, with(func(p *audit.Policy) { p.WitnessKeys = []string{v1, v2, v3} }), "witness_quorum", nEvents, "1 of the 3 distinct witnesses cosigned the checkpoint, want 2"},
		{"all 3 required", []audit.Checkpoint{cosign(t, cosign(t, c60, w1), w2)}, with(func(p *audit.Policy) { p.WitnessKeys = []string{v1, v2, v3}; p.WitnessQuorum = 3 }), "witness_quorum", nEvents, "no cosignature by witness witness.test/w3"},
		{"older checkpoint witnessed", []audit.Checkpoint{cosign(t, cosign(t, c40, w1), w2), c60}, with(func(p *audit.Policy) { p.WitnessKeys = []string{v1, v2} }), "witness_quorum", nEvents, "0 of the 2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, _ := replay(recs, keys, tc.cps...)
			v.ApplyPolicy(tc.p)
			rep := v.Report()
			if tc.kind == "" {
				if !rep.OK {
					t.Fatalf("fails:\n%s", failures(rep))
				}
				return
			}
			f := mustFail(t, rep, tc.seq, "", tc.kind)
			if !strings.Contains(f.Message, tc.says) {
				t.Errorf("message %q does not say %q", f.Message, tc.says)
			}
			if len(rep.Failures) != 1 {
				t.Errorf("want %s alone:\n%s", tc.kind, failures(rep))
			}
		})
	}
}

// TestCheckpointStreamSeq: a checkpoint, signed by a trusted key or not,
// whose stream_seq is beyond the stream or not its tree size fails.
func TestCheckpointStreamSeq(t *testing.T) {
	s := mustSigner(t, audit.DefaultOrigin)
	recs := sealChain(t, nEvents, nActs)
	for _, tc := range []struct {
		seq  uint64
		says string
	}{{999, "beyond the stream's last sequence 60"}, {59, "a tree of 60 events ends at sequence 60"}} {
		for _, keys := range [][]string{nil, {s.VerifierKey()}} {
			t.Run(fmt.Sprintf("stream_seq %d with %d keys", tc.seq, len(keys)), func(t *testing.T) {
				c := audit.Checkpoint{TreeSize: nEvents, Root: noteOf(t, recs, s).Root, StreamSeq: tc.seq, Time: baseTime}
				if err := c.Sign(s); err != nil {
					t.Fatal(err)
				}
				if keys == nil {
					// As a note read from the stream with no key: its tree is
					// checked all the same.
					var err error
					if c, err = audit.ParseNote([]byte(c.Note)); err != nil {
						t.Fatal(err)
					}
				}
				_, rep := replay(recs, keys, c)
				f := mustFail(t, rep, tc.seq, "", "checkpoint_stream_seq")
				if !strings.Contains(f.Message, tc.says) {
					t.Errorf("message %q does not say %q", f.Message, tc.says)
				}
			})
		}
	}
}

// forgeCosignature returns c with a line that claims to be a cosignature
// by the witness of vkey, but is not.
func forgeCosignature(t testing.TB, c audit.Checkpoint, vkey string) audit.Checkpoint {
	t.Helper()
	v, err := witness.NewCosignatureVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 4+8+64)
	binary.BigEndian.PutUint32(sig, v.KeyHash())
	c.Note += "— " + v.Name() + " " + base64.StdEncoding.EncodeToString(sig) + "\n"
	return c
}
