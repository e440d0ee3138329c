package attack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/audit"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/internal/blockfile"
	"github.com/lexledger/lexledger/internal/testkit"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/projector"
	"github.com/lexledger/lexledger/witness"
)

// The tamper suite of issue 14: an operator who holds the data directory,
// and for some attacks the signing key, edits the stored bytes with the
// server stopped (internal/blockfile recomputes the file store's
// checksums, so that the server serves what was written), deletes
// streams, or publishes with a role's seed. Against it: an auditor who ran
// `projector verify --state` before the attack, pinning the ledger's key
// and a witness's, and a witness (`ledger witness`) to which the ledger
// submits its checkpoints. Every attack must be detected, by a message
// that names the place: a sequence, a tree size.
//
// Each attack starts from the same ledger: the seed (44 events), a
// checkpoint of it, an amendment of the Law on Refugees (sequence 45,
// chained onto 27 and 28, the law's adoption and commencement), and a
// checkpoint of 45; both checkpoints cosigned by the witness, and
// remembered by the auditor.

const (
	refugeesAdopted = 27 // the adoption of the Law on Refugees, with Article 18's text
	article18       = "art_18"
	seedEvents      = 44
	ledgerEvents    = 45 // the seed and the amendment
)

// ledgerEnv is a ledger serve on its data directory, its witness, the
// genuine checkpoint key as its operator holds it, and the auditor's
// state.
type ledgerEnv struct {
	*server
	signer    *audit.Signer
	vkey      string // the ledger's note verifier key, as published
	wit       *witnessProc
	state     string // the auditor's state file, written before the attack
	projector string // the projector binary: verify, check-proof
	extra     []string
}

// witnessProc is a running `ledger witness` with its own directory.
type witnessProc struct {
	url, vkey string
	proc      *testkit.Proc
}

// hasFlag reports whether `bin sub -h` lists flag: the features of issue
// 14 that other branches build are used once they are merged.
func hasFlag(t *testing.T, bin, sub, flag string) bool {
	t.Helper()
	out, _ := exec.Command(bin, sub, "-h").CombinedOutput()
	return strings.Contains(string(out), "-"+flag+" ")
}

// needs skips the test unless bin's subcommand has flag.
func needs(t *testing.T, bin, sub, flag string) {
	t.Helper()
	if !hasFlag(t, bin, sub, flag) {
		t.Skipf("%s %s has no -%s yet (issue 14, being merged)", filepath.Base(bin), sub, flag)
	}
}

// genuineKey returns the checkpoint key that serve signs with (its
// default, under the test binary's private XDG_CONFIG_HOME), creating it
// first if need be: the operator's copy of it.
func genuineKey(t *testing.T) (*audit.Signer, string) {
	t.Helper()
	path, err := projector.DefaultKeyPath()
	if err != nil {
		t.Fatal(err)
	}
	s, vkey, err := projector.LoadOrCreateKey(path, "")
	if err != nil {
		t.Fatal(err)
	}
	return s, vkey
}

// startWitness runs `ledger witness` on a directory of its own,
// witnessing the log of origin signed by vkey.
func startWitness(t *testing.T, ledger, origin, vkey string) *witnessProc {
	t.Helper()
	port := testkit.FreePort(t)
	w := &witnessProc{url: fmt.Sprintf("http://127.0.0.1:%d", port)}
	w.proc = testkit.StartProc(t, ledger, "witness", "--dir", t.TempDir(), "--name", "witness.test/w1",
		"--listen", fmt.Sprintf("127.0.0.1:%d", port), "--log-key", origin+"="+vkey)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(w.url + "/vkey")
		if err == nil {
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				w.vkey = strings.TrimSpace(string(data))
				return w
			}
		}
		if !w.proc.Running() || time.Now().After(deadline) {
			t.Fatalf("ledger witness did not answer within 30 s: %v\n%s", w.proc.Err, w.proc.Out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// newLedger starts the witness and the ledger, records the seed, an
// amendment and two checkpoints, and has the auditor verify and remember
// them.
func newLedger(t *testing.T) *ledgerEnv {
	t.Helper()
	if testing.Short() {
		t.Skip("builds ledger and natscli and attacks real processes (skipped with -short)")
	}
	e := &ledgerEnv{projector: testkit.Tool(t, "projector", projectorPkg), state: filepath.Join(t.TempDir(), "auditor-state.json")}
	e.signer, e.vkey = genuineKey(t)
	ledger := testkit.Tool(t, "ledger", ledgerPkg)
	e.wit = startWitness(t, ledger, e.signer.Origin(), e.vkey)
	if hasFlag(t, ledger, "serve", "witness") {
		e.extra = []string{"--witness", e.wit.url + "=" + e.wit.vkey, "--witness-quorum", "1"}
	}
	e.server = startIn(t, t.TempDir(), e.extra...)
	e.importSeed()
	e.waitReady(30 * time.Second)
	e.checkpoint(seedEvents)
	if status, body := e.post(amendment("2011-01-01")); status != http.StatusCreated {
		t.Fatalf("the amendment: %d %s", status, body)
	}
	e.checkpoint(ledgerEvents)
	if out, err := e.verify(e.auditor()...); err != nil {
		t.Fatalf("the auditor's verify before any attack: %v\n%s", err, out)
	}
	return e
}

// auditor is what the auditor gives verify: the ledger's key, its state
// and, once they exist, the witness's key and a quorum of one.
func (e *ledgerEnv) auditor() []string {
	args := []string{"--key", e.vkey}
	if hasFlag(e.t, e.projector, "verify", "state") {
		args = append(args, "--state", e.state)
	}
	if hasFlag(e.t, e.projector, "verify", "witness-key") {
		args = append(args, "--witness-key", e.wit.vkey, "--witness-quorum", "1")
	}
	return args
}

// verify runs projector verify as the auditor (its seed in DATA/nats).
func (e *ledgerEnv) verify(args ...string) (string, error) {
	cmd := exec.Command(e.projector, append([]string{"verify", "--quiet", "--nats-url", e.natsURL}, args...)...)
	cmd.Env = append(os.Environ(), "LEDGER_DATA="+e.dir)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// mustFailVerify runs the auditor's verify and fails the test unless it
// exits non-zero saying every one of want; it returns the line that says
// what failed.
func (e *ledgerEnv) mustFailVerify(want ...string) string {
	e.t.Helper()
	out, err := e.verify(e.auditor()...)
	if err == nil {
		e.t.Errorf("the auditor's verify passes after the attack:\n%s", out)
		return out
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			e.t.Errorf("the auditor's verify does not say %q:\n%s", w, out)
		}
	}
	return failureLine(out)
}

// failureLine is the line of verify's output that says what failed.
func failureLine(out string) string {
	for line := range strings.Lines(out) {
		if strings.Contains(line, "FAILED") {
			return strings.TrimSpace(line)
		}
	}
	return strings.TrimSpace(out)
}

// apiCheckpoint is GET /v1/checkpoint's answer, with what witnessing adds.
type apiCheckpoint struct {
	TreeSize     uint64          `json:"tree_size"`
	Root         string          `json:"root"`
	StreamSeq    uint64          `json:"stream_seq"`
	Note         string          `json:"note"`
	Witnessed    *bool           `json:"witnessed"`
	Cosignatures json.RawMessage `json:"cosignatures"`
}

// checkpoint asks the ledger for a checkpoint and waits until the latest
// covers size events (and, with witnesses, is witnessed).
func (e *ledgerEnv) checkpoint(size uint64) apiCheckpoint {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last string
	for {
		status, body := e.postTo("/v1/checkpoints", "")
		var c apiCheckpoint
		if status == http.StatusOK {
			c = e.latest()
			if c.TreeSize == size && (len(e.extra) == 0 || c.Witnessed != nil && *c.Witnessed) {
				return c
			}
		}
		last = fmt.Sprintf("POST /v1/checkpoints: %d %s; latest: size %d witnessed %v", status, body, c.TreeSize, c.Witnessed)
		if time.Now().After(deadline) {
			e.t.Fatalf("no checkpoint of %d events within 30 s: %s\n%s", size, last, e.proc.Out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// latest is GET /v1/checkpoint.
func (e *ledgerEnv) latest() apiCheckpoint {
	e.t.Helper()
	var c apiCheckpoint
	getJSON(e.t, e.base+"/v1/checkpoint", &c)
	return c
}

func (e *ledgerEnv) postTo(path, body string) (int, string) {
	e.t.Helper()
	resp, err := http.Post(e.base+path, "application/json", strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(data))
}

// stored is the message at seq as the server serves it (nats stream get,
// as the auditor).
func (e *ledgerEnv) stored(seq uint64) string {
	e.t.Helper()
	return e.mustNats("auditor", "stream", "get", natsjs.DefaultStream, strconv.FormatUint(seq, 10))
}

// stop stops the ledger, as the operator does before editing its files.
func (e *ledgerEnv) stop() {
	e.t.Helper()
	e.proc.Terminate(e.t)
}

// restart starts the ledger again on its data directory and waits until
// it answers, ready or not: after an attack it may rightly refuse to be.
func (e *ledgerEnv) restart() {
	e.t.Helper()
	s := &server{t: e.t, dir: e.dir, ledger: e.ledger, natscli: e.natscli}
	hp, np := testkit.FreePort(e.t), testkit.FreePort(e.t)
	s.base, s.natsURL = fmt.Sprintf("http://127.0.0.1:%d", hp), fmt.Sprintf("nats://127.0.0.1:%d", np)
	args := append([]string{"serve", "--data", s.dir, "--http", fmt.Sprintf("127.0.0.1:%d", hp),
		"--nats-port", strconv.Itoa(np), "--watch-interval", "200ms"}, e.extra...)
	s.proc = testkit.StartProc(e.t, s.ledger, args...)
	s.waitReadiness("answering", 60*time.Second, func(int, readiness) bool { return true })
	e.server = s
}

// stream is a stream's files in the stopped ledger's data directory.
func (e *ledgerEnv) stream(name string) blockfile.Stream {
	e.t.Helper()
	s, err := blockfile.Find(e.dir, name)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// removeStream deletes a stream's directory, as an operator with the files
// can (the projector creates the views it finds missing again, empty).
func (e *ledgerEnv) removeStream(name string) {
	e.t.Helper()
	if err := os.RemoveAll(e.stream(name).Dir); err != nil {
		e.t.Fatal(err)
	}
}

// rewriteEvent changes the event at seq with edit, re-seals it and every
// later event of its act (prev_hash, hash), and writes the blocks with
// their checksums: a rewrite that every chain still vouches for.
func (e *ledgerEnv) rewriteEvent(seq uint64, edit func(*events.Event)) events.Digest {
	e.t.Helper()
	var act events.ActID
	var head events.Digest // the act's new last hash
	n, err := e.stream(natsjs.DefaultStream).Rewrite(func(r *blockfile.Record) (bool, error) {
		if r.Seq < seq {
			return true, nil
		}
		ev, err := events.Decode(r.Data)
		if err != nil {
			return false, err
		}
		switch {
		case r.Seq == seq:
			act = ev.Act
			edit(&ev)
		case ev.Act == act:
			ev.PrevHash = head
		default:
			return true, nil
		}
		if r.Data, err = ev.Seal(); err != nil {
			return false, err
		}
		head = ev.Hash
		return true, nil
	})
	if err != nil || n == 0 {
		e.t.Fatalf("rewrite sequence %d: %d records changed, %v", seq, n, err)
	}
	return head
}

// cutFrom removes the events from sequence from on.
func (e *ledgerEnv) cutFrom(from uint64) {
	e.t.Helper()
	n, err := e.stream(natsjs.DefaultStream).Rewrite(func(r *blockfile.Record) (bool, error) { return r.Seq < from, nil })
	if err != nil || n == 0 {
		e.t.Fatalf("cut from sequence %d: %d removed, %v", from, n, err)
	}
}

// tamperRow logs a row of RELIABILITY.md's tamper table: the attack, what
// the operator did, what detected it and what it said.
func tamperRow(t *testing.T, attack, did, detector, message string) {
	t.Helper()
	row(t, attack, did, detector+": "+message)
}

// waitFor polls /readyz until it answers status and says every one of
// want; it returns what it says.
func (e *ledgerEnv) waitFor(status int, within time.Duration, want ...string) string {
	e.t.Helper()
	what := fmt.Sprintf("%d saying %q", status, want)
	r := e.waitReadiness(what, within, func(got int, r readiness) bool {
		if got != status {
			return false
		}
		for _, w := range want {
			if !strings.Contains(r.says(), w) {
				return false
			}
		}
		return true
	})
	return r.says()
}

// TestTamper runs each attack on a ledger of its own.
func TestTamper(t *testing.T) {
	// (a) One byte of Article 18's text flipped in the stored file, the
	// block's checksum recomputed: the server serves the altered event.
	t.Run("ByteFlip", func(t *testing.T) {
		e := newLedger(t)
		e.stop()
		n, err := e.stream(natsjs.DefaultStream).Rewrite(func(r *blockfile.Record) (bool, error) {
			if r.Seq == refugeesAdopted {
				i := strings.Index(string(r.Data), "cannot be forced")
				r.Data[i] ^= 0x20 // 'c' -> 'C'
			}
			return true, nil
		})
		if err != nil || n != 1 {
			t.Fatalf("flip: %d changed, %v", n, err)
		}
		e.restart()
		if got := e.stored(refugeesAdopted); !strings.Contains(got, "Cannot be forced") {
			t.Fatalf("the server does not serve the flipped byte at sequence %d: %s", refugeesAdopted, got)
		}
		msg := e.mustFailVerify("sequence 27", "hash")
		tamperRow(t, "(a) a byte of Article 18's text flipped, the block checksum recomputed", "stopped the server, flipped 'c' to 'C' in LEX's block, recomputed the record's HighwayHash, removed index.db, restarted",
			"projector verify", msg)
		// The audit report and /readyz say it too, from the stored bytes.
		var rep struct {
			ChainOK     bool   `json:"chain_ok"`
			ChainStatus string `json:"chain_status"`
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			getJSON(t, e.base+"/v1/audit?act="+refugees, &rep)
			if rep.ChainStatus == "failed" || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if rep.ChainOK || rep.ChainStatus != "failed" {
			t.Errorf("the audit report of the Law on Refugees says chain_ok %v, chain_status %q after the flip; want false, failed", rep.ChainOK, rep.ChainStatus)
		}
		tamperRow(t, "(a) the same flip, seen by the audit report", "as above", "GET /v1/audit?act=…/216",
			fmt.Sprintf("chain_ok %v, chain_status %q", rep.ChainOK, rep.ChainStatus))
	})

	// The first row: an admin deletes the checkpoints stream (its
	// seed is in DATA/nats), which the server accepts.
	t.Run("CheckpointsDeleted", func(t *testing.T) {
		e := newLedger(t)
		needs(t, e.projector, "verify", "state")
		e.mustNats("admin", "stream", "rm", natsjs.CheckpointsStream, "-f")
		msg := e.mustFailVerify("checkpoints_missing")
		tamperRow(t, "the checkpoints stream deleted", "nats stream rm LEX_CHECKPOINTS with the admin's seed", "projector verify --state", msg)
	})

	// The same row's other half: the checkpoints stream's block corrupted,
	// its checksum not recomputed, so that the server drops the last
	// checkpoint when it rebuilds its state.
	t.Run("CheckpointDropped", func(t *testing.T) {
		e := newLedger(t)
		needs(t, e.projector, "verify", "state")
		e.stop()
		cps := e.stream(natsjs.CheckpointsStream)
		path := cps.BlockPath(1)
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		i := strings.Index(string(raw), fmt.Sprintf("stream_seq %d", ledgerEvents))
		if i < 0 {
			t.Fatalf("no checkpoint of stream_seq %d in %s", ledgerEvents, path)
		}
		raw[i] ^= 0x20
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := cps.Invalidate(); err != nil {
			t.Fatal(err)
		}
		e.restart()
		msg := e.mustFailVerify("checkpoints_shorter")
		tamperRow(t, "the last checkpoint's block corrupted (the server drops it)", "stopped the server, flipped a byte of the second checkpoint in LEX_CHECKPOINTS's block (checksum left wrong), removed index.db, restarted",
			"projector verify --state", msg)
	})

	// The second row: events cut from the end, then the
	// checkpoints and the snapshot deleted.
	t.Run("CutEnd", func(t *testing.T) {
		e := newLedger(t)
		needs(t, e.projector, "verify", "state")
		e.stop()
		e.cutFrom(41)
		e.removeStream(natsjs.CheckpointsStream)
		e.removeStream("OBJ_" + natsjs.SnapshotBucket)
		e.restart()
		msg := e.mustFailVerify("stream_shorter", "40", "45")
		tamperRow(t, "events cut from the end, checkpoints and snapshot deleted", "stopped the server, removed sequences 41 to 45 from LEX's block, deleted LEX_CHECKPOINTS and OBJ_LEX_PROJECTIONS, restarted",
			"projector verify --state", msg)
		e.witnessRefuses(40)
	})

	// The last row: the whole stream emptied, the checkpoints
	// kept, the snapshot deleted: the ledger must not call itself ready.
	t.Run("StreamEmptied", func(t *testing.T) {
		e := newLedger(t)
		e.stop()
		e.cutFrom(1)
		e.removeStream("OBJ_" + natsjs.SnapshotBucket)
		e.restart()
		says := e.waitFor(http.StatusServiceUnavailable, 30*time.Second)
		if got := len(e.streamLines()); got != 0 {
			t.Errorf("the stream serves %d events after it was emptied", got)
		}
		tamperRow(t, "every event cut, the checkpoints kept", "stopped the server, removed every record of LEX's block, deleted the snapshot, restarted", "/readyz 503", says)
		msg := e.mustFailVerify("checkpoint_size")
		tamperRow(t, "every event cut, the checkpoints kept", "as above", "projector verify", msg)
	})

	// (b) and the third row: Article 18 rewritten in the stored
	// file, its event's hash and its act's chain after it recomputed, the
	// checkpoints and the snapshot deleted; restarted, the ledger signs
	// the rewritten tree with the genuine key.
	t.Run("RewriteResigned", func(t *testing.T) {
		e := newLedger(t)
		needs(t, e.projector, "verify", "state")
		before := e.latest()
		e.stop()
		e.rewriteArticle18()
		e.removeStream(natsjs.CheckpointsStream)
		e.removeStream("OBJ_" + natsjs.SnapshotBucket)
		e.restart()
		if got := e.stored(refugeesAdopted); !strings.Contains(got, "can be forced to return") {
			t.Fatalf("the server does not serve the rewritten text: %s", got)
		}
		// The projector signs the rewrite with the genuine key.
		deadline := time.Now().Add(30 * time.Second)
		var after apiCheckpoint
		for {
			e.postTo("/v1/checkpoints", "")
			if after = e.latestOrZero(); after.TreeSize == ledgerEvents || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if after.TreeSize != ledgerEvents || after.Root == before.Root {
			t.Fatalf("the ledger did not re-sign the rewritten tree: size %d root %s, before %s", after.TreeSize, after.Root, before.Root)
		}
		if out, err := e.verify("--key", e.vkey); err == nil {
			tamperRow(t, "(b) a rewrite re-hashed and re-signed with the genuine key", "as below", "projector verify --key alone (no state, no witness)", "passes: "+failureLine(out)+" (why the auditor remembers)")
		}
		want := []string{"history_rewritten", "27"}
		if len(e.extra) > 0 {
			want = append(want, "witness_quorum")
		}
		msg := e.mustFailVerify(want...)
		tamperRow(t, "(b) Article 18 rewritten, its hash and its act's chain recomputed, re-signed with the genuine key", "stopped the server, rewrote sequence 27's text, re-sealed 27, 28 and 45, recomputed the block's checksums, deleted LEX_CHECKPOINTS and OBJ_LEX_PROJECTIONS, restarted; the projector signed the rewritten tree with the key in ~/.config/lexledger",
			"projector verify --state --witness-key", msg)
		e.witnessRefuses(ledgerEvents)
	})

	// The signer's guard: the same rewrite with the checkpoints kept.
	t.Run("RewriteCheckpointsKept", func(t *testing.T) {
		e := newLedger(t)
		e.stop()
		e.rewriteArticle18()
		e.removeStream("OBJ_" + natsjs.SnapshotBucket)
		e.restart()
		says := e.waitFor(http.StatusServiceUnavailable, 30*time.Second)
		status, body := e.postTo("/v1/checkpoints", "")
		if status != http.StatusConflict {
			t.Errorf("POST /v1/checkpoints after the rewrite: %d %s, want 409", status, body)
		}
		tamperRow(t, "Article 18 rewritten and re-hashed, the checkpoints kept", "as in (b), LEX_CHECKPOINTS kept", "the signer's guard: /readyz 503, POST /v1/checkpoints "+strconv.Itoa(status), says)
		msg := e.mustFailVerify("checkpoint_root")
		tamperRow(t, "Article 18 rewritten and re-hashed, the checkpoints kept", "as above", "projector verify --key", msg)
	})

	// The fourth row: a checkpoint whose stream_seq is beyond the
	// stream, signed by another key, published with the projector's seed.
	t.Run("ForgedStreamSeq", func(t *testing.T) {
		e := newLedger(t)
		needs(t, e.projector, "verify", "state")
		forged := e.forge(999)
		msg := e.mustFailVerify("checkpoint_signature")
		tamperRow(t, "a checkpoint with stream_seq 999 on a 45-event stream, signed by another key", "published it on lex.checkpoints with the projector's seed", "projector verify --key --state", msg)
		out, err := e.verify()
		if err == nil || !strings.Contains(out, "checkpoint_stream_seq") || !strings.Contains(out, "999") {
			t.Errorf("verify with no key pinned does not fail with checkpoint_stream_seq naming 999: %v\n%s", err, out)
		}
		tamperRow(t, "the same, no key pinned", "as above", "projector verify", failureLine(out))
		_ = forged
	})

	// (c) A checkpoint of the true tree signed by another key under the
	// ledger's origin.
	t.Run("ForgedKey", func(t *testing.T) {
		e := newLedger(t)
		e.forge(ledgerEvents)
		msg := e.mustFailVerify("checkpoint_signature")
		tamperRow(t, "(c) a checkpoint of the true tree signed by another key", "published it on lex.checkpoints with the projector's seed", "projector verify --key", msg)
	})

	// The fifth row: check-proof on a proof whose sequence was
	// edited.
	t.Run("ProofSequenceEdited", func(t *testing.T) {
		e := newLedger(t)
		needs(t, e.projector, "verify", "state")
		var proof map[string]any
		getJSON(t, e.base+"/v1/proof?event=01KZSEED000000000000000027", &proof)
		proof["sequence"] = 3
		data, _ := json.Marshal(proof)
		file := filepath.Join(t.TempDir(), "proof.json")
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(e.projector, "check-proof", "--key", e.vkey, file).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "3") || !strings.Contains(string(out), "26") {
			t.Errorf("check-proof on a proof whose sequence says 3 for leaf 26: %v\n%s", err, out)
		}
		tamperRow(t, "an inclusion proof's sequence edited (27 to 3)", "edited proof.json", "projector check-proof --key", strings.TrimSpace(string(out)))
	})

	// The sixth row: after a restart the last checkpoint is found
	// again.
	t.Run("Restart", func(t *testing.T) {
		e := newLedger(t)
		before := e.latest()
		e.stop()
		e.restart()
		e.waitReady(30 * time.Second)
		after := e.latestOrZero()
		if after.TreeSize != before.TreeSize || after.Root != before.Root {
			t.Errorf("after a restart /v1/checkpoint is size %d root %s, before it was %d %s", after.TreeSize, after.Root, before.TreeSize, before.Root)
		}
		tamperRow(t, "a restart", "stopped and started the server", "GET /v1/checkpoint", fmt.Sprintf("tree_size %d, root %s: the last checkpoint found again", after.TreeSize, after.Root))
	})

	// (d) The operator, with the genuine key, shows the witness a second
	// tree of the size it cosigned.
	t.Run("WitnessShownTwoTrees", func(t *testing.T) {
		e := newLedger(t)
		genuine := e.latest()
		// Before witnessing is merged the ledger does not submit: the
		// genuine checkpoint is submitted here, as the ledger would.
		submit(t, e.wit.url, []byte(genuine.Note))
		forged := audit.Checkpoint{TreeSize: genuine.TreeSize, StreamSeq: genuine.StreamSeq, Time: time.Now()}
		copy(forged.Root[:], mustHex(t, genuine.Root))
		forged.Root[0] ^= 1
		if err := forged.Sign(e.signer); err != nil {
			t.Fatal(err)
		}
		_, err := witness.Submit(context.Background(), e.wit.url, genuine.TreeSize, nil, []byte(forged.Note))
		var we *witness.Error
		if !errors.As(err, &we) || !errors.Is(err, witness.ErrConflict) || !strings.Contains(err.Error(), "409") {
			t.Fatalf("the witness, shown a second tree of size %d: %v; want 409 Conflict", genuine.TreeSize, err)
		}
		if !strings.Contains(err.Error(), strconv.FormatUint(genuine.TreeSize, 10)) {
			t.Errorf("the witness's refusal does not name the size %d: %v", genuine.TreeSize, err)
		}
		tamperRow(t, "(d) a witness shown two different trees of the same size", fmt.Sprintf("signed a second checkpoint of size %d with another root with the genuine key, and submitted it", genuine.TreeSize),
			"ledger witness", err.Error())
	})
}

// rewriteArticle18 rewrites Article 18 of the Law on Refugees (sequence
// 27) so that refugees "can be forced to return", and re-seals the act's
// later events.
func (e *ledgerEnv) rewriteArticle18() {
	e.t.Helper()
	e.rewriteEvent(refugeesAdopted, func(ev *events.Event) {
		text := ev.Body.Texts[article18]
		if !strings.Contains(text, "cannot be forced") {
			e.t.Fatalf("Article 18 of sequence %d does not say \"cannot be forced\": %q", refugeesAdopted, text)
		}
		ev.Body.Texts[article18] = strings.Replace(text, "cannot be forced", "can be forced", 1)
	})
}

// latestOrZero is GET /v1/checkpoint, or the zero checkpoint when there is
// none.
func (e *ledgerEnv) latestOrZero() apiCheckpoint {
	e.t.Helper()
	var c apiCheckpoint
	resp, err := http.Get(e.base + "/v1/checkpoint")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		json.NewDecoder(resp.Body).Decode(&c)
	}
	return c
}

// forge signs a checkpoint of the ledger's true tree, saying stream_seq,
// with a key of the attacker's under the ledger's origin, and publishes
// it on lex.checkpoints with the projector's seed.
func (e *ledgerEnv) forge(streamSeq uint64) audit.Checkpoint {
	e.t.Helper()
	other, err := audit.GenerateSigner(e.signer.Origin())
	if err != nil {
		e.t.Fatal(err)
	}
	genuine := e.latest()
	c := audit.Checkpoint{TreeSize: genuine.TreeSize, StreamSeq: streamSeq, Time: time.Now()}
	copy(c.Root[:], mustHex(e.t, genuine.Root))
	if err := c.Sign(other); err != nil {
		e.t.Fatal(err)
	}
	e.mustNats("projector", "pub", "--jetstream", natsjs.CheckpointsSubject, c.Note)
	return c
}

// witnessRefuses has the ledger sign its tree of size events now, and
// checks that the witness refused it: /readyz fails naming the witness,
// and /v1/checkpoint says the checkpoint is not witnessed.
func (e *ledgerEnv) witnessRefuses(size uint64) {
	e.t.Helper()
	if len(e.extra) == 0 {
		return
	}
	status, body := e.postTo("/v1/checkpoints", "")
	says := e.waitFor(http.StatusServiceUnavailable, 30*time.Second, "witness")
	c := e.latestOrZero()
	if c.Witnessed != nil && *c.Witnessed && c.TreeSize == size {
		e.t.Errorf("the checkpoint of %d events is witnessed: %+v", size, c)
	}
	tamperRow(e.t, "the same, signed", fmt.Sprintf("the ledger signed its tree of %d events (POST /v1/checkpoints: %d %s)", size, status, body), "the witness refused it: /readyz 503", says)
}

// submit submits a signed checkpoint to the witness as a log does: from
// the size the witness says it has, with no proof when that is the same
// size (the ledger may have submitted it already).
func submit(t *testing.T, url string, note []byte) []byte {
	t.Helper()
	c, err := audit.UnmarshalCheckpoint(note)
	if err != nil {
		t.Fatal(err)
	}
	sigs, err := witness.Submit(context.Background(), url, 0, nil, note)
	var we *witness.Error
	if errors.As(err, &we) && we.HasSize && we.Size == c.TreeSize {
		sigs, err = witness.Submit(context.Background(), url, we.Size, nil, note)
	}
	if err != nil {
		t.Fatalf("submit the checkpoint of size %d to the witness: %v", c.TreeSize, err)
	}
	return sigs
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	var h events.Digest
	if err := h.UnmarshalText([]byte(s)); err != nil {
		t.Fatal(err)
	}
	return h[:]
}
