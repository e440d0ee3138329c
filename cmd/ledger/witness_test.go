package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/lexledger/lexledger/merkle"
	"github.com/lexledger/lexledger/witness"
)

// startWitness runs `ledger witness` in process on a free port until the
// returned stop is called (or the test ends) and waits until it is
// healthy.
func startWitness(t *testing.T, args ...string) (base string, stop func() error) {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", freeTCPPort(t))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var out, errOut syncBuffer
	go func() {
		done <- run(ctx, append([]string{"witness", "--listen", addr}, args...), strings.NewReader(""), &out, &errOut)
	}()
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			return errors.New("the witness did not stop within 30s of its cancellation")
		}
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	})
	waitHealthy(t, "http://"+addr, done)
	return "http://" + addr, stop
}

// The witness's command line: init prints the verifier key, the witness
// cosigns a log given by --log-key, and after a restart it still holds the
// size it cosigned.
func TestWitnessCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "witness")
	vkey := strings.TrimSpace(mustLedgerCmd(t, "witness", "init", "--dir", dir, "--name", "witness.test/w1"))
	if got := strings.TrimSpace(mustLedgerCmd(t, "witness", "vkey", "--dir", dir)); got != vkey {
		t.Fatalf("witness vkey prints %q; init printed %q", got, vkey)
	}
	if _, _, err := ledgerCmd(t, "witness", "init", "--dir", dir, "--name", "witness.test/w2"); err == nil {
		t.Fatal("init replaced the key of an existing witness")
	}

	const origin = "lexledger.test/ledger"
	skey, logVKey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	var tree merkle.Tree
	checkpoint := func(size int) []byte {
		for tree.Size() < uint64(size) {
			var b [32]byte
			rand.Read(b[:])
			tree.Append(merkle.LeafHash(b[:]))
		}
		root, _ := tree.RootAt(uint64(size))
		signed, err := note.Sign(&note.Note{Text: witness.Checkpoint{Origin: origin, Size: uint64(size), Root: root}.String()}, signer)
		if err != nil {
			t.Fatal(err)
		}
		return signed
	}

	base, stop := startWitness(t, "--dir", dir, "--log-key", origin+"="+logVKey)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cp := checkpoint(5)
	sigs, err := witness.Submit(ctx, base, 0, nil, cp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := witness.VerifyCosignature(vkey, cp, sigs); err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Fatalf("the witness stopped with %v; want a clean stop", err)
	}

	base, _ = startWitness(t, "--dir", dir, "--log-key", origin+"="+logVKey)
	_, err = witness.Submit(ctx, base, 0, nil, checkpoint(9))
	var we *witness.Error
	if !errors.As(err, &we) || !errors.Is(err, witness.ErrConflict) || we.Size != 5 {
		t.Fatalf("after a restart, a submission from size 0 got %v; want a 409 with size 5", err)
	}
	p, _ := tree.ConsistencyProof(5, 9)
	proof := make([][]byte, len(p))
	for i := range p {
		proof[i] = p[i][:]
	}
	if _, err := witness.Submit(ctx, base, 5, proof, checkpoint(9)); err != nil {
		t.Fatalf("after a restart, the witness refused a consistent extension: %v", err)
	}
}

func TestWitnessCommandErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"witness"}, "--dir"},
		{[]string{"witness", "--dir", dir}, "ledger witness init"},
		{[]string{"witness", "init", "--dir", dir}, "--name"},
		{[]string{"witness", "--dir", dir, "--name", "w.test/1", "--log-key", "nokey"}, "ORIGIN=VKEY"},
		{[]string{"witness", "--dir", dir, "--log-key", "o.test=o.test+01234567+AAAA"}, "verifier key"},
		{[]string{"witness", "--dir", dir, "--logs", filepath.Join(dir, "missing.conf")}, "logs file"},
	} {
		_, stderr, err := ledgerCmd(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ledger %s: got %v (%s); want an error mentioning %q", strings.Join(tc.args, " "), err, stderr, tc.want)
		}
	}
}
