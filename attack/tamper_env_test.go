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

// ledgerEnv is a ledger serve on its data directory, its witness, the
// genuine checkpoint key as its operator holds it, and the auditor's
// state.
type ledgerEnv struct {
	*server
	signer     *audit.Signer
	vkey       string // the ledger's note verifier key, as published
	wit        *witnessProc
	state      string   // the auditor's state file, written before the attack
	projector  string   // the projector binary: verify, check-proof
	serveFlags []string // serve's flags: submit checkpoints to the witness, a quorum of one
	verified   string   // the output of the auditor's last verify
}

// witnessProc is a running `ledger witness` with its own directory.
type witnessProc struct {
	url, vkey string
	proc      *testkit.Proc
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
	e.serveFlags = []string{"--witness", e.wit.url + "=" + e.wit.vkey, "--witness-quorum", "1"}
	e.server = startIn(t, t.TempDir(), e.serveFlags...)
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

// auditor is what the auditor gives verify: the ledger's key, its state,
// the witness's key and a quorum of one.
func (e *ledgerEnv) auditor() []string {
	return []string{"--key", e.vkey, "--state", e.state, "--witness-key", e.wit.vkey, "--witness-quorum", "1"}
}

// verify runs projector verify as the auditor (its seed in DATA/nats).
func (e *ledgerEnv) verify(args ...string) (string, error) {
	cmd := exec.Command(e.projector, append([]string{"verify", "--quiet", "--nats-url", e.natsURL}, args...)...)
	cmd.Env = append(os.Environ(), "LEDGER_DATA="+e.dir)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// mustFailVerify runs the auditor's verify and fails the test unless it
// exits non-zero saying every one of want, a failure's kind first; it
// returns the line of that kind.
func (e *ledgerEnv) mustFailVerify(kind string, want ...string) string {
	e.t.Helper()
	out, err := e.verify(e.auditor()...)
	e.verified = out
	if err == nil {
		e.t.Errorf("the auditor's verify passes after the attack:\n%s", out)
		return out
	}
	for _, w := range append([]string{kind}, want...) {
		if !strings.Contains(out, w) {
			e.t.Errorf("the auditor's verify does not say %q:\n%s", w, out)
		}
	}
	return failureOf(out, kind)
}

// failureOf is the line of verify's output that reports a failure of
// kind, or the one that says it failed.
func failureOf(out, kind string) string {
	for line := range strings.Lines(out) {
		if strings.Contains(line, " "+kind+": ") {
			return strings.TrimSpace(line)
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

// witnessed says what the checkpoint says of its witnesses.
func (c apiCheckpoint) witnessed() string {
	if c.Witnessed == nil {
		return "(not said)"
	}
	return strconv.FormatBool(*c.Witnessed)
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
			if c.TreeSize == size && c.Witnessed != nil && *c.Witnessed {
				return c
			}
		}
		last = fmt.Sprintf("POST /v1/checkpoints: %d %s; latest: size %d witnessed %s", status, body, c.TreeSize, c.witnessed())
		if time.Now().After(deadline) {
			e.t.Fatalf("no checkpoint of %d events within 30 s: %s\n%s", size, last, e.proc.Out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// get is the body of GET path, which must answer 200.
func (e *ledgerEnv) get(path string) string {
	e.t.Helper()
	resp, err := http.Get(e.base + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("GET %s: %s %s", path, resp.Status, data)
	}
	return string(data)
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
		"--nats-port", strconv.Itoa(np), "--watch-interval", "200ms"}, e.serveFlags...)
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

// removeProjection deletes the projector's saved state: the shared
// snapshot (OBJ_LEX_PROJECTIONS) and the store in DATA/projection with its
// tree, as an operator with the files can, so that the projector rebuilds
// from the stream as it now stands (the strongest form of each attack: a
// store kept from before the rewrite would still hold the true events).
func (e *ledgerEnv) removeProjection() {
	e.t.Helper()
	e.removeStream("OBJ_" + natsjs.SnapshotBucket)
	for _, d := range []string{"projection", "projection-tree"} {
		if err := os.RemoveAll(filepath.Join(e.dir, d)); err != nil {
			e.t.Fatal(err)
		}
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

// flipStored flips a byte of the event at seq in LEX's block file,
// leaving its checksum as it was.
func (e *ledgerEnv) flipStored(seq uint64) {
	e.t.Helper()
	st := e.stream(natsjs.DefaultStream)
	blocks, err := st.Blocks()
	if err != nil || len(blocks) != 1 {
		e.t.Fatalf("LEX's blocks: %v %v; want one", blocks, err)
	}
	path := st.BlockPath(blocks[0])
	raw, err := os.ReadFile(path)
	if err != nil {
		e.t.Fatal(err)
	}
	id := fmt.Sprintf(`"id":"01KZSEED0000000000000000%02d"`, seq)
	i := strings.Index(string(raw), id)
	if i < 0 {
		e.t.Fatalf("no %s in %s", id, path)
	}
	raw[i+len(id)+2] ^= 0x20 // a letter of the following field's name
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		e.t.Fatal(err)
	}
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
	status, _ := e.postTo("/v1/checkpoints", "")
	says := e.waitFor(http.StatusServiceUnavailable, 30*time.Second, "witness")
	c := e.latestOrZero()
	if c.TreeSize != size || c.Witnessed == nil || *c.Witnessed {
		e.t.Errorf("/v1/checkpoint after the witness's refusal: size %d, witnessed %s; want %d, false", c.TreeSize, c.witnessed(), size)
	}
	tamperRow(e.t, "the same, signed", fmt.Sprintf("the ledger signed its tree of %d events (POST /v1/checkpoints: %d)", size, status),
		"the witness refused it: /v1/checkpoint witnessed "+c.witnessed()+"; /readyz 503", says)
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

// natsErrors is what the nats tool said was wrong.
func natsErrors(out string) string {
	var errs []string
	for line := range strings.Lines(out) {
		if strings.Contains(line, "error:") {
			errs = append(errs, strings.TrimSpace(line))
		}
	}
	return strings.Join(errs, "; ")
}
