package main

// verify --state, the checkpoint policy and verify --backup against real
// embedded JetStream servers (docs/VERIFY.md, §4).

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/audit"
	"github.com/lexledger/lexledger/backup"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/witness"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/mod/sumdb/note"
)

// rmRun runs `projector verify` in process with args (no --nats-url is
// added) and returns the report it wrote.
func rmRun(t *testing.T, args ...string) (rep audit.Report, stdout, stderr string, err error) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "verify.json")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	err = run(ctx, append([]string{"verify", "--quiet", "--report", file}, args...), &out, &errb)
	if ctx.Err() != nil {
		t.Fatalf("verify %v did not finish within 2 minutes (err %v)", args, err)
	}
	data, rerr := os.ReadFile(file)
	if rerr != nil {
		t.Fatalf("verify %v wrote no report (err %v): %v\n%s", args, err, rerr, errb.String())
	}
	if jerr := json.Unmarshal(data, &rep); jerr != nil {
		t.Fatalf("report: %v\n%s", jerr, data)
	}
	return rep, out.String(), errb.String(), err
}

// rmKinds returns the kinds of the report's failures.
func rmKinds(rep audit.Report) []string {
	var out []string
	for _, f := range rep.Failures {
		out = append(out, f.Kind)
	}
	return out
}

// rmCopy copies every event of src into the stream of dst, byte for byte,
// but from index from on (sequence from+1) rewritten as an operator with
// the data would: the event at from recorded by another clerk, it and every
// later event re-sealed with their chains recomputed, so that hashes and
// chains hold. keep bounds the events copied (0: all). from < 0 copies
// without rewriting.
func rmCopy(t *testing.T, src *natsjs.Store, dst *natstest.Env, from, keep int) {
	t.Helper()
	ctx := vtContext(t, 2*time.Minute)
	js, err := jetstream.New(dst.Conn)
	if err != nil {
		t.Fatal(err)
	}
	last := map[events.ActID]events.Digest{}
	i := 0
	for raw, err := range src.ReadRaw(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if keep > 0 && i == keep {
			break
		}
		data := bytes.Clone(raw.Data)
		e, err := events.Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		if from >= 0 && i >= from {
			if i == from {
				e.RecordedBy = "mallory@verify-test"
			}
			e.PrevHash = last[e.Act]
			if data, err = e.Seal(); err != nil {
				t.Fatal(err)
			}
		}
		last[e.Act] = e.Hash
		ack, err := js.Publish(ctx, raw.Subject, data)
		if err != nil {
			t.Fatal(err)
		}
		if ack.Sequence != raw.Seq {
			t.Fatalf("copied sequence %d landed at %d", raw.Seq, ack.Sequence)
		}
		i++
	}
}

// rmSignedAt is vtSign with the checkpoint's time set to at.
func rmSignedAt(t *testing.T, env *natstest.Env, kp *audit.Signer, at time.Time) audit.Checkpoint {
	t.Helper()
	return vtSignWith(t, env.Conn, env.Store, func(c *audit.Checkpoint) error {
		c.Time = at
		return c.Sign(kp)
	})
}

// rmAppend records perAct events of each of acts new acts (numbered from
// first, which must not be in the ledger yet) on env.
func rmAppend(t *testing.T, env *natstest.Env, first, acts, perAct int) {
	t.Helper()
	l := ledger.New(env.Store, ledger.Options{AppendTimeout: 30 * time.Second})
	defer l.Close()
	vtRecord(t, l, first, acts, perAct)
}

// rmUnchanged fails the test if the file's bytes are not want.
func rmUnchanged(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the state file was advanced by a run that failed:\nbefore %s\nafter  %s", want, got)
	}
}

// TestVerifyStateRewrite: a ledger whose history is rewritten from
// sequence 7, re-hashed, re-chained and re-signed with the genuine key on
// a store without the old checkpoints, verifies with the key alone, but
// verify --state, which remembers the genuine tree, fails with
// history_rewritten naming size 7, and does not advance the state. The
// genuine ledger, grown, passes and advances it.
func TestVerifyStateRewrite(t *testing.T) {
	kp, pub := vtKey(t)
	genuine, _ := vtLedger(t, "", 4, 5) // 20 events
	vtSign(t, genuine.Conn, genuine.Store, kp)
	state := filepath.Join(t.TempDir(), "verify.state")
	rep, out, errs, err := rmRun(t, "--nats-url", genuine.Server.ClientURL(), "--key", pub, "--state", state)
	if err != nil || !rep.OK || !strings.Contains(out, "remembered in "+state+": tree size 20") {
		t.Fatalf("first run: %v %q\n%s%s", err, out, errs, vtFailures(rep))
	}
	fi, err := os.Stat(state)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v, mode %v; want 0600", err, fi.Mode())
	}
	remembered, _ := os.ReadFile(state)

	// The rewrite, on another store, signed with the genuine key.
	forged := natstest.MustStart(t, natstest.Options{})
	rmCopy(t, genuine.Store, forged, 6, 0)
	vtSign(t, forged.Conn, forged.Store, kp)
	rep, _, errs, err = rmRun(t, "--nats-url", forged.Server.ClientURL(), "--key", pub)
	if err != nil || !rep.OK {
		t.Fatalf("the rewrite re-signed with the genuine key must pass without --state (it is what --state is for): %v\n%s%s", err, errs, vtFailures(rep))
	}
	rep, _, errs, err = rmRun(t, "--nats-url", forged.Server.ClientURL(), "--key", pub, "--state", state)
	f := vtFailed(t, rep, errs, err, 7, "history_rewritten")
	if !strings.Contains(f.Message, "the first differing tree size is 7: the event at sequence 7") {
		t.Errorf("message does not name size 7: %s", f.Message)
	}
	if !strings.Contains(errs, "was not advanced") {
		t.Errorf("stderr does not say the state was kept: %s", errs)
	}
	rmUnchanged(t, state, remembered)

	// The genuine ledger, grown and signed again, extends what was
	// remembered.
	rmAppend(t, genuine, 50, 4, 2)
	vtSign(t, genuine.Conn, genuine.Store, kp)
	rep, out, errs, err = rmRun(t, "--nats-url", genuine.Server.ClientURL(), "--key", pub, "--state", state)
	if err != nil || !rep.OK || !strings.Contains(out, "the stream extends the tree of 20 events") {
		t.Fatalf("the genuine ledger, grown: %v %q\n%s%s", err, out, errs, vtFailures(rep))
	}
	s, found, err := audit.ReadState(state)
	if err != nil || !found || s.TreeSize != 28 || s.CheckpointSize != 28 || s.CheckpointMessages != 2 || !strings.HasPrefix(s.Checkpoint, audit.DefaultOrigin+"\n28\n") {
		t.Errorf("state after the grown ledger: %v %+v", err, s)
	}
}

// TestVerifyStateCutAndCheckpoints: events cut from the end, the
// checkpoints stream deleted, or made again with fewer checkpoints: each
// fails verify --state by its kind, and the state stays as it was.
func TestVerifyStateCutAndCheckpoints(t *testing.T) {
	kp, pub := vtKey(t)
	genuine, _ := vtLedger(t, "", 4, 5)
	c20 := vtSign(t, genuine.Conn, genuine.Store, kp)
	rmAppend(t, genuine, 50, 4, 1)
	vtSign(t, genuine.Conn, genuine.Store, kp) // 24 events, 2 checkpoints
	state := filepath.Join(t.TempDir(), "verify.state")
	if rep, _, errs, err := rmRun(t, "--nats-url", genuine.Server.ClientURL(), "--key", pub, "--state", state); err != nil || !rep.OK {
		t.Fatalf("first run: %v\n%s%s", err, errs, vtFailures(rep))
	}
	remembered, _ := os.ReadFile(state)

	t.Run("stream_shorter", func(t *testing.T) {
		cut := natstest.MustStart(t, natstest.Options{})
		rmCopy(t, genuine.Store, cut, -1, 20)
		vtPublish(t, cut.Conn, c20, "c20")
		vtSign(t, cut.Conn, cut.Store, kp) // re-signed at 20 on top: the newest is 20 again
		rep, _, errs, err := rmRun(t, "--nats-url", cut.Server.ClientURL(), "--key", pub, "--state", state)
		f := vtFailed(t, rep, errs, err, 21, "stream_shorter")
		if !strings.Contains(f.Message, "events 21 to 24 were removed") {
			t.Errorf("message: %s", f.Message)
		}
		vtFailed(t, rep, errs, err, c20.StreamSeq, "checkpoint_regressed")
		if slices.Contains(rmKinds(rep), "history_rewritten") {
			t.Errorf("a cut alone is not a rewrite: %v", rmKinds(rep))
		}
		rmUnchanged(t, state, remembered)
	})

	ctx := vtContext(t, time.Minute)
	js, err := jetstream.New(genuine.Conn)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("checkpoints_missing", func(t *testing.T) {
		if err := js.DeleteStream(ctx, natsjs.CheckpointsStream); err != nil {
			t.Fatal(err)
		}
		rep, _, errs, err := rmRun(t, "--nats-url", genuine.Server.ClientURL(), "--key", pub, "--state", state)
		vtFailed(t, rep, errs, err, 0, "checkpoints_missing")
		for _, kind := range []string{"checkpoint_missing", "checkpoint_regressed"} {
			if !slices.Contains(rmKinds(rep), kind) {
				t.Errorf("failures %v, want %s too", rmKinds(rep), kind)
			}
		}
		// Without --state, the key's policy alone sees no checkpoint.
		rep, _, errs, err = rmRun(t, "--nats-url", genuine.Server.ClientURL(), "--key", pub)
		vtFailed(t, rep, errs, err, 24, "checkpoint_missing")
		rmUnchanged(t, state, remembered)
	})

	t.Run("checkpoints_shorter", func(t *testing.T) {
		vtPublish(t, genuine.Conn, c20, "again") // the stream made again with the first checkpoint only
		rep, _, errs, err := rmRun(t, "--nats-url", genuine.Server.ClientURL(), "--key", pub, "--state", state, "--max-uncovered", "10")
		vtFailed(t, rep, errs, err, 0, "checkpoints_shorter")
		vtFailed(t, rep, errs, err, c20.StreamSeq, "checkpoint_regressed")
		rmUnchanged(t, state, remembered)
	})

	t.Run("a state of another stream", func(t *testing.T) {
		_, _, err := runCmd(t, "verify", "--nats-url", genuine.Server.ClientURL(), "--quiet", "--stream", "OTHER", "--state", state)
		if err == nil || !strings.Contains(err.Error(), "remembers stream LEX") {
			t.Errorf("verify --stream OTHER with the state of LEX: %v", err)
		}
	})
	t.Run("a damaged state", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad.state")
		os.WriteFile(bad, []byte("{"), 0o600)
		_, _, err := runCmd(t, "verify", "--nats-url", genuine.Server.ClientURL(), "--quiet", "--state", bad)
		if err == nil || !strings.Contains(err.Error(), "not a verify state") {
			t.Errorf("verify with a damaged state: %v", err)
		}
	})
}

// TestVerifyPolicy: with --key, each rule of the policy fails verify on a
// real ledger, naming the place, and a ledger that keeps them passes.
func TestVerifyPolicy(t *testing.T) {
	kp, pub := vtKey(t)
	w1, v1, err := witness.GenerateKey(rand.Reader, "witness.test/w1")
	if err != nil {
		t.Fatal(err)
	}
	w2, v2, err := witness.GenerateKey(rand.Reader, "witness.test/w2")
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "witnesses")
	os.WriteFile(keyFile, []byte("# the second witness\n"+v2+"\n"), 0o600)

	t.Run("checkpoint_missing", func(t *testing.T) {
		env, _ := vtLedger(t, "", 2, 3)
		rep, _, errs, err := rmRun(t, "--nats-url", env.Server.ClientURL(), "--key", pub)
		vtFailed(t, rep, errs, err, 6, "checkpoint_missing")
		// Unpinned, nothing is demanded.
		if rep, _, errs, err := rmRun(t, "--nats-url", env.Server.ClientURL()); err != nil || !rep.OK {
			t.Errorf("unpinned: %v\n%s", err, errs)
		}
	})

	t.Run("checkpoint_uncovered", func(t *testing.T) {
		env, _ := vtLedger(t, "", 2, 3)
		vtSign(t, env.Conn, env.Store, kp)
		rmAppend(t, env, 50, 2, 2) // 4 more
		url := env.Server.ClientURL()
		rep, _, errs, err := rmRun(t, "--nats-url", url, "--key", pub, "--max-uncovered", "3")
		f := vtFailed(t, rep, errs, err, 7, "checkpoint_uncovered")
		if !strings.Contains(f.Message, "4 events (sequences 7 to 10)") {
			t.Errorf("message: %s", f.Message)
		}
		if rep, _, errs, err := rmRun(t, "--nats-url", url, "--key", pub, "--max-uncovered", "4"); err != nil || !rep.OK {
			t.Errorf("4 uncovered of 4 allowed: %v\n%s", err, errs)
		}
	})

	t.Run("checkpoint_stale", func(t *testing.T) {
		env, _ := vtLedger(t, "", 2, 3)
		rmSignedAt(t, env, kp, time.Now().Add(-49*time.Hour))
		url := env.Server.ClientURL()
		if rep, _, errs, err := rmRun(t, "--nats-url", url, "--key", pub); err != nil || !rep.OK {
			t.Fatalf("an old checkpoint that covers the whole stream: %v\n%s%s", err, errs, vtFailures(rep))
		}
		rmAppend(t, env, 50, 2, 1)
		rep, _, errs, err := rmRun(t, "--nats-url", url, "--key", pub)
		f := vtFailed(t, rep, errs, err, 7, "checkpoint_stale")
		if !strings.Contains(f.Message, "more than the 24h0m0s allowed") {
			t.Errorf("message: %s", f.Message)
		}
		if rep, _, errs, err := rmRun(t, "--nats-url", url, "--key", pub, "--max-checkpoint-age", "72h"); err != nil || !rep.OK {
			t.Errorf("--max-checkpoint-age 72h: %v\n%s", err, errs)
		}
	})

	t.Run("checkpoint_stream_seq", func(t *testing.T) {
		env, _ := vtLedger(t, "", 2, 3)
		vtSignWith(t, env.Conn, env.Store, func(c *audit.Checkpoint) error {
			c.StreamSeq = 999
			return c.Sign(kp)
		})
		rep, _, errs, err := rmRun(t, "--nats-url", env.Server.ClientURL(), "--key", pub)
		f := vtFailed(t, rep, errs, err, 999, "checkpoint_stream_seq")
		if !strings.Contains(f.Message, "beyond the stream's last sequence 6") {
			t.Errorf("message: %s", f.Message)
		}
	})

	t.Run("witness_quorum", func(t *testing.T) {
		env, _ := vtLedger(t, "", 2, 3)
		c := vtSign(t, env.Conn, env.Store, kp)
		url := env.Server.ClientURL()
		args := []string{"--nats-url", url, "--key", pub, "--witness-key", v1, "--witness-key", "@" + keyFile}
		rep, _, errs, err := rmRun(t, args...)
		f := vtFailed(t, rep, errs, err, 6, "witness_quorum")
		if !strings.Contains(f.Message, "0 of the 2 distinct witnesses cosigned the checkpoint, want 2") {
			t.Errorf("message: %s", f.Message)
		}
		// One cosignature, stored as a copy of the note: 1 of 2.
		vtPublish(t, env.Conn, rmCosign(t, c, w1), "w1")
		rep, _, errs, err = rmRun(t, args...)
		vtFailed(t, rep, errs, err, 6, "witness_quorum")
		if rep, _, errs, err := rmRun(t, append(args, "--witness-quorum", "1")...); err != nil || !rep.OK || !slices.Equal(rep.WitnessedBy, []string{"witness.test/w1"}) {
			t.Errorf("a quorum of 1: %v %v\n%s", err, rep.WitnessedBy, errs)
		}
		vtPublish(t, env.Conn, rmCosign(t, c, w2), "w2")
		rep, out, errs, err := rmRun(t, args...)
		if err != nil || !rep.OK || !strings.Contains(out, "cosigned by witness.test/w1, witness.test/w2") {
			t.Errorf("both cosigned: %v %q\n%s%s", err, out, errs, vtFailures(rep))
		}
	})

	t.Run("bad flags", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			says string
		}{
			{[]string{"--witness-key", v1}, "give its verifier key with --key too"},
			{[]string{"--max-uncovered", "5"}, "give its verifier key with --key too"},
			{[]string{"--key", pub, "--witness-key", pub}, "--witness-key"},
			{[]string{"--key", pub, "--witness-key", v1, "--witness-quorum", "2"}, "give a number from 1 to 1"},
			{[]string{"--key", pub, "--witness-quorum", "1"}, "give --witness-key"},
			{[]string{"--key", pub, "--witness-key", "@" + filepath.Join(t.TempDir(), "none")}, "no such file"},
			{[]string{"--checkpoints-backup", t.TempDir()}, "goes with --backup"},
			{[]string{"--backup", t.TempDir(), "--nats-url", "nats://127.0.0.1:1"}, "not both"},
		} {
			_, _, err := runCmd(t, append([]string{"verify", "--quiet"}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("verify %v: %v; want an error saying %q", tc.args, err, tc.says)
			}
		}
	})
}

// rmCosign returns c with the witness's cosignature appended to its note.
func rmCosign(t *testing.T, c audit.Checkpoint, skey string) audit.Checkpoint {
	t.Helper()
	w, err := witness.NewCosigner(skey, nil)
	if err != nil {
		t.Fatal(err)
	}
	text := c.NoteText()
	signed, err := note.Sign(&note.Note{Text: text}, w)
	if err != nil {
		t.Fatal(err)
	}
	c.Note += strings.TrimPrefix(string(signed), text+"\n")
	return c
}

// TestVerifyBackup: `ledger backup`'s directories of the events and of
// the checkpoints verify without a server, with a state; the embedded
// server's temporary store is removed; a backup without its checkpoints
// fails the state that saw some, and a directory that holds no backup is
// refused.
func TestVerifyBackup(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	kp, pub := vtKey(t)
	env, _ := vtLedger(t, "", 3, 4)
	c := vtSign(t, env.Conn, env.Store, kp)
	ctx := vtContext(t, time.Minute)
	events, cps := filepath.Join(t.TempDir(), "events"), filepath.Join(t.TempDir(), "checkpoints")
	if _, err := backup.Backup(ctx, env.Conn, events, backup.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := backup.Backup(ctx, env.Conn, cps, backup.Options{Stream: natsjs.CheckpointsStream}); err != nil {
		t.Fatal(err)
	}
	env.Stop() // no server from here on
	state := filepath.Join(t.TempDir(), "verify.state")
	rep, out, errs, err := rmRun(t, "--backup", events, "--checkpoints-backup", cps, "--key", pub, "--state", state)
	if err != nil || !rep.OK || rep.Events != 12 || rep.Checkpoints != 1 || rep.Root != c.Root || !strings.Contains(out, "verified: 12 events") {
		t.Fatalf("verify --backup: %v %+v %q\n%s%s", err, rep, out, errs, vtFailures(rep))
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("verify --backup left %d entries in the temporary directory: %v", len(left), left)
	}
	remembered, _ := os.ReadFile(state)
	rep, _, errs, err = rmRun(t, "--backup", events, "--state", state)
	vtFailed(t, rep, errs, err, 0, "checkpoints_missing")
	rmUnchanged(t, state, remembered)
	if rep, _, errs, err := rmRun(t, "--backup", events, "--checkpoints-backup", cps, "--key", pub, "--state", state); err != nil || !rep.OK {
		t.Errorf("the same backups again: %v\n%s", err, errs)
	}

	_, _, err = runCmd(t, "verify", "--quiet", "--backup", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "holds no backup") {
		t.Errorf("verify --backup of an empty directory: %v", err)
	}
	_, _, err = runCmd(t, "verify", "--quiet", "--backup", cps)
	if err == nil || !strings.Contains(err.Error(), "restore it with --stream LEX_CHECKPOINTS") {
		t.Errorf("verify --backup of the checkpoints' backup: %v", err)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("a failed verify --backup left %d entries in the temporary directory", len(left))
	}
}
