package byhand_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/audit"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/internal/testkit"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/projector"
	"github.com/lexledger/lexledger/witness"
)

const seedEvents = 44

// tools are what check.sh runs; a machine without one of them skips the
// tests that run it.
var tools = []string{"bash", "curl", "jq", "openssl", "python3", "xxd", "sha256sum", "base64"}

// needTools skips the test unless every tool check.sh runs is installed,
// openssl at version 3 (pkeyutl -rawin, for ed25519).
func needTools(t *testing.T) {
	t.Helper()
	for _, name := range tools {
		if _, err := exec.LookPath(name); err != nil {
			t.Skipf("check.sh needs %s, which is not installed: %v", name, err)
		}
	}
	out, err := exec.Command("openssl", "version").Output()
	if err != nil || !bytes.HasPrefix(out, []byte("OpenSSL 3")) {
		t.Skipf("check.sh needs OpenSSL 3 for ed25519 (pkeyutl -rawin); openssl version says %q (%v)", out, err)
	}
}

// fixture is a ledger holding the seed and one amendment, a signing
// projector that a real witness cosigns, and the auditors' queries on a
// 127.0.0.1 HTTP server.
type fixture struct {
	url     string       // the queries' server
	queries http.Handler // the queries, for a tampering proxy
	svc     *projector.Service
	logKey  string // the log's verifier key
	witKey  string // the witness's cosignature/v1 verifier key
	first   audit.Checkpoint
	latest  audit.Checkpoint // cosigned, of seedEvents+1 events
	amended events.ID        // the amendment's id, the last leaf
}

func mustFixture(t *testing.T) *fixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	env := natstest.MustStart(t, natstest.Options{Dir: t.TempDir()})
	l := ledger.New(env.Store, ledger.Options{AppendTimeout: 30 * time.Second})
	t.Cleanup(func() { l.Close() })
	recordSeed(t, l)

	signer, err := audit.GenerateSigner(audit.DefaultOrigin)
	if err != nil {
		t.Fatal(err)
	}
	wit := mustWitness(t, signer)
	views, err := natsjs.OpenViews(ctx, env.Conn, 1)
	if err != nil {
		t.Fatal(err)
	}
	svc := projector.New(env.Store, views, projector.Options{Signer: signer, CheckpointInterval: time.Hour, Witnesses: []projector.Witness{wit}})
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Errorf("the projector did not stop within 30s")
		}
	})

	f := &fixture{svc: svc, logKey: signer.VerifierKey(), witKey: wit.VKey}
	f.first = f.checkpoint(t, ctx, seedEvents)
	e := events.Event{ID: events.NewID(), Act: "/akn/kz/act/code/1997-07-16/167", Type: events.Amended,
		Date: events.MustDate("2011-01-01"), EffectiveFrom: events.MustDate("2011-02-01"),
		Instrument: "/akn/kz/act/2011-01-01/byhand", Provisions: []string{"art_49"},
		Body: events.Body{Effect: "substitution", Texts: map[string]string{"art_49": "Article 49, checked by hand <&>."}}}
	if _, err := l.Append(ctx, "clerk@test", ledger.Command{Event: e}); err != nil {
		t.Fatalf("append the amendment: %v", err)
	}
	f.amended = e.ID
	f.latest = f.checkpoint(t, ctx, seedEvents+1)

	mux := http.NewServeMux()
	(&httpapi.Queries{Projector: svc}).Routes(mux)
	f.queries = mux
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

// recordSeed records examples/seed.jsonl in atomic batches of 8.
func recordSeed(t *testing.T, l *ledger.Ledger) {
	t.Helper()
	evs := testkit.ReadSeed(t, "../seed.jsonl")
	if len(evs) != seedEvents {
		t.Fatalf("the seed holds %d events, want %d", len(evs), seedEvents)
	}
	for i := 0; i < len(evs); i += 8 {
		var cmds []ledger.Command
		for _, e := range evs[i:min(i+8, len(evs))] {
			cmds = append(cmds, ledger.Command{Event: e})
		}
		if _, err := l.AppendAtomic(context.Background(), "seed@test", cmds); err != nil {
			t.Fatalf("record seed events %d to %d: %v", i+1, i+len(cmds), err)
		}
	}
}

// mustWitness starts a real witness of signer's log, in a directory of its
// own, on a 127.0.0.1 server, and returns it as the projector's witness.
func mustWitness(t *testing.T, signer *audit.Signer) projector.Witness {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "witness")
	vkey, err := witness.Init(dir, "witness.test/w1")
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
	return cfg
}

// checkpoint waits until the projector applied size events, has it sign a
// checkpoint of them and waits, bounded, until the witness cosigned it.
func (f *fixture) checkpoint(t *testing.T, ctx context.Context, size uint64) audit.Checkpoint {
	t.Helper()
	if _, err := f.svc.WaitFor(ctx, size); err != nil {
		t.Fatalf("the projector did not apply %d events: %v", size, err)
	}
	for !f.svc.Ready() {
		if ctx.Err() != nil {
			t.Fatal("the projector did not catch up")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := f.svc.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	for {
		c, ok := f.svc.LatestCheckpoint()
		if ok && c.TreeSize == size && f.svc.Witnessed(c).Witnessed {
			return c
		}
		if ctx.Err() != nil {
			t.Fatalf("the checkpoint of %d events was not cosigned: latest %+v", size, c)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// tampering serves the queries through a proxy that passes the answer to
// target (a path and its query) through edit; it fails the test if edit
// changed nothing.
func (f *fixture) tampering(t *testing.T, target string, edit func([]byte) []byte) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		f.queries.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if r.URL.RequestURI() == target {
			edited := edit(bytes.Clone(body))
			if bytes.Equal(edited, body) {
				t.Errorf("the proxy's edit of %s changed nothing in %s", target, body)
			}
			body = edited
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// replace replaces the first old in b by new.
func replace(old, new string) func([]byte) []byte {
	return func(b []byte) []byte { return bytes.Replace(b, []byte(old), []byte(new), 1) }
}

// check runs check.sh with args and returns its output and exit status.
func check(t *testing.T, args ...string) (string, int) {
	t.Helper()
	return run(t, "bash", append([]string{"check.sh"}, args...)...)
}

// run runs a command, bounded, and returns its output and exit status.
func run(t *testing.T, name string, args ...string) (string, int) {
	t.Helper()
	return runIn(t, "", nil, name, args...)
}

// runIn is run in dir, with env added to the environment.
func runIn(t *testing.T, dir string, env []string, name string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("%s did not end within 2 minutes:\n%s", name, out)
	}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return strings.TrimSpace(string(out)), ee.ExitCode()
	case err != nil:
		t.Fatalf("run %s: %v", name, err)
	}
	return strings.TrimSpace(string(out)), 0
}
