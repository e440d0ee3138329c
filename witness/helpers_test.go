package witness_test

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/lexledger/lexledger/merkle"
	"github.com/lexledger/lexledger/witness"
)

const testOrigin = "lexledger.test/ledger"

// testLog is a real log: a merkle tree over random leaves whose
// checkpoints are signed with a note key.
type testLog struct {
	tb     testing.TB
	origin string
	tree   merkle.Tree
	signer note.Signer
	vkey   string
}

func newTestLog(tb testing.TB, origin string) *testLog {
	tb.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		tb.Fatal(err)
	}
	return &testLog{tb: tb, origin: origin, signer: s, vkey: vkey}
}

// grow appends n random leaves.
func (l *testLog) grow(n int) {
	for range n {
		var b [32]byte
		rand.Read(b[:])
		l.tree.Append(merkle.LeafHash(b[:]))
	}
}

// checkpoint returns the signed checkpoint at size.
func (l *testLog) checkpoint(size uint64) []byte {
	l.tb.Helper()
	root, err := l.tree.RootAt(size)
	if err != nil {
		l.tb.Fatal(err)
	}
	return l.sign(witness.Checkpoint{Origin: l.origin, Size: size, Root: root})
}

// text returns the checkpoint's note text at size, unsigned.
func (l *testLog) text(size uint64) string {
	l.tb.Helper()
	root, err := l.tree.RootAt(size)
	if err != nil {
		l.tb.Fatal(err)
	}
	return witness.Checkpoint{Origin: l.origin, Size: size, Root: root}.String()
}

func (l *testLog) sign(c witness.Checkpoint) []byte {
	l.tb.Helper()
	signed, err := note.Sign(&note.Note{Text: c.String()}, l.signer)
	if err != nil {
		l.tb.Fatal(err)
	}
	return signed
}

// proof returns the consistency proof from old to size, as request lines.
func (l *testLog) proof(old, size uint64) [][]byte {
	l.tb.Helper()
	p, err := l.tree.ConsistencyProof(old, size)
	if err != nil {
		l.tb.Fatal(err)
	}
	out := make([][]byte, len(p))
	for i, h := range p {
		out[i] = append([]byte(nil), h[:]...)
	}
	return out
}

func (l *testLog) config() witness.Log {
	return witness.Log{Origin: l.origin, VerifierKeys: []string{l.vkey}}
}

// mustInit creates a witness directory and returns it with the verifier
// key.
func mustInit(tb testing.TB) (dir, vkey string) {
	tb.Helper()
	dir = filepath.Join(tb.TempDir(), "witness")
	vkey, err := witness.Init(dir, "witness.test/w1")
	if err != nil {
		tb.Fatal(err)
	}
	return dir, vkey
}

// mustOpen opens the witness in dir for logs and serves it on 127.0.0.1;
// both stop at the end of the test.
func mustOpen(tb testing.TB, dir string, logs ...*testLog) (*witness.Witness, string) {
	tb.Helper()
	var cfg []witness.Log
	for _, l := range logs {
		cfg = append(cfg, l.config())
	}
	w, err := witness.Open(dir, witness.Options{Logs: cfg})
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(w.Handler())
	tb.Cleanup(func() { srv.Close(); w.Close() })
	return w, srv.URL
}

func submit(tb testing.TB, url string, old uint64, proof [][]byte, signed []byte) ([]byte, error) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return witness.Submit(ctx, url, old, proof, signed)
}

// mustCosign submits and fails the test unless the witness cosigns, with a
// cosignature that verifies with vkey.
func mustCosign(tb testing.TB, url, vkey string, old uint64, proof [][]byte, signed []byte) []byte {
	tb.Helper()
	sigs, err := submit(tb, url, old, proof, signed)
	if err != nil {
		tb.Fatalf("the witness refused the checkpoint: %v", err)
	}
	if _, err := witness.VerifyCosignature(vkey, signed, sigs); err != nil {
		tb.Fatalf("the witness's cosignature does not verify: %v", err)
	}
	return sigs
}

// wantRefusal checks that err is a refusal of kind, and when size >= 0 that
// it carries that size.
func wantRefusal(tb testing.TB, err, kind error, size int64) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("the witness cosigned; want a refusal: %v", kind)
	}
	if !errors.Is(err, kind) {
		tb.Fatalf("the witness refused with %v; want %v", err, kind)
	}
	var we *witness.Error
	if !errors.As(err, &we) {
		tb.Fatalf("the refusal %v is not a *witness.Error", err)
	}
	if size >= 0 && (!we.HasSize || we.Size != uint64(size)) {
		tb.Fatalf("the refusal %v carries size %d (has: %v); want %d", err, we.Size, we.HasSize, size)
	}
	if size < 0 && we.HasSize {
		tb.Fatalf("the refusal %v carries a size; want none", err)
	}
}
