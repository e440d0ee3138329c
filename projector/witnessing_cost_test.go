package projector_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/projector"
)

// The cost of signing and witnessing to appends (issue 14: under 5%):
// append throughput with a projector in process that signs a checkpoint
// every LEX_BENCH_INTERVAL (default 1s; a projector's default is a
// minute) and submits each to two real witnesses on loopback,
// against the same run with a projector that neither signs nor
// witnesses. Runs alternate, rounds times each, each on a fresh embedded
// server (the default sync; LEX_BENCH_SYNC=always fsyncs every write);
// the medians are compared. Only with LEX_BENCH=1
// (BENCHMARKS.md has the command and the figures).
func TestWitnessingCost(t *testing.T) {
	if os.Getenv("LEX_BENCH") != "1" {
		t.Skip("a measurement: run with LEX_BENCH=1 (BENCHMARKS.md)")
	}
	const (
		rounds  = 7
		writers = 8
		runFor  = 3 * time.Second
	)
	interval := time.Second
	if v := os.Getenv("LEX_BENCH_INTERVAL"); v != "" {
		var err error
		if interval, err = time.ParseDuration(v); err != nil {
			t.Fatalf("LEX_BENCH_INTERVAL %q: %v", v, err)
		}
	}
	var plain, witnessed []float64
	var cosigned []int
	for round := range rounds {
		for _, withWitnesses := range []bool{round%2 == 0, round%2 != 0} {
			rate, n := appendRate(t, withWitnesses, interval, writers, runFor)
			if withWitnesses {
				witnessed = append(witnessed, rate)
				cosigned = append(cosigned, n)
			} else {
				plain = append(plain, rate)
			}
			t.Logf("round %d, signing and witnessing %v: %.0f appends/s (%d checkpoints cosigned by both witnesses)", round+1, withWitnesses, rate, n)
		}
	}
	p, w := median(plain), median(witnessed)
	fmt.Printf("appends/s, %d writers, %s a run, %d rounds: without signing or witnesses %.0f (median of %v); signing every %s and witnessing by 2: %.0f (median of %v; checkpoints cosigned by both per run %v); ratio %.3f, cost %.1f%%\n",
		writers, runFor, rounds, p, round0(plain), interval, w, round0(witnessed), cosigned, w/p, 100*(1-w/p))
	if slices.Min(cosigned) == 0 {
		t.Errorf("a run with witnesses had no checkpoint cosigned: the measurement measured nothing")
	}
}

// appendRate runs writers appending single events, each to an act of its
// own, for d, with a projector in process; it returns appends per second
// and, with witnesses, how many checkpoints both cosigned.
func appendRate(t *testing.T, withWitnesses bool, interval time.Duration, writers int, d time.Duration) (float64, int) {
	env := natstest.MustStart(t, natstest.Options{Dir: t.TempDir(), SyncAlways: os.Getenv("LEX_BENCH_SYNC") == "always"})
	defer env.Stop()
	l := ledger.New(env.Store, ledger.Options{AppendTimeout: 30 * time.Second})
	defer l.Close()
	opts := projector.Options{Feed: true}
	if withWitnesses {
		kp, _ := mustSigningKey(t)
		w1, w2 := mustWitness(t, "witness.test/w1", kp), mustWitness(t, "witness.test/w2", kp)
		opts.Signer, opts.CheckpointInterval = kp, interval
		opts.Witnesses = []projector.Witness{w1.cfg, w2.cfg}
	}
	r := startService(t, env.Store, env.Connect(t), opts, false)
	defer r.stop()
	acts := make([]events.ActID, writers)
	for i := range acts {
		acts[i] = events.ActID(fmt.Sprintf("/akn/kz/act/code/2000-01-01/w%d", i))
		e := created(acts[i], fmt.Sprintf("Code %d", i))
		e.Body.Kind, e.Date = "code", events.MustDate("2000-01-01")
		if _, err := l.Append(context.Background(), "bench@test", ledger.Command{Event: e}); err != nil {
			t.Fatal(err)
		}
	}
	r.waitReady(t)
	var n atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var wg sync.WaitGroup
	start := time.Now()
	for i := range writers {
		wg.Go(func() {
			for k := 0; ctx.Err() == nil; k++ {
				e := amendment(i*1_000_000 + k)
				e.Act = acts[i]
				if _, err := l.Append(context.Background(), "bench@test", ledger.Command{Event: e}); err != nil {
					t.Error(err)
					return
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	rate := float64(n.Load()) / time.Since(start).Seconds()
	cosigned := 0
	if withWitnesses {
		cps, err := r.views.Checkpoints(testContext(t, time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		for _, data := range cps {
			if len(data) > 0 && countLines(data, "— witness.test/") == 2 {
				cosigned++
			}
		}
	}
	return rate, cosigned
}

func countLines(data []byte, prefix string) int {
	n := 0
	for i := 0; i+len(prefix) <= len(data); i++ {
		if (i == 0 || data[i-1] == '\n') && string(data[i:i+len(prefix)]) == prefix {
			n++
		}
	}
	return n
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	return s[len(s)/2]
}

func round0(xs []float64) []int {
	out := make([]int, len(xs))
	for i, x := range xs {
		out[i] = int(x + 0.5)
	}
	return out
}
