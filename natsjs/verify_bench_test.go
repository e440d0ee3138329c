//go:build unix

package natsjs_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/lexledger/lexledger/audit"
	"github.com/lexledger/lexledger/bench"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/internal/cli"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/nats-io/nats.go/jetstream"
)

// BenchmarkVerifyAgainstReplay measures `projector verify` against two raw
// replays of the same stream, in the same run, on one embedded server: a
// bare ordered consumer that touches nothing but the count of messages (the
// engine's fastest read, the honest baseline), and the store's ReadRaw
// (which also parses each message's metadata and subject). Each iteration
// runs the three in turn, so that the machine's load falls on each alike;
// the metrics are the rates over all iterations, their ratios, and the
// CPU time the process (server included) spent on each an event:
//
//	go test ./natsjs -run '^$' -bench VerifyAgainstReplay -benchtime 5x -count 3
func BenchmarkVerifyAgainstReplay(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
			env := natstest.MustStart(b, natstest.Options{})
			ctx := context.Background()
			mustImport(b, env.Store, n)
			views, err := natsjs.OpenViews(ctx, env.Conn, 1)
			if err != nil {
				b.Fatal(err)
			}
			js, err := jetstream.New(env.Conn)
			if err != nil {
				b.Fatal(err)
			}
			lex, err := js.Stream(ctx, env.Store.Config().Stream)
			if err != nil {
				b.Fatal(err)
			}
			var bare, raw, verify, bareCPU, rawCPU, verifyCPU time.Duration
			for b.Loop() {
				start, cpu := time.Now(), processCPU(b)
				if got := bareReplay(b, ctx, lex); got != n {
					b.Fatalf("the bare replay read %d messages, want %d", got, n)
				}
				bare, bareCPU = bare+time.Since(start), bareCPU+processCPU(b)-cpu
				start, cpu = time.Now(), processCPU(b)
				if got := readRawReplay(b, ctx, env.Store); got != n {
					b.Fatalf("ReadRaw read %d messages, want %d", got, n)
				}
				raw, rawCPU = raw+time.Since(start), rawCPU+processCPU(b)-cpu
				start, cpu = time.Now(), processCPU(b)
				rep := verifyAsProjector(b, ctx, env.Store, views)
				verify, verifyCPU = verify+time.Since(start), verifyCPU+processCPU(b)-cpu
				if !rep.OK || rep.Events != uint64(n) {
					b.Fatalf("verification: ok %v, %d events of %d, failures %v", rep.OK, rep.Events, n, rep.Failures[:min(3, len(rep.Failures))])
				}
			}
			total := float64(n * b.N)
			b.ReportMetric(total/bare.Seconds(), "bare-events/s")
			b.ReportMetric(total/raw.Seconds(), "readraw-events/s")
			b.ReportMetric(total/verify.Seconds(), "verify-events/s")
			b.ReportMetric(bare.Seconds()/verify.Seconds(), "verify/bare")
			b.ReportMetric(raw.Seconds()/verify.Seconds(), "verify/readraw")
			// CPU of the whole process (server and client) an event: what
			// the ratios come to when the machine's cores are all busy.
			b.ReportMetric(float64(bareCPU.Microseconds())/total, "bare-cpu-µs/event")
			b.ReportMetric(float64(rawCPU.Microseconds())/total, "readraw-cpu-µs/event")
			b.ReportMetric(float64(verifyCPU.Microseconds())/total, "verify-cpu-µs/event")
		})
	}
}

// processCPU is the CPU time the process has used so far, user and
// system, the embedded server's included.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// mustImport writes n of `ledger bench`'s generated events (acts of ten)
// through the ledger, in atomic batches of 1000 as `ledger import` does.
func mustImport(b *testing.B, store *natsjs.Store, n int) {
	b.Helper()
	ctx := context.Background()
	l := ledger.New(store, ledger.Options{AppendTimeout: 30 * time.Second})
	defer l.Close()
	var load bytes.Buffer
	if err := bench.Generate(&load, n); err != nil {
		b.Fatal(err)
	}
	r := bufio.NewReader(&load)
	cmds := make([]ledger.Command, 0, ledger.DefaultMaxBatch)
	flush := func() {
		if len(cmds) == 0 {
			return
		}
		if _, err := l.AppendAtomic(ctx, "bench", cmds); err != nil {
			b.Fatal(err)
		}
		cmds = cmds[:0]
	}
	for {
		line, err := r.ReadBytes('\n')
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		e, err := events.Decode(bytes.TrimSpace(line))
		if err != nil {
			b.Fatal(err)
		}
		if cmds = append(cmds, ledger.Command{Event: e}); len(cmds) == ledger.DefaultMaxBatch {
			flush()
		}
	}
	flush()
}

// bareReplay reads the whole stream with an ordered consumer, as fast as
// the client library reads: large pulls, nothing done with a message but
// counting it. It stops at the stream's last sequence.
func bareReplay(b *testing.B, ctx context.Context, s jetstream.Stream) int {
	b.Helper()
	info, err := s.Info(ctx)
	if err != nil {
		b.Fatal(err)
	}
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		b.Fatal(err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(4000))
	if err != nil {
		b.Fatal(err)
	}
	defer it.Stop()
	count := 0
	for uint64(count) < info.State.Msgs {
		if _, err := it.Next(); err != nil {
			b.Fatal(err)
		}
		count++
	}
	return count
}

// readRawReplay reads the whole stream with the store's ReadRaw, touching
// nothing but the count.
func readRawReplay(b *testing.B, ctx context.Context, st *natsjs.Store) int {
	b.Helper()
	count := 0
	for _, err := range st.ReadRaw(ctx) {
		if err != nil {
			b.Fatal(err)
		}
		count++
	}
	return count
}

// verifyAsProjector verifies the stream as `projector verify` does
// (cmd/projector/audit.go, verifyStream): the last sequence, the pass of
// natsjs.Verify with the (quiet) progress bar counting, the report.
func verifyAsProjector(b *testing.B, ctx context.Context, st *natsjs.Store, views *natsjs.Views) audit.Report {
	b.Helper()
	last, err := st.LastSeq(ctx)
	if err != nil {
		b.Fatal(err)
	}
	bar := cli.NewProgress(io.Discard, true, "verifying", int64(last))
	defer bar.Abandon()
	v := audit.NewVerifier(nil)
	if _, err := natsjs.Verify(ctx, st, views, v, func() { bar.Add(1) }); err != nil {
		b.Fatal(err)
	}
	rep := v.Report()
	if rep.OK {
		bar.Set(int64(rep.Events))
		bar.Done()
	}
	return rep
}

// BenchmarkVerify is verification alone, as `projector verify` does it, for
// a CPU profile of it (the import before it is a small share of a long
// run):
//
//	go test ./natsjs -run '^$' -bench 'Verify$' -benchtime 30x -cpuprofile cpu.prof
func BenchmarkVerify(b *testing.B) {
	const n = 20_000
	env := natstest.MustStart(b, natstest.Options{})
	ctx := context.Background()
	mustImport(b, env.Store, n)
	views, err := natsjs.OpenViews(ctx, env.Conn, 1)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if rep := verifyAsProjector(b, ctx, env.Store, views); !rep.OK || rep.Events != n {
			b.Fatalf("verification: ok %v, %d events of %d", rep.OK, rep.Events, n)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
}
