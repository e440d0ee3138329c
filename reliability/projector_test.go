//go:build reliability

package reliability_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/lexledger/lexledger/internal/testkit"

	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsauth"
	"github.com/lexledger/lexledger/projector"
)

// position asks a projector where it is.
func position(base string, digest bool) (projector.Position, bool) {
	return testkit.Position(base, digest)
}

// startProjector starts `projector serve` on s's stream, logged in as the
// projector with --nats-nkey DATA/nats/projector.nk.
func startProjector(t *testing.T, s *server) (*proc, string) {
	t.Helper()
	_, pb := binaries(t)
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	args := append([]string{"serve", "--nats-url", s.natsURL, "--http", addr}, s.as(natsauth.RoleProjector)...)
	return startProc(t, pb, args...), "http://" + addr
}

var digestRe = regexp.MustCompile(`to sequence (\d+) .*digest ([0-9a-f]{64})`)

// rebuild runs `projector rebuild --save=false` on s's stream, logged in
// as the projector with --nats-nkey: the stream's last sequence and the
// digest of a fresh fold.
func rebuild(t *testing.T, s *server) (uint64, string) {
	t.Helper()
	_, pb := binaries(t)
	out := runBin(t, pb, append([]string{"rebuild", "--nats-url", s.natsURL, "--save=false", "--quiet"}, s.as(natsauth.RoleProjector)...)...)
	m := digestRe.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("rebuild printed %q, want a sequence and a digest", out)
	}
	n, _ := strconv.ParseUint(m[1], 10, 64)
	return n, m[2]
}

func waitCaughtUp(t *testing.T, p *proc, base string, total uint64) projector.Position {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		if !p.Running() {
			t.Fatalf("projector exited: %v\n%s", p.Err, p.Out)
		}
		if pos, ok := position(base, false); ok && pos.LastSeq == total && pos.Behind == 0 && pos.Ready {
			pos, _ = position(base, true)
			return pos
		}
		time.Sleep(20 * time.Millisecond)
	}
	pos, _ := position(base, false)
	t.Fatalf("the projector did not reach sequence %d within 3 minutes: %+v\n%s", total, pos, p.Out)
	return pos
}

// importLoad writes `ledger gen n` to a file and imports it straight into
// s's stream (`ledger import --nats-url`), logged in as the ledger with the
// seed that the command finds in $LEDGER_DATA.
func importLoad(t *testing.T, s *server, n int) {
	t.Helper()
	lb, _ := binaries(t)
	load := filepath.Join(t.TempDir(), "load.jsonl")
	if err := os.WriteFile(load, []byte(runBin(t, lb, "gen", strconv.Itoa(n))), 0o644); err != nil {
		t.Fatal(err)
	}
	runBinEnv(t, s.env(), lb, "import", "--quiet", "--nats-url", s.natsURL, load)
}

// (b) kill -9 of `projector serve` while it replays (rebuilds) the stream
// and again while it follows live appends: once restarted, its views equal
// a fresh rebuild's, digest for digest.
func TestProjectorCrashDuringRebuildAndCatchUp(t *testing.T) {
	t0 := time.Now()
	s := startServe(t, t.TempDir(), "--projector=false")
	load := envInt(t, "LEX_REL_LOAD", 60000)
	importLoad(t, s, load)
	t.Logf("imported %d events in %s", load, time.Since(t0).Round(time.Millisecond))

	// During the replay.
	p, base := startProjector(t, s)
	var killedAt uint64
	deadline := time.Now().Add(2 * time.Minute)
	for killedAt == 0 && time.Now().Before(deadline) {
		pos, ok := position(base, false)
		if ok && pos.LastSeq == uint64(load) {
			break
		}
		if ok && pos.LastSeq >= uint64(load)/4 {
			p.Kill(t)
			killedAt = pos.LastSeq
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.Kill(t)
	if killedAt == 0 {
		t.Fatalf("the replay of %d events was over before it could be killed: raise LEX_REL_LOAD", load)
	}
	t.Logf("projector killed during the replay at sequence %d of %d", killedAt, load)

	// During live catch-up: clerks append while the restarted projector
	// follows them, and it is killed again.
	p, base = startProjector(t, s)
	waitCaughtUp(t, p, base, uint64(load))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	ch := make(chan ledger.Receipt, 1<<16)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) { defer wg.Done(); clerk(ctx, s.base, fmt.Sprintf("live%d", g), ch) }(g)
	}
	time.Sleep(1500 * time.Millisecond)
	livePos, _ := position(base, false)
	p.Kill(t)
	time.Sleep(time.Second) // appends continue while the projector is down
	cancel()
	wg.Wait()
	close(ch)
	live := 0
	for range ch {
		live++
	}
	t.Logf("projector killed during live catch-up at sequence %d; %d live events appended", livePos.LastSeq, live)

	total, want := rebuild(t, s)
	p, base = startProjector(t, s)
	pos := waitCaughtUp(t, p, base, total)
	if pos.Digest != want || pos.Events != total {
		t.Errorf("after two kills -9 the projector holds %d events, digest %s; a fresh rebuild of %d gives %s", pos.Events, pos.Digest, total, want)
	}
	t.Logf("SUMMARY projector: killed during the replay (at %d of %d) and during live catch-up (at %d, %d live appends); restarted to sequence %d, digest equal to a fresh rebuild: %v; %s",
		killedAt, load, livePos.LastSeq, live, total, pos.Digest == want, time.Since(t0).Round(time.Second))
}
