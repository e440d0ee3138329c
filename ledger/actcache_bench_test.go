package ledger_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"testing"
	"time"

	"github.com/lexledger/lexledger/bench"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs/natstest"
)

// liveHeap returns the bytes of live heap after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// BenchmarkActCache records the events of bench.Generate (acts of ten
// events) through a ledger on an embedded JetStream server, in atomic
// batches of 1000 as `ledger import` sends them, and reports the rate and
// the live heap that the ledger holds afterwards: the heap with the ledger
// reachable less the heap once it is not. The histories of acts are not
// kept (HistoryCache -1), so that the heap is the acts' caches'.
//
// In "book" order each act's events come together, as in a statute book
// imported act by act; in "interleaved" order the first event of every
// act comes first, then every second event, and so on: each act comes back
// after all the others, the worst order for a cache of the most recently
// used. ACT_CACHE_EVENTS sets the number of events (200,000 by default).
//
//	go test ./ledger -run '^$' -bench BenchmarkActCache -benchtime 1x
func BenchmarkActCache(b *testing.B) {
	n := 200_000
	if s := os.Getenv("ACT_CACHE_EVENTS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 10 {
			b.Fatalf("ACT_CACHE_EVENTS=%q: want a number of events, at least 10", s)
		}
	}
	var buf bytes.Buffer
	if err := bench.Generate(&buf, n); err != nil {
		b.Fatal(err)
	}
	var lines [][]byte
	for sc := bufio.NewScanner(&buf); sc.Scan(); {
		lines = append(lines, bytes.Clone(sc.Bytes()))
	}
	acts := n / 10
	interleaved := make([][]byte, 0, n)
	for k := range 10 {
		for a := range acts {
			if i := a*10 + k; i < n {
				interleaved = append(interleaved, lines[i])
			}
		}
	}
	for _, order := range []struct {
		name  string
		lines [][]byte
	}{{"book", lines}, {"interleaved", interleaved}} {
		for _, bound := range []int{1 << 30, 200_000, 50_000} {
			name := fmt.Sprintf("order=%s/events=%d/act-cache=%d", order.name, n, bound)
			if bound == 1<<30 {
				name = fmt.Sprintf("order=%s/events=%d/act-cache=all", order.name, n)
			}
			b.Run(name, func(b *testing.B) {
				for b.Loop() {
					recordAll(b, order.lines, ledger.Options{ActCache: bound, HistoryCache: -1})
				}
			})
		}
	}
}

// recordAll records lines in batches of 1000 through a new ledger on a new
// server, and reports the rate, the ledger's live heap and what its cache of
// acts holds.
func recordAll(b *testing.B, lines [][]byte, opts ledger.Options) {
	b.StopTimer()
	env := natstest.MustStart(b, natstest.Options{})
	opts.AppendTimeout = time.Minute
	l := ledger.New(env.Store, opts)
	ctx := context.Background()
	b.StartTimer()
	start := time.Now()
	cmds := make([]ledger.Command, 0, ledger.DefaultMaxBatch)
	for i := 0; i < len(lines); i += ledger.DefaultMaxBatch {
		cmds = cmds[:0]
		for _, line := range lines[i:min(i+ledger.DefaultMaxBatch, len(lines))] {
			e, err := events.Decode(line)
			if err != nil {
				b.Fatal(err)
			}
			cmds = append(cmds, ledger.Command{Event: e})
		}
		if _, err := l.AppendAtomic(ctx, "bench@test", cmds); err != nil {
			b.Fatalf("batch at event %d: %v", i+1, err)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	clear(cmds)
	counted, _, acts, _ := l.ActCacheHeld()
	// The embedded server, in this process, keeps the message blocks it
	// read or wrote in memory for 10 seconds (the file store's cache
	// expiry): the heap is measured once they are let go, so that the
	// difference with the ledger and without it is the ledger's.
	time.Sleep(12 * time.Second)
	with := liveHeap()
	if name := os.Getenv("ACT_CACHE_HEAPPROFILE"); name != "" {
		// The heap with the ledger still reachable, for go tool pprof.
		f, err := os.Create(name)
		if err != nil {
			b.Fatal(err)
		}
		if err := pprof.WriteHeapProfile(f); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	l.Close()
	without := liveHeap()
	b.ReportMetric(float64(len(lines))/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(int64(with)-int64(without))/(1<<20), "ledger-MiB")
	b.ReportMetric(float64(counted), "held")
	b.ReportMetric(float64(acts), "acts")
	b.ReportMetric(0, "ns/op")
	b.StartTimer()
}
