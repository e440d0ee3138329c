//go:build reliability

// Package reliability_test is the long version of the ledger's proof under
// load, faults and bad input: real `ledger serve` and `projector` processes
// killed with SIGKILL, engines reopened after a crash, many clerks at once,
// a read-only data directory, slow subscribers. Each scenario is bounded in
// time and count and logs a summary line (RELIABILITY.md):
//
//	go test -tags reliability -count=1 -timeout 30m ./reliability
package reliability_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/lexledger/lexledger/internal/testkit"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsauth"
)

var (
	binOnce            sync.Once
	binDir             string
	ledgerBin, projBin string
	binErr             error
)

// TestMain removes the binaries built for the suite.
func TestMain(m *testing.M) {
	removeConfig := testkit.PrivateConfig() // serve's default signing key
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	removeConfig()
	os.Exit(code)
}

// binaries builds cmd/ledger and cmd/projector once for the suite.
func binaries(t *testing.T) (string, string) {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "lex-reliability-")
		if binErr != nil {
			return
		}
		ledgerBin, projBin = filepath.Join(binDir, "ledger"), filepath.Join(binDir, "projector")
		for _, b := range []struct{ out, pkg string }{{ledgerBin, "../cmd/ledger"}, {projBin, "../cmd/projector"}} {
			if out, err := exec.Command("go", "build", "-o", b.out, b.pkg).CombinedOutput(); err != nil {
				binErr = fmt.Errorf("go build %s: %v\n%s", b.pkg, err, out)
				return
			}
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return ledgerBin, projBin
}

// envInt is the integer in the environment variable, or def.
func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive integer", name, s)
	}
	return n
}

func freePort(t *testing.T) int { return testkit.FreePort(t) }

type syncBuffer = testkit.SyncBuffer

// proc is a child process of the test (internal/testkit).
type proc = testkit.Proc

func startProc(t *testing.T, bin string, args ...string) *proc {
	return testkit.StartProc(t, bin, args...)
}

// server is `ledger serve` on free ports. Its embedded NATS server is
// access-controlled (the default): a command that connects to it logs in
// with its role's seed, which serve keeps in dir/nats, as a user's would.
type server struct {
	*proc
	dir     string // the data directory (--data)
	base    string // the HTTP API
	natsURL string
}

// as is the flag with which a command logs in to s's NATS server as role:
// --nats-nkey DATA/nats/ROLE.nk.
func (s *server) as(role natsauth.Role) []string {
	return []string{"--nats-nkey", natsauth.EmbeddedSeedFile(s.dir, role)}
}

// env is the environment in which a command finds its role's seed of s by
// itself, with no flag: $LEDGER_DATA set to s's data directory, and no
// $LEDGER_NATS_NKEY of the caller's to override it.
func (s *server) env() []string {
	return append(os.Environ(), "LEDGER_DATA="+s.dir, "LEDGER_NATS_NKEY=")
}

// startServe starts `ledger serve` on dir and waits until it is healthy.
func startServe(t *testing.T, dir string, extra ...string) *server {
	t.Helper()
	lb, _ := binaries(t)
	hp, np := freePort(t), freePort(t)
	args := append([]string{"serve", "--data", dir, "--http", fmt.Sprintf("127.0.0.1:%d", hp), "--nats-port", strconv.Itoa(np)}, extra...)
	s := &server{proc: startProc(t, lb, args...), dir: dir, base: fmt.Sprintf("http://127.0.0.1:%d", hp), natsURL: fmt.Sprintf("nats://127.0.0.1:%d", np)}
	waitHealthy(t, s.proc, s.base)
	return s
}

func waitHealthy(t *testing.T, p *proc, base string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	c := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		if !p.Running() {
			t.Fatalf("%s exited before it was healthy: %v\n%s", p.Name, p.Err, p.Out)
		}
		if resp, err := c.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s/healthz did not answer 200 within 60s\n%s", base, p.Out)
}

// runBin runs a command to its end and returns its standard output.
func runBin(t *testing.T, bin string, args ...string) string {
	t.Helper()
	return runBinEnv(t, nil, bin, args...)
}

// runBinEnv runs a command as runBin does, in the environment env (the
// test's own when nil).
func runBinEnv(t *testing.T, env []string, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var errb syncBuffer
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s%s", filepath.Base(bin), args, err, out, errb.String())
	}
	return string(out)
}

// verify runs `projector verify` against s's stream and fails the test
// unless it is clean. It logs in as the auditor, whose seed it finds in
// $LEDGER_DATA, as a user on the server's machine would run it.
func verify(t *testing.T, s *server) string {
	t.Helper()
	_, pb := binaries(t)
	return runBinEnv(t, s.env(), pb, "verify", "--nats-url", s.natsURL, "--quiet")
}

// post sends one command; ok is true for a 201 with a receipt.
func post(ctx context.Context, c *http.Client, base, body string) (ledger.Receipt, int, error) {
	var r ledger.Receipt
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/v1/events", bytes.NewReader([]byte(body)))
	if err != nil {
		return r, 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return r, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return r, resp.StatusCode, nil
	}
	return r, resp.StatusCode, json.NewDecoder(resp.Body).Decode(&r)
}

// history reads an act's history over HTTP; a 404 is an empty history.
func history(t *testing.T, base string, act events.ActID) ledger.HistoryJSON {
	t.Helper()
	h, status, err := testkit.History(base, act)
	if err != nil || (status != http.StatusOK && status != http.StatusNotFound) {
		t.Fatalf("history of %s: %d %v", act, status, err)
	}
	return h
}

// checkAcked checks that every acknowledged event is in its act's history
// once, at the version and sequence of its receipt; it returns how many
// were checked, lost and duplicated.
func checkAcked(t *testing.T, base string, acked []ledger.Receipt) (n, lost, dup int) {
	t.Helper()
	byAct := map[events.ActID][]ledger.Receipt{}
	for _, r := range acked {
		byAct[r.Act] = append(byAct[r.Act], r)
	}
	for act, rs := range byAct {
		h := history(t, base, act)
		seen := map[events.ID]int{}
		for i, e := range h.Events {
			if e.Version != uint64(i+1) {
				t.Errorf("%s: event %d has version %d", act, i, e.Version)
			}
			seen[e.Event.ID]++
		}
		for _, r := range rs {
			n++
			switch c := seen[r.ID]; {
			case c == 0:
				lost++
				t.Errorf("LOST: acknowledged event %s (version %d of %s)", r.ID, r.Version, act)
			case c > 1:
				dup++
				t.Errorf("DUPLICATE: acknowledged event %s is in the history of %s %d times", r.ID, act, c)
			case r.Version < 1 || r.Version > uint64(len(h.Events)) || h.Events[r.Version-1].Event.ID != r.ID || h.Events[r.Version-1].Seq != r.Seq:
				at := "nowhere"
				for i, e := range h.Events {
					if e.Event.ID == r.ID {
						at = fmt.Sprintf("version %d sequence %d", i+1, e.Seq)
					}
				}
				t.Errorf("acknowledged event %s (duplicate: %v) is not at version %d sequence %d of %s, which has %d events: it is at %s", r.ID, r.Duplicate, r.Version, r.Seq, act, len(h.Events), at)
			}
		}
	}
	return n, lost, dup
}

// clerk records acts one after another (drafted, adopted, amendments),
// each event with its own id, until ctx ends or the server stops
// answering; every acknowledged receipt goes to acked.
func clerk(ctx context.Context, base, name string, acked chan<- ledger.Receipt) {
	c := &http.Client{Timeout: 10 * time.Second}
	for n := 1; ctx.Err() == nil; n++ {
		act := fmt.Sprintf("/akn/kz/act/2020-01-01/%s-%d", name, n)
		steps := []string{
			fmt.Sprintf(`{"id":%q,"act":%q,"type":"drafted","date":"2019-06-01","body":{"title":"Law No. %d","kind":"law"}}`, events.NewID(), act, n),
			fmt.Sprintf(`{"id":%q,"act":%q,"type":"adopted","date":"2019-12-01","body":{"chamber":"Parliament"}}`, events.NewID(), act),
		}
		for k := 1; k <= 10; k++ {
			steps = append(steps, amendment(act, k))
		}
		for _, ev := range steps {
			r, status, err := post(ctx, c, base, `{"event":`+ev+`}`)
			if err != nil || status != http.StatusCreated {
				return
			}
			acked <- r
		}
	}
}

// amendment is an amended event of act with a fresh id, on provision k.
func amendment(act string, k int) string {
	return fmt.Sprintf(`{"id":%q,"act":%q,"type":"amended","date":"2020-01-01","effective_from":"2020-02-01","instrument":"/akn/kz/act/2020-01-01/amending","provisions":["art_%d"],"body":{"effect":"substitution","texts":{"art_%d":"Article %d, amended."}}}`,
		events.NewID(), act, k, k, k)
}

func httpClient() *http.Client { return &http.Client{Timeout: 30 * time.Second} }
