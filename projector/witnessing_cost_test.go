//go:build unix

package projector_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lexledger/lexledger/audit"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/projector"
	"github.com/lexledger/lexledger/witness"
)

// The cost of signing and witnessing to appends (issue 14: under 5%):
// append throughput with a projector in process that signs a checkpoint
// every LEX_BENCH_INTERVAL (default 1s; a projector's default is a
// minute) and submits each to two real witnesses on loopback,
// against the same run with a projector that neither signs nor
// witnesses. Runs alternate, rounds times each, each on a fresh embedded
// server (the default sync; LEX_BENCH_SYNC=always fsyncs every write);
// the medians are compared, and the rounds' ratios. The CPU an append is
// the whole process's (server, projector and witnesses included). Only with LEX_BENCH=1
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
	var plain, witnessed, ratios, cpuPlain, cpuWitnessed []float64
	var cosigned []int
	for round := range rounds {
		var rates [2]float64
		for _, withWitnesses := range []bool{round%2 == 0, round%2 != 0} {
			cpu0 := cpuTime(t)
			rate, n, appends := appendRate(t, withWitnesses, interval, writers, runFor)
			cpu := float64((cpuTime(t) - cpu0).Microseconds()) / float64(appends)
			if withWitnesses {
				witnessed, cpuWitnessed = append(witnessed, rate), append(cpuWitnessed, cpu)
				cosigned = append(cosigned, n)
				rates[1] = rate
			} else {
				plain, cpuPlain = append(plain, rate), append(cpuPlain, cpu)
				rates[0] = rate
			}
			t.Logf("round %d, signing and witnessing %v: %.0f appends/s, %.0f µs of CPU an append (%d checkpoints cosigned by both witnesses)", round+1, withWitnesses, rate, cpu, n)
		}
		ratios = append(ratios, rates[1]/rates[0])
	}
	p, w := median(plain), median(witnessed)
	fmt.Printf("appends/s, %d writers, %s a run, %d rounds: without signing or witnesses %.0f (median of %v); signing every %s and witnessing by 2: %.0f (median of %v; checkpoints cosigned by both per run %v); ratio of the medians %.3f; median of the rounds' ratios %.3f (%.2f to %.2f); CPU an append (whole process, test's witnesses included) %.0f µs against %.0f µs: ratio %.3f\n",
		writers, runFor, rounds, p, round0(plain), interval, w, round0(witnessed), cosigned, w/p, median(ratios), slices.Min(ratios), slices.Max(ratios),
		median(cpuWitnessed), median(cpuPlain), median(cpuWitnessed)/median(cpuPlain))
	if slices.Min(cosigned) == 0 {
		t.Errorf("a run with witnesses had no checkpoint cosigned: the measurement measured nothing")
	}
}

// appendRate runs writers appending single events, each to an act of its
// own, for d, with a projector in process; it returns appends per second
// and, with witnesses, how many checkpoints both cosigned.
func appendRate(t *testing.T, withWitnesses bool, interval time.Duration, writers int, d time.Duration) (rate float64, cosigned int, appends int64) {
	env := natstest.MustStart(t, natstest.Options{Dir: t.TempDir(), SyncAlways: os.Getenv("LEX_BENCH_SYNC") == "always"})
	defer env.Stop()
	l := ledger.New(env.Store, ledger.Options{AppendTimeout: 30 * time.Second})
	defer l.Close()
	opts := projector.Options{Feed: true}
	if withWitnesses {
		kp, _ := mustSigningKey(t)
		// LEX_BENCH_WITNESS_DIR (such as /dev/shm) keeps the witnesses'
		// fsyncs off the ledger's disk, as witnesses on other hosts would.
		parent := os.Getenv("LEX_BENCH_WITNESS_DIR")
		if parent == "" {
			parent = t.TempDir()
		} else {
			var err error
			if parent, err = os.MkdirTemp(parent, "lexbench"); err != nil {
				t.Fatal(err)
			}
			defer os.RemoveAll(parent)
		}
		w1 := mustWitnessIn(t, filepath.Join(parent, "1"), "witness.test/w1", kp)
		w2 := mustWitnessIn(t, filepath.Join(parent, "2"), "witness.test/w2", kp)
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
	rate = float64(n.Load()) / time.Since(start).Seconds()
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
	return rate, cosigned, n.Load()
}

// cpuTime is the CPU time (user and system) the process used so far.
func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
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

// BenchmarkSignAndWitness: one checkpoint signed, stored, submitted to
// two real witnesses on loopback and stored cosigned, per operation (the
// event that makes the tree grow is appended outside the timer). Its CPU
// per operation, over the checkpoint interval, bounds what signing and
// witnessing take from the appends.
func BenchmarkSignAndWitness(b *testing.B) {
	env := natstest.MustStart(b, natstest.Options{Dir: b.TempDir()})
	l := ledger.New(env.Store, ledger.Options{AppendTimeout: 30 * time.Second})
	defer l.Close()
	kp, err := audit.GenerateSigner(audit.DefaultOrigin)
	if err != nil {
		b.Fatal(err)
	}
	var ws []projector.Witness
	for _, name := range []string{"witness.test/w1", "witness.test/w2"} {
		ws = append(ws, benchWitness(b, name, kp))
	}
	views, err := natsjs.OpenViews(context.Background(), env.Conn, 1)
	if err != nil {
		b.Fatal(err)
	}
	svc := projector.New(env.Store, views, projector.Options{Signer: kp, CheckpointInterval: time.Hour, Witnesses: ws})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go svc.Run(ctx)
	e := created("/akn/kz/act/code/2000-01-01/b", "Code B")
	e.Body.Kind, e.Date = "code", events.MustDate("2000-01-01")
	if _, err := l.Append(ctx, "bench@test", ledger.Command{Event: e}); err != nil {
		b.Fatal(err)
	}
	cpu := time.Duration(0)
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		a := amendment(i)
		a.Act = e.Act
		rc, err := l.Append(ctx, "bench@test", ledger.Command{Event: a})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := svc.WaitFor(ctx, rc.Seq); err != nil {
			b.Fatal(err)
		}
		for !svc.Ready() {
			time.Sleep(time.Millisecond)
		}
		cpu0 := rusage(b)
		b.StartTimer()
		c, err := svc.Checkpoint(ctx)
		if err != nil {
			b.Fatal(err)
		}
		for {
			latest, _ := svc.LatestCheckpoint()
			if latest.TreeSize == c.TreeSize && svc.Witnessed(latest).Witnessed && len(svc.Witnessed(latest).Cosignatures) == 2 {
				break
			}
			time.Sleep(100 * time.Microsecond)
		}
		b.StopTimer()
		cpu += rusage(b) - cpu0
	}
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
}

func benchWitness(b *testing.B, name string, kp *audit.Signer) projector.Witness {
	dir := filepath.Join(b.TempDir(), "witness")
	vkey, err := witness.Init(dir, name)
	if err != nil {
		b.Fatal(err)
	}
	w, err := witness.Open(dir, witness.Options{Logs: []witness.Log{{Origin: kp.Origin(), VerifierKeys: []string{kp.VerifierKey()}}}})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(w.Handler())
	b.Cleanup(func() { srv.Close(); w.Close() })
	cfg, err := projector.ParseWitness(srv.URL + "=" + vkey)
	if err != nil {
		b.Fatal(err)
	}
	return cfg
}

func rusage(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
