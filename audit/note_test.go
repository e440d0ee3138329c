package audit_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lexledger/lexledger/audit"
	"golang.org/x/mod/sumdb/note"
)

// noteOf signs a note checkpoint of the tree of recs (untampered) with s.
func noteOf(t testing.TB, recs []rec, s *audit.Signer) audit.Checkpoint {
	t.Helper()
	v, rep := replay(recs, nil)
	if !rep.OK {
		t.Fatalf("the untampered chain does not verify: %+v", rep.Failures)
	}
	c := audit.Checkpoint{TreeSize: v.Tree().Size(), Root: v.Tree().Root(), StreamSeq: recs[len(recs)-1].seq, Time: baseTime}
	if err := c.Sign(s); err != nil {
		t.Fatal(err)
	}
	return c
}

func mustSigner(t testing.TB, origin string) *audit.Signer {
	t.Helper()
	s, err := audit.GenerateSigner(origin)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestCheckpointNote: a checkpoint is a C2SP tlog-checkpoint signed note:
// its text is as docs/VERIFY.md gives it, note.Open verifies it with the
// published verifier key, and it survives its stored form.
func TestCheckpointNote(t *testing.T) {
	recs := sealChain(t, nEvents, nActs)
	s := mustSigner(t, "laws.example.gov/ledger")
	c := noteOf(t, recs, s)

	want := fmt.Sprintf("laws.example.gov/ledger\n%d\n%s\nstream_seq %d\ntime 2026-11-25T22:00:00.123456789Z\n",
		nEvents, base64.StdEncoding.EncodeToString(c.Root[:]), nEvents)
	text, sigs, ok := strings.Cut(c.Note, "\n\n")
	if !ok || text+"\n" != want {
		t.Errorf("note text %q, want %q", text+"\n", want)
	}
	if sigs != "— laws.example.gov/ledger "+c.Signature+"\n" {
		t.Errorf("signature block %q, signature field %q", sigs, c.Signature)
	}
	if c.Key != s.VerifierKey() || !strings.HasPrefix(c.Key, "laws.example.gov/ledger+") || c.Origin != "laws.example.gov/ledger" {
		t.Errorf("key %s origin %s, want the verifier key %s", c.Key, c.Origin, s.VerifierKey())
	}

	// Standard tools: note.Open with the verifier key.
	v, err := note.NewVerifier(s.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open([]byte(c.Note), note.VerifierList(v))
	if err != nil || n.Text != want || len(n.Sigs) != 1 {
		t.Fatalf("note.Open: %v %+v", err, n)
	}

	// Stored form: the note's bytes; read back, it verifies pinned.
	data, err := audit.MarshalCheckpoint(c)
	if err != nil || string(data) != c.Note {
		t.Fatalf("stored form %q, %v", data, err)
	}
	back, err := audit.UnmarshalCheckpoint(data)
	if err != nil {
		t.Fatal(err)
	}
	if back.Key != "" || back.TreeSize != c.TreeSize || back.Root != c.Root || back.StreamSeq != c.StreamSeq || !back.Time.Equal(c.Time) || back.Signature != c.Signature {
		t.Errorf("read back %+v, signed %+v", back, c)
	}
	for _, key := range []string{s.VerifierKey(), s.NKey()} {
		if err := back.Verify([]string{key}); err != nil {
			t.Errorf("Verify with %s: %v", key, err)
		}
	}
	// Unpinned, a stored note cannot be checked: it names no key.
	if err := back.Verify(nil); !errors.Is(err, audit.ErrUnpinned) {
		t.Errorf("Verify unpinned: %v, want ErrUnpinned", err)
	}
	// As the HTTP API answers it (JSON with the note and its key).
	js, _ := json.Marshal(c)
	back, err = audit.UnmarshalCheckpoint(js)
	if err != nil || back.Verify(nil) != nil || back.Key != c.Key {
		t.Errorf("through JSON: %v %v", err, back.Verify(nil))
	}

	// In a replay: checked pinned; unpinned, counted as unchecked, yet its
	// tree is compared all the same.
	_, rep := replay(recs, []string{s.VerifierKey()}, back)
	if !rep.OK || rep.Checkpoints != 1 || rep.SignaturesUnchecked != 0 {
		t.Errorf("pinned replay: %+v\n%s", rep, failures(rep))
	}
	stored, _ := audit.UnmarshalCheckpoint(data)
	_, rep = replay(recs, nil, stored)
	if !rep.OK || rep.SignaturesUnchecked != 1 {
		t.Errorf("unpinned replay: %+v\n%s", rep, failures(rep))
	}
	_, rep = replay(recs[:nEvents-1], nil, stored)
	mustFail(t, rep, stored.StreamSeq, "", "checkpoint_size")

	// The signer key round-trips in its PRIVATE+KEY form.
	again, err := audit.ParseSigner(s.PrivateKey(), "")
	if err != nil || again.VerifierKey() != s.VerifierKey() {
		t.Errorf("ParseSigner(PrivateKey()): %v %s", err, again.VerifierKey())
	}
	if _, err := note.NewSigner(s.PrivateKey()); err != nil {
		t.Errorf("note.NewSigner refuses the private key: %v", err)
	}
	if _, err := audit.ParseSigner(s.PrivateKey(), "other.example/x"); err == nil {
		t.Error("a key named for one origin was accepted for another")
	}
}

// TestCheckpointNoteRefused: a note signed by another key, under the same
// origin or another, is refused naming that key; an altered note fails its
// signature; fields that differ from the note's are refused.
func TestCheckpointNoteRefused(t *testing.T) {
	recs := sealChain(t, nEvents, nActs)
	s := mustSigner(t, audit.DefaultOrigin)
	c := noteOf(t, recs, s)

	for name, other := range map[string]*audit.Signer{
		"same origin":  mustSigner(t, audit.DefaultOrigin),
		"other origin": mustSigner(t, "evil.example/LEX"),
	} {
		t.Run(name, func(t *testing.T) {
			f := noteOf(t, recs, other)
			for _, key := range []string{s.VerifierKey(), s.NKey()} {
				_, rep := replay(recs, []string{key}, f)
				g := mustFail(t, rep, f.StreamSeq, "", "checkpoint_signature")
				if !strings.Contains(g.Message, "not a trusted key") || !strings.Contains(g.Message, other.Origin()+"+") {
					t.Errorf("pinned to %s: %s", key, g.Message)
				}
			}
			if _, err := note.Open([]byte(f.Note), note.VerifierList(mustVerifier(t, s.VerifierKey()))); err == nil {
				t.Error("note.Open accepted a note of another key")
			}
		})
	}

	forged := map[string]func(c *audit.Checkpoint){
		"root in the note": func(c *audit.Checkpoint) {
			c.Note = strings.Replace(c.Note, base64.StdEncoding.EncodeToString(c.Root[:]), base64.StdEncoding.EncodeToString(make([]byte, 32)), 1)
		},
		"stream_seq in the note": func(c *audit.Checkpoint) {
			c.Note = strings.Replace(c.Note, fmt.Sprintf("stream_seq %d\n", c.StreamSeq), "stream_seq 999\n", 1)
		},
		"signature": func(c *audit.Checkpoint) {
			sig, _ := base64.StdEncoding.DecodeString(c.Signature)
			sig[10] ^= 1
			c.Note = strings.Replace(c.Note, c.Signature, base64.StdEncoding.EncodeToString(sig), 1)
		},
		"stream_seq beside the note": func(c *audit.Checkpoint) { c.StreamSeq = 999 },
		"root beside the note":       func(c *audit.Checkpoint) { c.Root[0] ^= 1 },
		"not a note":                 func(c *audit.Checkpoint) { c.Note = "lexledger.example/LEX\n1\n" },
	}
	for name, forge := range forged {
		t.Run("forged "+name, func(t *testing.T) {
			f := c
			forge(&f)
			if err := f.Verify([]string{s.VerifierKey()}); err == nil {
				t.Fatal("verified")
			} else {
				t.Logf("%v", err)
			}
		})
	}
}

// TestCheckpointKeyMigration: the nkey seed of the JSON checkpoints is the
// same ed25519 key as the note key the projector makes of it: old
// checkpoints verify with the new verifier key, notes with the old nkey.
func TestCheckpointKeyMigration(t *testing.T) {
	recs := sealChain(t, nEvents, nActs)
	kp, seed, pub, err := audit.NewSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	s, err := audit.ParseSigner(string(seed)+"\n", "")
	if err != nil {
		t.Fatal(err)
	}
	if s.NKey() != pub || s.Origin() != audit.DefaultOrigin {
		t.Fatalf("the note key of the seed is %s of %s, want the nkey %s", s.NKey(), s.Origin(), pub)
	}
	old := checkpointOf(t, recs, kp)
	c := noteOf(t, recs, s)
	for _, key := range []string{pub, s.VerifierKey()} {
		_, rep := replay(recs, []string{key}, old, c)
		if !rep.OK || rep.Checkpoints != 2 {
			t.Errorf("trusting %s: %+v\n%s", key, rep, failures(rep))
		}
	}
	// Another origin for the same seed is another verifier key; the nkey
	// still trusts it (a note under its own origin), the first vkey not.
	s2, _ := audit.ParseSigner(string(seed), "other.example/LEX")
	c2 := noteOf(t, recs, s2)
	if err := c2.Verify([]string{pub}); err != nil {
		t.Errorf("the nkey does not trust its note under another origin: %v", err)
	}
	if err := c2.Verify([]string{s.VerifierKey()}); err == nil {
		t.Error("a verifier key trusted a note of another name")
	}
	for _, bad := range []string{"", "NOTAKEY", "a+b+c", "SUAAAA"} {
		if _, err := audit.ParseSigner(bad, ""); err == nil {
			t.Errorf("ParseSigner(%q) accepted", bad)
		}
		if _, err := audit.ParseTrustedKey(bad); err == nil {
			t.Errorf("ParseTrustedKey(%q) accepted", bad)
		}
	}
}

func mustVerifier(t testing.TB, vkey string) note.Verifier {
	t.Helper()
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// BenchmarkSignNote signs a checkpoint note: once a minute at most on the
// projector, on a lock-free path (BENCHMARKS.md).
func BenchmarkSignNote(b *testing.B) {
	s := mustSigner(b, audit.DefaultOrigin)
	c := audit.Checkpoint{TreeSize: 1_000_000, StreamSeq: 1_000_000, Time: baseTime}
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Sign(s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyNote checks a stored checkpoint note with a pinned key, as
// verify does for each checkpoint on LEX_CHECKPOINTS.
func BenchmarkVerifyNote(b *testing.B) {
	s := mustSigner(b, audit.DefaultOrigin)
	c := audit.Checkpoint{TreeSize: 1_000_000, StreamSeq: 1_000_000, Time: baseTime}
	if err := c.Sign(s); err != nil {
		b.Fatal(err)
	}
	data, _ := audit.MarshalCheckpoint(c)
	keys := []string{s.VerifierKey()}
	b.ReportAllocs()
	for b.Loop() {
		back, err := audit.UnmarshalCheckpoint(data)
		if err != nil {
			b.Fatal(err)
		}
		if err := back.Verify(keys); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyLegacy is BenchmarkVerifyNote for an old JSON checkpoint.
func BenchmarkVerifyLegacy(b *testing.B) {
	kp, _, pub, err := audit.NewSigningKey()
	if err != nil {
		b.Fatal(err)
	}
	c := audit.Checkpoint{TreeSize: 1_000_000, StreamSeq: 1_000_000, Time: baseTime}
	if err := c.SignLegacy(kp); err != nil {
		b.Fatal(err)
	}
	data, _ := audit.MarshalCheckpoint(c)
	keys := []string{pub}
	b.ReportAllocs()
	for b.Loop() {
		back, err := audit.UnmarshalCheckpoint(data)
		if err != nil {
			b.Fatal(err)
		}
		if err := back.Verify(keys); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDocumentedNote: the example note of docs/VERIFY.md §3 is a real one:
// note.Open verifies it with the verifier key given there, and the nkey
// given there trusts it too.
func TestDocumentedNote(t *testing.T) {
	const vkey = "lexledger.example/LEX+514ffad6+AduYeTz9T+PMud60w9eObFHM7u1tL/E8xKJwu5jbZYFJ"
	const nkey = "NDNZQ6J47VH6HTFZ322MHV4ONRI4Z3XNNUX7CPGEUJYLXGG3MWAUTGSL"
	doc, err := os.ReadFile(filepath.Join("..", "docs", "VERIFY.md"))
	if err != nil {
		t.Fatal(err)
	}
	start := bytes.Index(doc, []byte("```\nlexledger.example/LEX\n60\n"))
	if start < 0 || !bytes.Contains(doc, []byte(vkey)) || !bytes.Contains(doc, []byte(nkey)) {
		t.Fatal("docs/VERIFY.md no longer holds the example note and its keys")
	}
	msg := doc[start+4:]
	msg = msg[:bytes.Index(msg, []byte("```"))]
	n, err := note.Open(msg, note.VerifierList(mustVerifier(t, vkey)))
	if err != nil || !strings.HasSuffix(n.Text, "\ntime 2026-11-25T22:00:00.123456789Z\n") {
		t.Fatalf("the documented note does not verify: %v\n%s", err, msg)
	}
	c, err := audit.UnmarshalCheckpoint(msg)
	if err != nil || c.TreeSize != 60 || c.StreamSeq != 60 || c.Verify([]string{nkey}) != nil || c.Verify([]string{vkey}) != nil {
		t.Errorf("the documented note: %v %+v", err, c)
	}
}
