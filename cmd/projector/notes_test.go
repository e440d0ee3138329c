package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/audit"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/projector"
	"golang.org/x/mod/sumdb/note"
)

// TestCheckpointNotesMigration: a ledger whose checkpoints were signed in
// the old JSON form with an nkey seed moves to notes with the same key
// file. On a real JetStream server: the old checkpoint stays on
// LEX_CHECKPOINTS beside the projector's new note; the note stored there
// verifies with note.Open and the verifier key keygen prints; verify
// accepts both with either form of the key, and refuses an old checkpoint
// whose root was changed and a --key that is no key.
func TestCheckpointNotesMigration(t *testing.T) {
	env, rs := vtLedger(t, "", 4, 5)
	kp, seed, nkey, err := audit.NewSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "checkpoint.nk")
	if err := os.WriteFile(keyFile, append(seed, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	old := vtSignWith(t, env.Conn, env.Store, func(c *audit.Checkpoint) error { return c.SignLegacy(kp) })
	if old.Note != "" || old.Key != nkey {
		t.Fatalf("the old checkpoint %+v", old)
	}

	// keygen on the old key file prints the note verifier key, then the
	// nkey, and leaves the file as it is.
	out, errs, err := runCmd(t, "keygen", keyFile)
	if err != nil {
		t.Fatalf("keygen: %v\n%s", err, errs)
	}
	lines := strings.Fields(out)
	if len(lines) != 2 || lines[1] != nkey || !strings.HasPrefix(lines[0], audit.DefaultOrigin+"+") {
		t.Fatalf("keygen printed %q, want the verifier key of %s and %s", out, audit.DefaultOrigin, nkey)
	}
	vkey := lines[0]
	if data, _ := os.ReadFile(keyFile); string(data) != string(seed)+"\n" {
		t.Errorf("keygen rewrote the key file: %q", data)
	}

	// The projector signs with the key file as it is: a note, same key.
	signer, pub, err := projector.LoadOrCreateKey(keyFile, "")
	if err != nil || pub != vkey || signer.NKey() != nkey {
		t.Fatalf("LoadOrCreateKey: %v %s %s", err, pub, signer.NKey())
	}
	svc, api := vtService(t, env, signer, rs[len(rs)-1].Seq)
	ctx := vtContext(t, time.Minute)
	c, err := svc.Checkpoint(ctx)
	if err != nil || c.Note == "" || c.Key != vkey {
		t.Fatalf("the projector's checkpoint %+v: %v", c, err)
	}
	// Served as the note (text/plain, as tlog serves it) and as JSON.
	req, _ := http.NewRequest("GET", api+"/v1/checkpoint", nil)
	req.Header.Set("Accept", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != c.Note || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("GET /v1/checkpoint as text: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	resp, err = http.Get(api + "/v1/checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	var served audit.Checkpoint
	err = json.NewDecoder(resp.Body).Decode(&served)
	resp.Body.Close()
	if err != nil || served.Note != c.Note || served.Key != vkey || served.Origin != audit.DefaultOrigin || served.Root != c.Root || served.Verify(nil) != nil {
		t.Errorf("GET /v1/checkpoint as JSON: %v %+v", err, served)
	}

	// As stored: the old JSON, then the note, which standard tools open.
	views, err := natsjs.OpenViews(ctx, env.Conn, 1)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := views.Checkpoints(ctx)
	if err != nil || len(stored) != 2 || stored[0][0] != '{' || string(stored[1]) != c.Note {
		t.Fatalf("LEX_CHECKPOINTS holds %q (%v)", stored, err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(stored[1], note.VerifierList(v))
	if err != nil || !strings.HasPrefix(n.Text, audit.DefaultOrigin+"\n20\n") || !strings.Contains(n.Text, "\nstream_seq 20\n") {
		t.Fatalf("note.Open of the stored note: %v %+v", err, n)
	}
	other, otherKey := vtKey(t)
	if _, err := note.Open(stored[1], note.VerifierList(mustNoteVerifier(t, otherKey))); err == nil {
		t.Error("note.Open accepted the note with another key")
	}

	url := env.Server.ClientURL()
	for _, key := range []string{vkey, nkey} {
		rep, out, errs, err := vtRun(t, url, "--key", key)
		if err != nil || !rep.OK || rep.Checkpoints != 2 || rep.SignaturesUnchecked != 0 {
			t.Errorf("verify --key %s: %v %+v\n%s%s", key, err, rep, out, errs)
		}
	}
	// Unpinned: the old checkpoint is checked with the key it names, the
	// note's tree is compared, and the output says its signature was not.
	rep, out, _, err := vtRun(t, url)
	if err != nil || !rep.OK || rep.SignaturesUnchecked != 1 || !strings.Contains(out, "signatures of 1 checkpoint note were not checked") {
		t.Errorf("unpinned: %v %+v %q", err, rep, out)
	}
	// A note by another key, and an old checkpoint with its root changed.
	forged := vtSign(t, env.Conn, env.Store, other)
	bad := old
	bad.Root[0] ^= 1
	vtPublish(t, env.Conn, bad, "forged-old")
	rep, _, errs, err = vtRun(t, url, "--key", vkey)
	vtFailed(t, rep, errs, err, forged.StreamSeq, "checkpoint_signature")
	if len(rep.Failures) != 2 || !strings.Contains(rep.Failures[0].Message, vtKeyID(otherKey)) || !strings.Contains(rep.Failures[1].Message, "does not verify with key "+nkey) {
		t.Errorf("failures:\n%s", vtFailures(rep))
	}
	if _, _, err := runCmd(t, "verify", "--nats-url", url, "--key", "not-a-key"); err == nil || !strings.Contains(err.Error(), "--key") {
		t.Errorf("verify --key not-a-key: %v", err)
	}
}

func mustNoteVerifier(t testing.TB, vkey string) note.Verifier {
	t.Helper()
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
