package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/lexledger/lexledger/internal/testkit"
	"github.com/lexledger/lexledger/natsauth"
	"github.com/lexledger/lexledger/projector"
)

// binaries builds cmd/ledger and cmd/projector with the test's own
// settings.
func binaries(t *testing.T) (ledgerBin, projectorBin string) {
	t.Helper()
	dir := t.TempDir()
	ledgerBin, projectorBin = filepath.Join(dir, "ledger"), filepath.Join(dir, "projector")
	for _, b := range []struct{ out, pkg string }{{ledgerBin, "../ledger"}, {projectorBin, "."}} {
		cmd := exec.Command("go", "build", "-o", b.out, b.pkg)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", b.pkg, err, out)
		}
	}
	return ledgerBin, projectorBin
}

// proc is a child process of the test (internal/testkit).
type proc = testkit.Proc

func startProc(t *testing.T, bin string, args ...string) *proc {
	return testkit.StartProc(t, bin, args...)
}

// runBin runs a command to its end, its standard output to stdout if set.
func runBin(t *testing.T, stdout string, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var errb syncBuffer
	cmd.Stderr = &errb
	if stdout != "" {
		f, err := os.Create(stdout)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmd.Stdout = f
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s %v: %v\n%s", filepath.Base(bin), args, err, errb.String())
		}
		return ""
	}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s%s", filepath.Base(bin), args, err, out, errb.String())
	}
	return string(out)
}

// position asks a projector where it is.
func position(base string, digest bool) (projector.Position, bool) {
	return testkit.Position(base, digest)
}

// startProjector starts `projector serve` on a free port and returns it
// with its base URL.
func startProjector(t *testing.T, bin, natsURL string, extra ...string) (*proc, string) {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", freeTCPPort(t))
	return startProc(t, bin, append([]string{"serve", "--nats-url", natsURL, "--http", addr}, extra...)...), "http://" + addr
}

// waitCaughtUp waits until the projector at base has applied total events
// and is not behind; it returns its position.
func waitCaughtUp(t *testing.T, p *proc, base string, total uint64) projector.Position {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case <-p.Exited:
			t.Fatalf("projector exited: %v\n%s", p.Err, p.Out)
		default:
		}
		if pos, ok := position(base, false); ok && pos.LastSeq == total && pos.Behind == 0 && pos.Ready {
			pos, _ = position(base, true)
			return pos
		}
		time.Sleep(20 * time.Millisecond)
	}
	pos, _ := position(base, false)
	t.Fatalf("the projector did not catch up with %d events within 2 minutes: %+v\n%s", total, pos, p.Out)
	return pos
}

var digestRe = regexp.MustCompile(`to sequence (\d+) .*digest ([0-9a-f]{64})`)

// rebuild runs `projector rebuild --save=false` and returns its digest.
func rebuild(t *testing.T, bin, natsURL string, total uint64, extra ...string) string {
	t.Helper()
	out := runBin(t, "", bin, append([]string{"rebuild", "--nats-url", natsURL, "--save=false", "--quiet"}, extra...)...)
	m := digestRe.FindStringSubmatch(out)
	if m == nil || m[1] != strconv.FormatUint(total, 10) {
		t.Fatalf("rebuild printed %q, want a digest at sequence %d", out, total)
	}
	return m[2]
}

// kill -9 while a projector replays a load: once restarted it catches up
// to the state a fresh rebuild gives, digest for digest; stopped cleanly,
// it restarts from its checkpoint: its snapshot's with its records in
// memory, its store's with --store DIR.
func TestKillDuringReplay(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binaries, imports a load and kills a projector")
	}
	t.Run("memory", func(t *testing.T) {
		killDuringReplay(t, nil, `msg="snapshot restored" .*last_seq=%d `)
	})
	t.Run("pebble", func(t *testing.T) {
		killDuringReplay(t, []string{"--store", filepath.Join(t.TempDir(), "projection")}, `msg="projection store reopened" .*last_seq=%d `)
	})
}

// killDuringReplay is TestKillDuringReplay with the projector's store
// flags, and the line its log says it restored its checkpoint with.
func killDuringReplay(t *testing.T, store []string, restored string) {
	t0 := time.Now()
	ledgerBin, projectorBin := binaries(t)
	httpPort, natsPort := freeTCPPort(t), freeTCPPort(t)
	natsURL := fmt.Sprintf("nats://127.0.0.1:%d", natsPort)
	data := t.TempDir()
	serve := startProc(t, ledgerBin, "serve", "--data", data, "--http", fmt.Sprintf("127.0.0.1:%d", httpPort),
		"--nats-port", strconv.Itoa(natsPort), "--projector=false")
	waitHealthy(t, serve, fmt.Sprintf("http://127.0.0.1:%d", httpPort))
	// The embedded server's seeds: the import writes as the ledger, the
	// projector follows as the projector.
	asLedger := []string{"--nats-nkey", natsauth.EmbeddedSeedFile(data, natsauth.RoleLedger)}
	asProjector := []string{"--nats-nkey", natsauth.EmbeddedSeedFile(data, natsauth.RoleProjector)}
	withStore := append(slices.Clip(asProjector), store...)
	t.Logf("built and started in %s", time.Since(t0).Round(time.Millisecond))

	// The load, and the projector killed in the middle of replaying it.
	var total uint64
	var killedAt uint64
	for _, n := range []uint64{20000, 100000} {
		load := filepath.Join(t.TempDir(), "load.jsonl")
		runBin(t, load, ledgerBin, "gen", strconv.FormatUint(n, 10))
		t1 := time.Now()
		runBin(t, "", ledgerBin, "import", "--nats-url", natsURL, "--quiet", asLedger[0], asLedger[1], load)
		total = n
		t.Logf("imported a load of %d events in %s", n, time.Since(t1).Round(time.Millisecond))

		p, base := startProjector(t, projectorBin, natsURL, withStore...)
		deadline := time.Now().Add(time.Minute)
		for killedAt == 0 && time.Now().Before(deadline) {
			pos, ok := position(base, false)
			if ok && pos.LastSeq == total {
				break // too fast to catch: a larger load
			}
			// In the middle of the replay: past a quarter of the load.
			if ok && pos.LastSeq >= total/4 && pos.LastSeq < total {
				p.Kill(t) // SIGKILL
				killedAt = pos.LastSeq
			}
		}
		p.Kill(t)
		if killedAt > 0 {
			break
		}
		t.Logf("the replay of %d events was over before it could be killed", n)
	}
	if killedAt == 0 {
		t.Fatalf("could not kill the projector while it replayed %d events", total)
	}
	t.Logf("killed with SIGKILL at sequence %d of %d", killedAt, total)

	p, base := startProjector(t, projectorBin, natsURL, withStore...)
	t2 := time.Now()
	pos := waitCaughtUp(t, p, base, total)
	t.Logf("restarted and caught up in %s", time.Since(t2).Round(time.Millisecond))
	if pos.Events != total || pos.Digest == "" {
		t.Errorf("after the restart: %+v, want %d events and a digest", pos, total)
	}
	want := rebuild(t, projectorBin, natsURL, total, asProjector...)
	if pos.Digest != want {
		t.Errorf("after kill -9 and a restart the digest is %s; a fresh rebuild gives %s", pos.Digest, want)
	}

	// Stopped cleanly it saves its snapshot; restarted over a longer
	// stream it restores it and follows from its checkpoint.
	t3 := time.Now()
	p.Terminate(t)
	t.Logf("stopped with SIGTERM in %s", time.Since(t3).Round(time.Millisecond))
	more := filepath.Join(t.TempDir(), "more.jsonl")
	runBin(t, more, ledgerBin, "gen", strconv.FormatUint(total+5000, 10))
	runBin(t, "", ledgerBin, "import", "--nats-url", natsURL, "--quiet", asLedger[0], asLedger[1], more) // the first total are duplicates
	t.Logf("imported 5000 more events in %s", time.Since(t3).Round(time.Millisecond))
	t4 := time.Now()
	p, base = startProjector(t, projectorBin, natsURL, withStore...)
	pos = waitCaughtUp(t, p, base, total+5000)
	t.Logf("restarted from its checkpoint and caught up in %s", time.Since(t4).Round(time.Millisecond))
	if !regexp.MustCompile(fmt.Sprintf(restored, total)).MatchString(p.Out.String()) {
		t.Errorf("the projector did not restore its checkpoint at %d (%s):\n%s", total, restored, p.Out)
	}
	if want := rebuild(t, projectorBin, natsURL, total+5000, asProjector...); pos.Digest != want || pos.Events != total+5000 {
		t.Errorf("resumed from the snapshot: %d events, digest %s; a fresh rebuild gives %s", pos.Events, pos.Digest, want)
	}
	t.Logf("whole test in %s", time.Since(t0).Round(time.Millisecond))
}

// waitHealthy polls /healthz of `ledger serve` until it answers 200.
func waitHealthy(t *testing.T, p *proc, base string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	c := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-p.Exited:
			t.Fatalf("%s exited before it was healthy: %v\n%s", p.Name, p.Err, p.Out)
		default:
		}
		if resp, err := c.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s/healthz did not answer 200 within 30s", base)
}

// The query commands against a real `ledger serve` (with its projector)
// holding the seed, imported through its HTTP API.
func TestQueryCommandsAgainstLedgerServe(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binaries")
	}
	ledgerBin, _ := binaries(t)
	httpPort := freeTCPPort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	serve := startProc(t, ledgerBin, "serve", "--data", t.TempDir(), "--http", fmt.Sprintf("127.0.0.1:%d", httpPort),
		"--nats-port", strconv.Itoa(freeTCPPort(t)))
	waitHealthy(t, serve, base)
	runBin(t, "", ledgerBin, "import", "--server", base, "--quiet", seedFile)
	waitCaughtUp(t, serve, base, seedEvents)
	checkQueryCommands(t, base)
	serve.Terminate(t)
}
