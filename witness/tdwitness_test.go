package witness_test

import (
	"bufio"
	"crypto/rand"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/witness"
)

// Our client against the witness of github.com/transparency-dev/witness
// (the omniwitness's core, in memory), built from testdata/tdwitness, a
// module of its own: its cosignatures verify with our VerifyCosignature,
// and its refusals read as the kinds of C2SP tlog-witness. Heavy (it
// builds another module, downloading it if not cached): run with
// LEX_INTEROP=1.
func TestInteropWithTransparencyDevWitness(t *testing.T) {
	if testing.Short() || os.Getenv("LEX_INTEROP") == "" {
		t.Skip("builds github.com/transparency-dev/witness: set LEX_INTEROP=1 to run")
	}
	bin := filepath.Join(t.TempDir(), "tdwitness")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = filepath.Join("testdata", "tdwitness")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the transparency-dev witness: %v\n%s", err, out)
	}
	log := newTestLog(t, testOrigin)
	skey, vkey, err := witness.GenerateKey(rand.Reader, "tdwitness.test/w1")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-origin", testOrigin, "-log-vkey", log.vkey, "-skey", skey)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if addr, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				ready <- "http://" + addr
			}
		}
	}()
	var url string
	select {
	case url = <-ready:
	case <-time.After(30 * time.Second):
		t.Fatal("the transparency-dev witness did not start within 30s")
	}

	log.grow(10)
	mustCosign(t, url, vkey, 0, nil, log.checkpoint(10))
	log.grow(6)
	mustCosign(t, url, vkey, 10, log.proof(10, 16), log.checkpoint(16))

	_, err = submit(t, url, 10, log.proof(10, 16), log.checkpoint(16))
	wantRefusal(t, err, witness.ErrConflict, 16)
	log.grow(4)
	p := log.proof(16, 20)
	p[0][0] ^= 1
	_, err = submit(t, url, 16, p, log.checkpoint(20))
	wantRefusal(t, err, witness.ErrBadProof, -1)
	stranger := newTestLog(t, "stranger.test/log")
	stranger.grow(2)
	_, err = submit(t, url, 0, nil, stranger.checkpoint(2))
	wantRefusal(t, err, witness.ErrUnknownOrigin, -1)
	// A checkpoint altered after signing, and one signed by another key
	// of the log's name: the spec says 403; this version answers 500
	// (note.Open's errors are not among those it maps). No cosignature.
	altered := []byte(strings.Replace(string(log.checkpoint(20)), "\n20\n", "\n19\n", 1))
	impostor := newTestLog(t, testOrigin)
	impostor.grow(20)
	for what, signed := range map[string][]byte{"altered": altered, "signed by an unknown key": impostor.checkpoint(20)} {
		_, err = submit(t, url, 16, log.proof(16, 19), signed)
		if !errors.Is(err, witness.ErrUnverified) && !errors.Is(err, witness.ErrInternal) {
			t.Fatalf("a checkpoint %s got %v; want a refusal (403 per the spec, 500 from this witness)", what, err)
		}
		t.Logf("a checkpoint %s: %v", what, err)
	}
	_, err = submit(t, url, 20, nil, log.checkpoint(16))
	wantRefusal(t, err, witness.ErrMalformed, -1)

	// A fork at the cosigned size: C2SP tlog-witness says 409; this
	// version answers 422 (its ErrRootMismatch). Either way, no
	// cosignature.
	fork := newTestLog(t, testOrigin)
	fork.signer = log.signer
	fork.grow(16)
	_, err = submit(t, url, 16, nil, fork.checkpoint(16))
	if !errors.Is(err, witness.ErrConflict) && !errors.Is(err, witness.ErrBadProof) {
		t.Fatalf("a fork at the cosigned size got %v; want a refusal (409 per the spec, 422 from this witness)", err)
	}
	t.Logf("a fork at the cosigned size: %v", err)
}
