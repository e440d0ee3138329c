//go:build reliability

package reliability_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/lexledger/lexledger/ledger"
)

// (a) kill -9 of `ledger serve` while eight clerks append, N times over one
// data directory (LEX_REL_CRASHES, default 5): after the last restart every
// acknowledged event is in its act's history once, where its receipt said,
// and `projector verify` finds every hash chain and the Merkle tree intact.
func TestCrashLoopLosesNothingAcknowledged(t *testing.T) {
	crashes := envInt(t, "LEX_REL_CRASHES", 5)
	const clerks = 8
	dir := t.TempDir()
	t0 := time.Now()
	var acked []ledger.Receipt
	for i := 1; i <= crashes; i++ {
		s := startServe(t, dir, "--projector=false")
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		ch := make(chan ledger.Receipt, 1<<16)
		var wg sync.WaitGroup
		for g := 0; g < clerks; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				clerk(ctx, s.base, fmt.Sprintf("crash%d-clerk%d", i, g), ch)
			}(g)
		}
		time.Sleep(time.Duration(500+rand.IntN(1500)) * time.Millisecond)
		s.Kill(t) // SIGKILL, appends in flight
		wg.Wait()
		cancel()
		close(ch)
		n := 0
		for r := range ch {
			acked = append(acked, r)
			n++
		}
		t.Logf("crash %d/%d: %d events acknowledged before the kill", i, crashes, n)
	}
	s := startServe(t, dir, "--projector=false")
	checked, lost, dup := checkAcked(t, s.base, acked)
	out := verify(t, s)
	if t.Failed() {
		t.Logf("verify: %s", out)
	}
	t.Logf("SUMMARY crash: %d kills -9 during appends by %d clerks; %d acknowledged events checked: lost %d, duplicated %d; verify clean; %s",
		crashes, clerks, checked, lost, dup, time.Since(t0).Round(time.Second))
}
