package attack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/audit"
	"github.com/lexledger/lexledger/internal/blockfile"
	"github.com/lexledger/lexledger/natsjs"
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
		msg := e.mustFailVerify("hash", "sequence 27")
		tamperRow(t, "(a) a byte of Article 18's text flipped, the block checksum recomputed", "stopped the server, flipped 'c' to 'C' in LEX's block, recomputed the record's HighwayHash, removed index.db, restarted",
			"projector verify", msg)
		// The audit report and /readyz say it too, from the stored bytes.
		var rep struct {
			ChainOK     bool            `json:"chain_ok"`
			ChainStatus string          `json:"chain_status"`
			ChainIssues json.RawMessage `json:"chain_issues"`
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
		if !strings.Contains(string(rep.ChainIssues), "27") {
			t.Errorf("the audit report's chain_issues do not name sequence 27: %s", rep.ChainIssues)
		}
		csv := e.get("/v1/audit?format=csv&act=" + refugees)
		var line27 string
		for l := range strings.Lines(csv) {
			if strings.HasPrefix(l, "27,") {
				line27 = strings.TrimSpace(l)
			}
		}
		if !strings.HasSuffix(line27, ",failed") {
			t.Errorf("the CSV's line of sequence 27 does not end with the chain status failed: %q", line27)
		}
		tamperRow(t, "(a) the same flip, seen by the audit report", "as above", "GET /v1/audit?act=…/216 (and its CSV)",
			fmt.Sprintf("chain_ok %v, chain_status %q, chain_issues %s; CSV: %s", rep.ChainOK, rep.ChainStatus, rep.ChainIssues, line27))
		says := e.waitFor(http.StatusServiceUnavailable, 30*time.Second, "stored bytes", "altered")
		tamperRow(t, "(a) the same flip, seen by /readyz", "as above", "/readyz 503 (the stored bytes against the last checkpoint)", says)
	})

	// Not an insider: one byte of LEX's block rots on the disk, its
	// checksum no longer matching. The server skips the record (a gap) or,
	// once it rebuilds its state from the blocks, drops it and the rest of
	// its block and truncates the file there (internal/blockfile's tests).
	t.Run("BitRot", func(t *testing.T) {
		e := newLedger(t)
		e.stop()
		e.flipStored(refugeesAdopted)
		e.restart()
		msg := e.mustFailVerify("gap", "events 27 to 27 are missing")
		tamperRow(t, "bit rot: a byte of sequence 27 flipped, its checksum not", "stopped the server, flipped a byte of LEX's block, restarted (the server skips the record)", "projector verify", msg)
		var rep struct {
			ChainStatus string          `json:"chain_status"`
			ChainIssues json.RawMessage `json:"chain_issues"`
		}
		getJSON(t, e.base+"/v1/audit?act="+refugees, &rep)
		if rep.ChainStatus != "failed" || !strings.Contains(string(rep.ChainIssues), "27") {
			t.Errorf("the audit report of the Law on Refugees after the rot: %s %s; want failed, naming sequence 27", rep.ChainStatus, rep.ChainIssues)
		}
		tamperRow(t, "bit rot: a byte of sequence 27 flipped, its checksum not", "as above", "GET /v1/audit?act=…/216", fmt.Sprintf("chain_status %s, chain_issues %s", rep.ChainStatus, rep.ChainIssues))
		// /readyz reflects the stored bytes: their tree is no longer the
		// one the last checkpoint signed.
		says := e.waitFor(http.StatusServiceUnavailable, 30*time.Second, "stored bytes")
		tamperRow(t, "bit rot: a byte of sequence 27 flipped, its checksum not", "as above", "/readyz 503 (the stored bytes against the last checkpoint)", says)
	})
	t.Run("BitRotRebuilt", func(t *testing.T) {
		e := newLedger(t)
		e.stop()
		e.flipStored(refugeesAdopted)
		if err := e.stream(natsjs.DefaultStream).Invalidate(); err != nil {
			t.Fatal(err)
		}
		e.restart()
		if got := len(e.streamLines()); got != refugeesAdopted-1 {
			t.Errorf("the server serves %d events after it rebuilt a block corrupted at sequence %d, want %d", got, refugeesAdopted, refugeesAdopted-1)
		}
		says := e.waitFor(http.StatusServiceUnavailable, 30*time.Second)
		tamperRow(t, "bit rot, the server's index.db lost too", "stopped the server, flipped a byte of sequence 27 in LEX's block, removed index.db, restarted (the server truncated the block at 27)", "/readyz 503", says)
		msg := e.mustFailVerify("checkpoint_size", "the stream holds 26")
		tamperRow(t, "bit rot, the server's index.db lost too", "as above", "projector verify", msg)
	})

	// The issue's first row: the checkpoints stream deleted. No role may
	// delete it on the default server (the admin's account is LEDGER, the
	// stream is in VIEWS, and the projector may not delete its views), so
	// the operator deletes its files; the projector makes it again, empty.
	t.Run("CheckpointsDeleted", func(t *testing.T) {
		e := newLedger(t)
		if out, err := e.nats("admin", "stream", "rm", natsjs.CheckpointsStream, "-f"); err == nil {
			t.Errorf("the admin deleted LEX_CHECKPOINTS through NATS: %s", out)
		}
		if out, err := e.nats("projector", "stream", "rm", natsjs.CheckpointsStream, "-f"); err == nil {
			t.Errorf("the projector's role deleted LEX_CHECKPOINTS through NATS: %s", out)
		}
		e.stop()
		e.removeStream(natsjs.CheckpointsStream)
		e.restart()
		msg := e.mustFailVerify("checkpoints_shorter", "holds 0 messages")
		tamperRow(t, "the checkpoints stream deleted", "nats stream rm LEX_CHECKPOINTS as admin and as projector (both refused); then stopped the server, deleted the stream's directory, restarted (the projector made it again, empty)", "projector verify --state", msg)
	})

	// The projector's role may edit its views (their replicas): it may not
	// lift LEX_CHECKPOINTS's deny purge (the server refuses), but may it
	// limit the stream to its last message, so that the server itself
	// removes the older checkpoints?
	t.Run("CheckpointsPurged", func(t *testing.T) {
		e := newLedger(t)
		edit, err := e.nats("projector", "stream", "edit", natsjs.CheckpointsStream, "--no-deny-purge", "-f")
		if err == nil {
			t.Errorf("the projector's role lifted LEX_CHECKPOINTS's deny purge: %s", edit)
		}
		purge, err := e.nats("projector", "stream", "purge", natsjs.CheckpointsStream, "-f")
		if err == nil {
			t.Errorf("the projector's role purged LEX_CHECKPOINTS: %s", purge)
		}
		tamperRow(t, "the checkpoints purged", "nats stream edit LEX_CHECKPOINTS --no-deny-purge, then nats stream purge, as projector", "refused by the server", natsErrors(edit+purge))
	})
	t.Run("CheckpointsLimited", func(t *testing.T) {
		e := newLedger(t)
		// natsauth denies the ledger's and the projector's roles any update
		// of the checkpoints' stream; the ledger's admin is in another
		// account. If the projector's role could, the rows below say what
		// would still detect it.
		if out, err := e.nats("admin", "stream", "edit", natsjs.CheckpointsStream, "--max-msgs", "1", "-f"); err == nil {
			t.Errorf("the ledger's admin limited LEX_CHECKPOINTS: %s", out)
		}
		out, err := e.nats("projector", "stream", "edit", natsjs.CheckpointsStream, "--max-msgs", "1", "-f")
		if err != nil {
			tamperRow(t, "the checkpoints limited to one", "nats stream edit LEX_CHECKPOINTS --max-msgs 1, as admin and as projector", "refused: no role may update the checkpoints' stream", natsErrors(out))
			return
		}
		t.Errorf("the projector's role limited LEX_CHECKPOINTS to one message: %s", out)
		if got := stateOf(e.mustNats("projector", "stream", "info", natsjs.CheckpointsStream, "--json")); !strings.Contains(got, "Msgs:1 ") {
			t.Errorf("LEX_CHECKPOINTS after --max-msgs 1: %s, want one message", got)
		}
		says := e.waitFor(http.StatusServiceUnavailable, 30*time.Second, natsjs.CheckpointsStream, "max_msgs")
		tamperRow(t, "the checkpoints limited to one", "nats stream edit LEX_CHECKPOINTS --max-msgs 1, as projector (accepted: the server dropped all but the last)", "the stream watch: /readyz 503", says)
		msg := e.mustFailVerify("checkpoints_shorter", "holds 1 message")
		tamperRow(t, "the checkpoints limited to one", "as above", "projector verify --state", msg)
	})

	// The same row's other half: the checkpoints stream's block corrupted,
	// its checksum not recomputed, so that the server drops the last
	// checkpoint when it rebuilds its state.
	t.Run("CheckpointDropped", func(t *testing.T) {
		e := newLedger(t)
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
		msg := e.mustFailVerify("checkpoints_shorter", "holds 2 messages, but it held 4")
		tamperRow(t, "the last checkpoint's block corrupted (the server drops it)", "stopped the server, flipped a byte of the first checkpoint of 45 (the third message) in LEX_CHECKPOINTS's block, its checksum left wrong, removed index.db, restarted",
			"projector verify --state", msg)
	})

	// The issue's second row: events cut from the end, then the
	// checkpoints and the snapshot deleted.
	t.Run("CutEnd", func(t *testing.T) {
		e := newLedger(t)
		e.stop()
		e.cutFrom(41)
		e.removeStream(natsjs.CheckpointsStream)
		e.removeProjection()
		e.restart()
		msg := e.mustFailVerify("stream_shorter", "the stream holds 40 events, but 45 were verified", "events 41 to 45 were removed")
		tamperRow(t, "events cut from the end, checkpoints and snapshot deleted", "stopped the server, removed sequences 41 to 45 from LEX's block, deleted LEX_CHECKPOINTS, OBJ_LEX_PROJECTIONS and DATA/projection, restarted",
			"projector verify --state", msg)
		e.witnessRefuses(40)
	})

	// The issue's last row: the whole stream emptied, the checkpoints
	// kept, the snapshot deleted: the ledger must not call itself ready.
	t.Run("StreamEmptied", func(t *testing.T) {
		e := newLedger(t)
		e.stop()
		e.cutFrom(1)
		e.removeProjection()
		e.restart()
		says := e.waitFor(http.StatusServiceUnavailable, 30*time.Second)
		if got := len(e.streamLines()); got != 0 {
			t.Errorf("the stream serves %d events after it was emptied", got)
		}
		tamperRow(t, "every event cut, the checkpoints kept", "stopped the server, removed every record of LEX's block, deleted the snapshot and DATA/projection, restarted", "/readyz 503", says)
		msg := e.mustFailVerify("checkpoint_size", "the stream holds 0")
		tamperRow(t, "every event cut, the checkpoints kept", "as above", "projector verify", msg)
	})

	// (b) and the issue's third row: Article 18 rewritten in the stored
	// file, its event's hash and its act's chain after it recomputed, the
	// checkpoints and the snapshot deleted; restarted, the ledger signs
	// the rewritten tree with the genuine key.
	t.Run("RewriteResigned", func(t *testing.T) {
		e := newLedger(t)
		before := e.latest()
		e.stop()
		e.rewriteArticle18()
		e.removeStream(natsjs.CheckpointsStream)
		e.removeProjection()
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
		msg := e.mustFailVerify("history_rewritten", "the first differing tree size is 27", "witness_quorum")
		tamperRow(t, "(b) Article 18 rewritten, its hash and its act's chain recomputed, re-signed with the genuine key", "stopped the server, rewrote sequence 27's text, re-sealed 27, 28 and 45, recomputed the block's checksums, deleted LEX_CHECKPOINTS, OBJ_LEX_PROJECTIONS and DATA/projection, restarted; the projector signed the rewritten tree with the key in ~/.config/lexledger",
			"projector verify --state", msg)
		tamperRow(t, "(b) the same", "as above", "projector verify --witness-key --witness-quorum 1", failureOf(e.verified, "witness_quorum"))
		e.witnessRefuses(ledgerEvents)
	})

	// The signer's guard: the same rewrite with the checkpoints kept.
	t.Run("RewriteCheckpointsKept", func(t *testing.T) {
		e := newLedger(t)
		e.stop()
		e.rewriteArticle18()
		e.removeProjection()
		e.restart()
		says := e.waitFor(http.StatusServiceUnavailable, 30*time.Second)
		status, body := e.postTo("/v1/checkpoints", "")
		if status != http.StatusConflict {
			t.Errorf("POST /v1/checkpoints after the rewrite: %d %s, want 409", status, body)
		}
		tamperRow(t, "Article 18 rewritten and re-hashed, the checkpoints kept", "as in (b), LEX_CHECKPOINTS kept", "the signer's guard: /readyz 503, POST /v1/checkpoints "+strconv.Itoa(status), says)
		msg := e.mustFailVerify("checkpoint_root", "the first 44 events")
		tamperRow(t, "Article 18 rewritten and re-hashed, the checkpoints kept", "as above", "projector verify --key", msg)
	})

	// The issue's fourth row: a checkpoint whose stream_seq is beyond the
	// stream, signed by another key, published with the projector's seed.
	t.Run("ForgedStreamSeq", func(t *testing.T) {
		e := newLedger(t)
		e.forge(999)
		msg := e.mustFailVerify("checkpoint_signature", "sequence 999")
		tamperRow(t, "a checkpoint with stream_seq 999 on a 45-event stream, signed by another key", "published it on lex.checkpoints with the projector's seed", "projector verify --key --state", msg)
		out, err := e.verify()
		if err == nil || !strings.Contains(out, "checkpoint_stream_seq") || !strings.Contains(out, "999") {
			t.Errorf("verify with no key pinned does not fail with checkpoint_stream_seq naming 999: %v\n%s", err, out)
		}
		tamperRow(t, "the same, no key pinned", "as above", "projector verify", failureLine(out))
	})

	// (c) A checkpoint of the true tree signed by another key under the
	// ledger's origin.
	t.Run("ForgedKey", func(t *testing.T) {
		e := newLedger(t)
		e.forge(ledgerEvents)
		msg := e.mustFailVerify("checkpoint_signature", "tree size 45")
		tamperRow(t, "(c) a checkpoint of the true tree signed by another key", "published it on lex.checkpoints with the projector's seed", "projector verify --key", msg)
	})

	// The issue's fifth row: check-proof on a proof whose sequence was
	// edited.
	t.Run("ProofSequenceEdited", func(t *testing.T) {
		e := newLedger(t)
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

	// The issue's sixth row: after a restart the last checkpoint is found
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
		// The ledger submitted it; submitted again, it is cosigned again
		// (the witness's size is the checkpoint's).
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
		// Published beside the genuine one, it is a checkpoint of a tree
		// the stream is not, and has no cosignature.
		e.mustNats("projector", "pub", "--jetstream", natsjs.CheckpointsSubject, forged.Note)
		msg := e.mustFailVerify("checkpoint_root", "the first 45 events")
		tamperRow(t, "(d) the same forked checkpoint, published on lex.checkpoints", "published it with the projector's seed", "projector verify --key --state --witness-key", msg)
	})
}
