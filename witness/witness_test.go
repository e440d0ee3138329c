package witness_test

import (
	"bytes"
	"crypto/rand"
	"net/http"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/lexledger/lexledger/witness"
)

func TestAddCheckpoint(t *testing.T) {
	log := newTestLog(t, testOrigin)
	dir, vkey := mustInit(t)
	w, url := mustOpen(t, dir, log)

	log.grow(10)
	first := log.checkpoint(10)
	sigs := mustCosign(t, url, vkey, 0, nil, first)

	t.Run("OK the same checkpoint again", func(t *testing.T) {
		mustCosign(t, url, vkey, 10, nil, first)
	})
	t.Run("OK an extension with its consistency proof", func(t *testing.T) {
		log.grow(7)
		mustCosign(t, url, vkey, 10, log.proof(10, 17), log.checkpoint(17))
	})
	t.Run("ErrBadProof a proof from another tree", func(t *testing.T) {
		other := newTestLog(t, testOrigin)
		other.signer = log.signer
		other.grow(30)
		_, err := submit(t, url, 17, other.proof(17, 30), other.checkpoint(30))
		wantRefusal(t, err, witness.ErrBadProof, -1)
	})
	t.Run("ErrBadProof a proof with a hash changed", func(t *testing.T) {
		log.grow(8)
		p := log.proof(17, 25)
		p[0][0] ^= 1
		_, err := submit(t, url, 17, p, log.checkpoint(25))
		wantRefusal(t, err, witness.ErrBadProof, -1)
	})
	t.Run("ErrConflict a fork at the same size", func(t *testing.T) {
		root, _ := log.tree.RootAt(17)
		root[3] ^= 1
		_, err := submit(t, url, 17, nil, log.sign(witness.Checkpoint{Origin: testOrigin, Size: 17, Root: root}))
		wantRefusal(t, err, witness.ErrConflict, -1)
		if !strings.Contains(err.Error(), "two histories") {
			t.Errorf("the refusal %q does not say the log shows two histories", err)
		}
	})
	t.Run("ErrMalformed a smaller size from the cosigned one", func(t *testing.T) {
		_, err := submit(t, url, 17, nil, log.checkpoint(12))
		wantRefusal(t, err, witness.ErrMalformed, -1)
	})
	t.Run("ErrConflict a smaller size from its own size", func(t *testing.T) {
		_, err := submit(t, url, 12, nil, log.checkpoint(12))
		wantRefusal(t, err, witness.ErrConflict, 17)
	})
	t.Run("ErrConflict a wrong old size", func(t *testing.T) {
		_, err := submit(t, url, 10, log.proof(10, 25), log.checkpoint(25))
		wantRefusal(t, err, witness.ErrConflict, 17)
	})
	t.Run("ErrUnknownOrigin", func(t *testing.T) {
		stranger := newTestLog(t, "stranger.test/log")
		stranger.grow(3)
		_, err := submit(t, url, 0, nil, stranger.checkpoint(3))
		wantRefusal(t, err, witness.ErrUnknownOrigin, -1)
	})
	t.Run("ErrUnverified a checkpoint signed by another key of the same name", func(t *testing.T) {
		impostor := newTestLog(t, testOrigin)
		impostor.grow(30)
		_, err := submit(t, url, 17, nil, impostor.checkpoint(30))
		wantRefusal(t, err, witness.ErrUnverified, -1)
	})
	t.Run("ErrUnverified a checkpoint altered after signing", func(t *testing.T) {
		signed := log.checkpoint(25)
		altered := bytes.Replace(signed, []byte("\n25\n"), []byte("\n24\n"), 1)
		_, err := submit(t, url, 17, log.proof(17, 24), altered)
		wantRefusal(t, err, witness.ErrUnverified, -1)
	})
	t.Run("OK the cosignature verifies and is a quorum of one", func(t *testing.T) {
		if _, err := witness.Quorum(append(first, sigs...), []string{vkey}, 1); err != nil {
			t.Fatal(err)
		}
		_, otherVKey, _ := witness.GenerateKey(rand.Reader, "witness.test/w2")
		if _, err := witness.Quorum(append(first, sigs...), []string{vkey, otherVKey}, 2); err == nil {
			t.Fatal("a quorum of 2 holds with one cosignature")
		}
		if _, err := witness.VerifyCosignature(otherVKey, first, sigs); err == nil {
			t.Fatal("a cosignature verifies with another witness's key")
		}
	})
	want, _ := log.tree.RootAt(17)
	if size, root, _ := w.Latest(testOrigin); size != 17 || root != want {
		t.Fatalf("after the refusals the witness holds size %d root %s; want 17 and %s", size, root, want)
	}
}

func checkpointText(log *testLog, size uint64) string {
	root, _ := log.tree.RootAt(size)
	return witness.Checkpoint{Origin: log.origin, Size: size, Root: root}.String()
}

func TestMalformedRequests(t *testing.T) {
	log := newTestLog(t, testOrigin)
	dir, _ := mustInit(t)
	_, url := mustOpen(t, dir, log)
	log.grow(4)
	good := string(log.checkpoint(4))
	for _, tc := range []struct{ name, body string }{
		{"no old line", good},
		{"old size with a leading zero", "old 01\n\n" + good},
		{"old size not a number", "old ten\n\n" + good},
		{"no blank line", "old 0\n"},
		{"proof line not base64", "old 0\n!!!\n\n" + good},
		{"proof hash of 31 bytes", "old 0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n\n" + good},
		{"old size above the checkpoint's", "old 5\n\n" + good},
		{"checkpoint without signatures", "old 0\n\n" + checkpointText(log, 4)},
		{"checkpoint size with a leading zero", "old 0\n\n" + strings.Replace(good, "\n4\n", "\n04\n", 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Post(url+"/add-checkpoint", "text/plain", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			msg := new(bytes.Buffer)
			msg.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("got %s (%q); want 400 Bad Request", resp.Status, msg)
			}
			if strings.TrimSpace(msg.String()) == "" {
				t.Fatal("the 400 answer does not say what is wrong")
			}
		})
	}
	resp, err := http.Get(url + "/add-checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET got %s; want 405", resp.Status)
	}
}

func TestStateSurvivesRestart(t *testing.T) {
	log := newTestLog(t, testOrigin)
	dir, vkey := mustInit(t)
	w, url := mustOpen(t, dir, log)
	log.grow(20)
	mustCosign(t, url, vkey, 0, nil, log.checkpoint(20))
	if _, err := witness.Open(dir, witness.Options{Logs: []witness.Log{log.config()}}); err == nil {
		t.Fatal("a second witness opened the directory of a running one")
	}
	w.Close()

	_, url = mustOpen(t, dir, log)
	// The restarted witness remembers size 20 and its root.
	_, err := submit(t, url, 0, nil, log.checkpoint(20))
	wantRefusal(t, err, witness.ErrConflict, 20)
	fork := newTestLog(t, testOrigin)
	fork.signer = log.signer
	fork.grow(20)
	_, err = submit(t, url, 20, nil, fork.checkpoint(20))
	wantRefusal(t, err, witness.ErrConflict, -1)
	log.grow(5)
	mustCosign(t, url, vkey, 20, log.proof(20, 25), log.checkpoint(25))
}

func TestRacingSubmissions(t *testing.T) {
	log := newTestLog(t, testOrigin)
	dir, vkey := mustInit(t)
	_, url := mustOpen(t, dir, log)
	log.grow(8)
	mustCosign(t, url, vkey, 0, nil, log.checkpoint(8))
	log.grow(40)

	const racers = 8
	var wg sync.WaitGroup
	errs := make([]error, racers)
	for i := range racers {
		size := uint64(9 + 4*i)
		proof, cp := log.proof(8, size), log.checkpoint(size)
		wg.Go(func() { _, errs[i] = submit(t, url, 8, proof, cp) })
	}
	wg.Wait()
	won := 0
	var winner uint64
	for i, err := range errs {
		if err == nil {
			won++
			winner = uint64(9 + 4*i)
		}
	}
	if won != 1 {
		t.Fatalf("%d racing submissions from size 8 were cosigned; want exactly 1: %v", won, errs)
	}
	for _, err := range errs {
		if err != nil {
			wantRefusal(t, err, witness.ErrConflict, int64(winner))
		}
	}
}

func TestKeys(t *testing.T) {
	skey, vkey, err := witness.GenerateKey(rand.Reader, "witness.test/w1")
	if err != nil {
		t.Fatal(err)
	}
	c, err := witness.NewCosigner(skey, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.VerifierKey(); got != vkey {
		t.Fatalf("the cosigner's verifier key is %q; GenerateKey gave %q", got, vkey)
	}
	if _, err := note.NewVerifier(vkey); err == nil {
		t.Fatal("a cosignature/v1 key (type 0x04) parses as an Ed25519 note key (type 0x01)")
	}
	_, logVKey, _ := note.GenerateKey(rand.Reader, "log.test")
	if _, err := witness.NewCosignatureVerifier(logVKey); err == nil || !strings.Contains(err.Error(), "0x01") {
		t.Fatalf("a note key (type 0x01) as a witness key: got %v; want an error naming the type", err)
	}
	if _, _, err := witness.GenerateKey(rand.Reader, "bad name"); err == nil {
		t.Fatal("a key name with a space was accepted")
	}
	if _, err := witness.Init(t.TempDir(), "witness.test/w1"); err != nil {
		t.Fatal(err)
	}
}
