package projector_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/audit"
	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/merkle"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/projector"
	"github.com/lexledger/lexledger/witness"
)

// testWitness is a real witness, with its own directory, served on
// 127.0.0.1 by httptest, witnessing the log of signer.
type testWitness struct {
	w    *witness.Witness
	srv  *httptest.Server
	cfg  projector.Witness
	vkey string
}

func mustWitness(t *testing.T, name string, signer *audit.Signer) *testWitness {
	t.Helper()
	return mustWitnessIn(t, t.TempDir(), name, signer)
}

// mustWitnessIn is mustWitness with the witness's directory in parent.
func mustWitnessIn(t *testing.T, parent, name string, signer *audit.Signer) *testWitness {
	t.Helper()
	dir := filepath.Join(parent, "witness")
	vkey, err := witness.Init(dir, name)
	if err != nil {
		t.Fatal(err)
	}
	w, err := witness.Open(dir, witness.Options{Logs: []witness.Log{{Origin: signer.Origin(), VerifierKeys: []string{signer.VerifierKey()}}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w.Handler())
	t.Cleanup(func() { srv.Close(); w.Close() })
	cfg, err := projector.ParseWitness(srv.URL + "=" + vkey)
	if err != nil {
		t.Fatal(err)
	}
	return &testWitness{w: w, srv: srv, cfg: cfg, vkey: vkey}
}

// waitWitnessed waits, bounded, until the latest checkpoint of size has
// n cosignatures of the configured witnesses.
func (r *running) waitWitnessed(t *testing.T, size uint64, n int) (audit.Checkpoint, projector.Witnessed) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, ok := r.svc.LatestCheckpoint()
		if ok && c.TreeSize == size {
			if wd := r.svc.Witnessed(c); len(wd.Cosignatures) >= n {
				return c, wd
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the latest checkpoint %+v (%v) has not %d cosignatures at tree size %d after 30s; status %+v", c, ok, n, size, r.svc.Status())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The signer submits each new checkpoint to its witnesses, stores it
// again with their cosignatures, and the quorum is reached; a restarted
// projector finds the cosigned checkpoint again, and the verifier counts
// the cosigned note as the same checkpoint.
func TestWitnessesCosignCheckpoints(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{Dir: t.TempDir()})
	l := mustLedger(t, env)
	loadSeed(t, l)
	kp, pub := mustSigningKey(t)
	w1, w2 := mustWitness(t, "witness.test/w1", kp), mustWitness(t, "witness.test/w2", kp)
	opts := projector.Options{Signer: kp, CheckpointInterval: time.Hour, Witnesses: []projector.Witness{w1.cfg, w2.cfg}}
	r := startService(t, env.Store, env.Conn, opts, false)
	r.waitFor(t, seedEvents)
	r.waitReady(t)
	ctx := testContext(t, time.Minute)
	if _, err := r.svc.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	c, wd := r.waitWitnessed(t, seedEvents, 2)
	if !wd.Witnessed || wd.Quorum != 2 || strings.Join(wd.Cosignatures, " ") != "witness.test/w1 witness.test/w2" {
		t.Fatalf("witnessed %+v; want both witnesses, quorum 2 reached", wd)
	}
	if err := c.Verify([]string{pub}); err != nil {
		t.Fatalf("the cosigned checkpoint's log signature: %v", err)
	}
	if st := r.svc.Status(); !st.Witnessed || st.Cosignatures != 2 || st.WitnessAlarm != "" {
		t.Fatalf("status %+v; want witnessed by 2, no alarm", st)
	}
	if err := r.svc.ReadyCheck(ctx); err != nil {
		t.Fatalf("ready check: %v", err)
	}

	// GET /v1/checkpoint names the witnesses; its note carries their
	// cosignatures.
	mux := http.NewServeMux()
	(&httpapi.Queries{Projector: r.svc}).Routes(mux)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/checkpoint", nil))
	var got struct {
		TreeSize     uint64   `json:"tree_size"`
		Cosignatures []string `json:"cosignatures"`
		Witnessed    bool     `json:"witnessed"`
		Quorum       int      `json:"quorum"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusOK || got.TreeSize != seedEvents || len(got.Cosignatures) != 2 || !got.Witnessed || got.Quorum != 2 {
		t.Fatalf("GET /v1/checkpoint: %d %s (%v); want the checkpoint witnessed by 2, quorum 2", rec.Code, rec.Body, err)
	}
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/checkpoint?format=note", nil))
	if body := rec.Body.String(); body != c.Note || !strings.Contains(body, "\n— witness.test/w1 ") || !strings.Contains(body, "\n— witness.test/w2 ") {
		t.Fatalf("GET /v1/checkpoint?format=note:\n%s\nwant the cosigned note", body)
	}
	if _, err := witness.Quorum(rec.Body.Bytes(), []string{w1.vkey, w2.vkey}, 2); err != nil {
		t.Fatalf("the served note: %v", err)
	}

	// A second checkpoint: the witnesses get a consistency proof from the
	// size they cosigned.
	mustAppend(t, l, amendment(1))
	r.waitFor(t, seedEvents+1)
	if _, err := r.svc.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	r.waitWitnessed(t, seedEvents+1, 2)
	if size, _, _ := w1.w.Latest(kp.Origin()); size != seedEvents+1 {
		t.Fatalf("witness 1 last cosigned size %d, want %d", size, seedEvents+1)
	}
	if n := countCheckpoints(t, r.views); n != 4 {
		t.Fatalf("the checkpoints stream holds %d messages, want 4 (two checkpoints, each then cosigned)", n)
	}
	r.stop()

	// Restarted, it finds the cosigned form, and signs again from it.
	r = startService(t, env.Store, env.Conn, opts, true)
	r.waitReady(t)
	_, wd = r.waitWitnessed(t, seedEvents+1, 2)
	if !wd.Witnessed {
		t.Fatalf("after a restart: %+v, want witnessed", wd)
	}
	mustAppend(t, l, amendment(2))
	r.waitFor(t, seedEvents+2)
	if _, err := r.svc.Checkpoint(ctx); err != nil {
		t.Fatalf("signing after a restart, over a cosigned checkpoint: %v", err)
	}
	r.waitWitnessed(t, seedEvents+2, 2)
	if err := r.svc.ReadyCheck(ctx); err != nil {
		t.Fatalf("ready check after a restart: %v", err)
	}

	// The verifier counts each checkpoint once, cosigned or not.
	cps, err := r.views.Checkpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v := audit.NewVerifier([]string{pub})
	for e := range env.Store.ReadRaw(ctx) {
		v.AddStored(e.Seq, e.Subject, e.Act, e.Err, e.Data)
	}
	for _, data := range cps {
		cp, err := audit.UnmarshalCheckpoint(data)
		if err != nil {
			t.Fatal(err)
		}
		v.Check(cp)
	}
	if rep := v.Report(); !rep.OK || rep.Checkpoints != 3 || len(cps) != 6 {
		t.Fatalf("verified %d checkpoints of %d messages (ok %v, %v); want 3 of 6", rep.Checkpoints, len(cps), rep.OK, rep.Failures)
	}
}

// With one of two witnesses down, a checkpoint is cosigned by one: not
// witnessed with a quorum of 2, witnessed with a quorum of 1. The down
// witness is counted as unreachable, and raises no alarm.
func TestWitnessDown(t *testing.T) {
	for _, quorum := range []int{2, 1} {
		t.Run(fmt.Sprintf("quorum %d", quorum), func(t *testing.T) {
			env := natstest.MustStart(t, natstest.Options{Dir: t.TempDir()})
			loadSeed(t, mustLedger(t, env))
			kp, _ := mustSigningKey(t)
			w1, w2 := mustWitness(t, "witness.test/w1", kp), mustWitness(t, "witness.test/w2", kp)
			w2.srv.Close()
			opts := projector.Options{Signer: kp, CheckpointInterval: time.Hour, Witnesses: []projector.Witness{w1.cfg, w2.cfg},
				WitnessQuorum: quorum, WitnessTimeout: 2 * time.Second}
			r := startService(t, env.Store, env.Conn, opts, false)
			r.waitFor(t, seedEvents)
			r.waitReady(t)
			ctx := testContext(t, time.Minute)
			if _, err := r.svc.Checkpoint(ctx); err != nil {
				t.Fatal(err)
			}
			_, wd := r.waitWitnessed(t, seedEvents, 1)
			if wd.Witnessed != (quorum == 1) || wd.Quorum != quorum || len(wd.Cosignatures) != 1 {
				t.Fatalf("witnessed %+v with quorum %d; want 1 cosignature, witnessed %v", wd, quorum, quorum == 1)
			}
			deadline := time.Now().Add(30 * time.Second)
			for r.svc.Status().WitnessFailures[projector.WitnessFailure{Witness: "witness.test/w2", Kind: projector.FailUnreachable}] == 0 {
				if time.Now().After(deadline) {
					t.Fatalf("status %+v: the down witness is not counted as unreachable", r.svc.Status())
				}
				time.Sleep(10 * time.Millisecond)
			}
			if err := r.svc.ReadyCheck(ctx); err != nil {
				t.Fatalf("a witness down fails the ready check: %v", err)
			}
		})
	}
}

// A witness that was shown another tree of this log, signed with the
// ledger's key (the same size, another root; or a smaller tree that the
// ledger's does not extend), refuses the projector's checkpoint: the
// alarm is raised, naming the witness, and the ready check fails.
func TestWitnessAlarm(t *testing.T) {
	for _, tc := range []struct {
		name string
		size uint64
		kind string
	}{
		{"same size, another root", seedEvents, projector.FailConflict},
		{"smaller tree, another root", seedEvents - 4, projector.FailBadProof},
		{"larger tree", seedEvents + 10, projector.FailSizeBeyond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := natstest.MustStart(t, natstest.Options{Dir: t.TempDir()})
			loadSeed(t, mustLedger(t, env))
			kp, _ := mustSigningKey(t)
			w1, w2 := mustWitness(t, "witness.test/w1", kp), mustWitness(t, "witness.test/w2", kp)

			// The other tree, signed with the genuine key, shown to w2.
			forged := audit.Checkpoint{TreeSize: tc.size, Root: merkle.LeafHash([]byte("another history")), StreamSeq: tc.size, Time: time.Now()}
			if err := forged.Sign(kp); err != nil {
				t.Fatal(err)
			}
			ctx := testContext(t, time.Minute)
			if _, err := witness.Submit(ctx, w2.srv.URL, 0, nil, []byte(forged.Note)); err != nil {
				t.Fatalf("showing the witness another tree: %v", err)
			}

			opts := projector.Options{Signer: kp, CheckpointInterval: time.Hour, Witnesses: []projector.Witness{w1.cfg, w2.cfg}}
			r := startService(t, env.Store, env.Conn, opts, false)
			r.waitFor(t, seedEvents)
			r.waitReady(t)
			if _, err := r.svc.Checkpoint(ctx); err != nil {
				t.Fatal(err)
			}
			r.waitWitnessed(t, seedEvents, 1)
			deadline := time.Now().Add(30 * time.Second)
			for r.svc.Status().WitnessAlarm == "" {
				if time.Now().After(deadline) {
					t.Fatalf("no witness alarm after 30s: %+v", r.svc.Status())
				}
				time.Sleep(10 * time.Millisecond)
			}
			st := r.svc.Status()
			if n := st.WitnessFailures[projector.WitnessFailure{Witness: "witness.test/w2", Kind: tc.kind}]; n == 0 {
				t.Fatalf("failures %v; want one of kind %s for witness.test/w2", st.WitnessFailures, tc.kind)
			}
			err := r.svc.ReadyCheck(ctx)
			if !errors.Is(err, projector.ErrWitnessAlarm) || !strings.Contains(err.Error(), "witness.test/w2") || !strings.Contains(err.Error(), tc.kind) {
				t.Fatalf("ready check: %v; want the witness alarm naming witness.test/w2 and %s", err, tc.kind)
			}
			if strings.Contains(err.Error(), "witness.test/w1") {
				t.Fatalf("ready check: %v; names the honest witness too", err)
			}
			rec := httptest.NewRecorder()
			httpapi.Ready(httpapi.ProjectorCheck(r.svc.ReadyCheck, r.svc.DefectNote))(rec, httptest.NewRequest("GET", "/readyz", nil))
			if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "witness alarm") || !strings.Contains(rec.Body.String(), "witness.test/w2") {
				t.Fatalf("/readyz answered %d %s; want 503 naming the witness alarm and witness.test/w2", rec.Code, rec.Body)
			}
		})
	}
}

func TestParseWitness(t *testing.T) {
	kp, _ := mustSigningKey(t)
	vkey := mustWitness(t, "witness.test/w1", kp).vkey
	file := filepath.Join(t.TempDir(), "witness.vkey")
	if err := os.WriteFile(file, []byte(vkey+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, ok := range []string{"http://w.example:8090=" + vkey, "https://w.example/prefix/=@" + file} {
		w, err := projector.ParseWitness(ok)
		if err != nil || w.VKey != vkey || w.Name != "witness.test/w1" || strings.HasSuffix(w.URL, "/") {
			t.Errorf("ParseWitness(%q) = %+v, %v; want the witness", ok, w, err)
		}
	}
	for _, tc := range []struct{ spec, want string }{
		{"http://w.example:8090", "want URL=VKEY or URL=@FILE"},
		{"w.example:8090=" + vkey, "not an http:// or https:// URL"},
		{"ftp://w.example=" + vkey, "not an http:// or https:// URL"},
		{"http://w.example=@" + file + ".missing", "cannot read its verifier key"},
		{"http://w.example=w+12345678+AAAA", "verifier key"},
		{"http://w.example=" + kp.VerifierKey(), "verifier key"}, // a note key, not a cosignature key
	} {
		if _, err := projector.ParseWitness(tc.spec); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseWitness(%q): %v; want an error saying %q", tc.spec, err, tc.want)
		}
	}
	for _, tc := range []struct{ quorum, n int }{{0, 2}, {3, 2}, {1, 0}} {
		if err := projector.CheckQuorum(tc.quorum, tc.n); err == nil {
			t.Errorf("CheckQuorum(%d, %d) holds; want an error", tc.quorum, tc.n)
		}
	}
	if err := projector.CheckQuorum(2, 3); err != nil {
		t.Errorf("CheckQuorum(2, 3): %v", err)
	}
}
