package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/audit"
	"github.com/lexledger/lexledger/merkle"
	"github.com/lexledger/lexledger/projector"
	"github.com/lexledger/lexledger/witness"
)

// The whole path, in process: a witness started with --vkey-out, and a
// ledger whose projector signs and takes --witness URL=@FILE; a signed
// checkpoint comes back cosigned, witnessed with a quorum of 1.
func TestServeWithWitness(t *testing.T) {
	keyDir := t.TempDir()
	keyFile := filepath.Join(keyDir, "checkpoint.nk")
	signer, _, err := projector.LoadOrCreateKey(keyFile, "lexledger.test/ledger")
	if err != nil {
		t.Fatal(err)
	}
	vkeyFile := filepath.Join(t.TempDir(), "witness.vkey")
	wdir := filepath.Join(t.TempDir(), "witness")
	base, _ := startWitness(t, "--dir", wdir, "--name", "witness.test/w1", "--vkey-out", vkeyFile,
		"--log-key", signer.Origin()+"="+signer.VerifierKey())
	vkey, err := os.ReadFile(vkeyFile)
	if err != nil || !strings.HasPrefix(string(vkey), "witness.test/w1+") {
		t.Fatalf("--vkey-out wrote %q (%v); want the witness's verifier key", vkey, err)
	}

	s := startServe(t, t.TempDir(), "--checkpoint-key", keyFile, "--witness", base+"=@"+vkeyFile)
	mustLedgerCmd(t, "import", "--server", s.base, "--quiet", "../../examples/seed.jsonl")
	resp, err := http.Post(s.base+"/v1/checkpoints", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /v1/checkpoints: %s", resp.Status)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var got struct {
			Note         string   `json:"note"`
			Cosignatures []string `json:"cosignatures"`
			Witnessed    bool     `json:"witnessed"`
			Quorum       int      `json:"quorum"`
		}
		resp, err := http.Get(s.base + "/v1/checkpoint")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("GET /v1/checkpoint: %v: %s", err, body)
		}
		if got.Witnessed {
			if got.Quorum != 1 || len(got.Cosignatures) != 1 || got.Cosignatures[0] != "witness.test/w1" {
				t.Fatalf("GET /v1/checkpoint: %s; want witnessed by witness.test/w1, quorum 1", body)
			}
			if _, err := witness.VerifyCosignature(strings.TrimSpace(string(vkey)), []byte(got.Note), nil); err != nil {
				t.Fatalf("the served note's cosignature: %v", err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the checkpoint is not witnessed after 30s: %s\n%s", body, s.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Bad witness flags stop serve before anything starts, saying what to do.
func TestServeWitnessFlags(t *testing.T) {
	_, vkey, err := witness.GenerateKey(strings.NewReader(strings.Repeat("k", 64)), "witness.test/w1")
	if err != nil {
		t.Fatal(err)
	}
	_, vkey2, err := witness.GenerateKey(strings.NewReader(strings.Repeat("j", 64)), "witness.test/w2")
	if err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "none.vkey")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--witness", "witness.example:8090=" + vkey}, "not an http:// or https:// URL"},
		{[]string{"--witness", "http://w.example=@" + missing}, "cannot read its verifier key"},
		{[]string{"--witness", "http://w.example=not-a-key"}, "verifier key"},
		{[]string{"--witness", "http://w.example=" + vkey, "--witness-quorum", "2"}, "--witness-quorum 2: give a number between 1 and the 1 witness"},
		{[]string{"--witness-quorum", "1"}, "without witnesses"},
		{[]string{"--witness", "http://w.example=" + vkey, "--witness", "http://v.example=" + vkey}, "given twice"},
		{[]string{"--witness", "http://w.example=" + vkey, "--projector=false"}, "--projector=false runs none"},
	} {
		dir := filepath.Join(t.TempDir(), "data")
		_, _, err := ledgerCmd(t, append([]string{"serve", "--data", dir, "--http", "127.0.0.1:0", "--nats-port", "-1"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("serve %s: %v; want an error saying %q", strings.Join(tc.args, " "), err, tc.want)
		}
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("serve %s created its data directory before refusing its flags", strings.Join(tc.args, " "))
		}
	}
	t.Setenv("LEDGER_WITNESSES", "http://w.example="+vkey+",http://v.example="+vkey2)
	t.Setenv("LEDGER_WITNESS_QUORUM", "3")
	if _, _, err := ledgerCmd(t, "serve", "--data", filepath.Join(t.TempDir(), "data"), "--http", "127.0.0.1:0", "--nats-port", "-1"); err == nil || !strings.Contains(err.Error(), "between 1 and the 2 witness") {
		t.Errorf("serve with $LEDGER_WITNESSES of 2 and $LEDGER_WITNESS_QUORUM 3: %v; want the quorum refused", err)
	}
}

// A witness shown another tree of the ledger, of the same size and signed
// with the ledger's genuine key, refuses the ledger's checkpoint: the
// ledger's /readyz fails naming the witness, and /metrics raises
// lex_projector_witness_alarm.
func TestServeWitnessAlarm(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "checkpoint.nk")
	signer, _, err := projector.LoadOrCreateKey(keyFile, "lexledger.test/ledger")
	if err != nil {
		t.Fatal(err)
	}
	wdir := filepath.Join(t.TempDir(), "witness")
	vkeyFile := filepath.Join(t.TempDir(), "witness.vkey")
	base, _ := startWitness(t, "--dir", wdir, "--name", "witness.test/w1", "--vkey-out", vkeyFile,
		"--log-key", signer.Origin()+"="+signer.VerifierKey())
	const seedEvents = 44
	forged := audit.Checkpoint{TreeSize: seedEvents, Root: merkle.LeafHash([]byte("another history")), StreamSeq: seedEvents, Time: time.Now()}
	if err := forged.Sign(signer); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := witness.Submit(ctx, base, 0, nil, []byte(forged.Note)); err != nil {
		t.Fatalf("showing the witness another tree: %v", err)
	}

	s := startServe(t, t.TempDir(), "--checkpoint-key", keyFile, "--witness", base+"=@"+vkeyFile)
	mustLedgerCmd(t, "import", "--server", s.base, "--quiet", "../../examples/seed.jsonl")
	// The checkpoint of the whole seed: signed once the projector has
	// applied it (a smaller tree would be refused as size_beyond_tree).
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.base + "/v1/projection")
		if err != nil {
			t.Fatal(err)
		}
		var pos struct {
			Events int `json:"events"`
		}
		json.NewDecoder(resp.Body).Decode(&pos)
		resp.Body.Close()
		if pos.Events == seedEvents {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the projector applied %d events of the seed's %d after 30s", pos.Events, seedEvents)
		}
		time.Sleep(20 * time.Millisecond)
	}
	resp, err := http.Post(s.base+"/v1/checkpoints", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		TreeSize int `json:"tree_size"`
	}
	json.NewDecoder(resp.Body).Decode(&c)
	resp.Body.Close()
	if c.TreeSize != seedEvents {
		t.Fatalf("signed a checkpoint of %d events, want the seed's %d", c.TreeSize, seedEvents)
	}
	for {
		resp, err := http.Get(s.base + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable && strings.Contains(string(body), "witness alarm: witness witness.test/w1") {
			if !strings.Contains(string(body), "conflict") {
				t.Errorf("/readyz: %s; want the kind, conflict", body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz answers %d %s after 30s; want 503 naming the witness alarm\n%s", resp.StatusCode, body, s.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	resp, err = http.Get(s.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"\nlex_projector_witness_alarm 1\n", `lex_projector_witness_failures_total{kind="conflict",witness="witness.test/w1"} 1`, "\nlex_projector_checkpoint_witnessed 0\n"} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %q", strings.TrimSpace(want))
		}
	}
	if log := s.stderr.String(); !strings.Contains(log, "WITNESS ALARM") {
		t.Errorf("the log has no WITNESS ALARM:\n%s", log)
	}
}
