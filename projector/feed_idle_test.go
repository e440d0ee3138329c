//go:build unix

package projector_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/projections"
	"github.com/lexledger/lexledger/projector"
)

// smallPayload is the max_payload of the test servers that meet the limit:
// a quarter of the embedded server's, so that a few hundred amendments
// make a state larger than it.
const smallPayload = 64 << 10

// recordAmendments records n amendments of the Criminal Code, in atomic
// batches of 100, and returns the last sequence.
func recordAmendments(t *testing.T, l *ledger.Ledger, n int) uint64 {
	t.Helper()
	var last uint64
	for i := 0; i < n; i += 100 {
		var cmds []ledger.Command
		for j := i; j < min(i+100, n); j++ {
			cmds = append(cmds, ledger.Command{Event: amendment(1000 + j)})
		}
		rs, err := l.AppendAtomic(context.Background(), "load@test", cmds)
		if err != nil {
			t.Fatalf("record amendments %d to %d: %v", i+1, i+len(cmds), err)
		}
		last = rs[len(rs)-1].Seq
	}
	return last
}

// lineCounter counts the lines written to it.
type lineCounter struct{ n atomic.Int64 }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.n.Add(int64(bytes.Count(p, []byte("\n"))))
	return len(p), nil
}

// The CPU an idle projector burns while it holds an act whose full state
// is larger than the server's max_payload (the Criminal Code after 5,000
// amendments, about 0.8 MB, against the embedded server's 261 KiB; or
// LEX_BENCH_AMENDMENTS of them): the process's CPU time over
// 10 s, the embedded server included, with the feed's log written (to
// nowhere). Before the feed bounded its messages it wrote that state again
// every 200 ms, failing each time. A benchmark, not a test:
//
//	LEX_BENCH=1 go test ./projector -run FeedIdleCPU -v
func TestFeedIdleCPU(t *testing.T) {
	if os.Getenv("LEX_BENCH") == "" {
		t.Skip("a benchmark of 10 s: set LEX_BENCH=1")
	}
	n := 5000
	if v, err := strconv.Atoi(os.Getenv("LEX_BENCH_AMENDMENTS")); err == nil && v > 0 {
		n = v
	}
	env := natstest.MustStart(t, natstest.Options{})
	l := mustLedger(t, env)
	loadSeed(t, l)
	last := recordAmendments(t, l, n)
	lines := &lineCounter{}
	log := slog.New(slog.NewTextHandler(lines, nil))
	r := startService(t, env.Store, env.Connect(t), projector.Options{Feed: true, Logger: log}, false)
	r.waitFor(t, last)
	waitReady(t, r)
	var whole int
	r.svc.Read(func(p *projections.Projection) {
		st, err := p.State(criminalCode, projections.Query{AsOf: events.MustDate(time.Now().UTC().Format(time.DateOnly))})
		if err != nil {
			t.Fatal(err)
		}
		data, _ := json.Marshal(projector.ChangeNotice{Seq: last, State: st})
		whole = len(data)
	})
	time.Sleep(2 * time.Second) // the reconcile and the first writes
	const window = 10 * time.Second
	before, logged := cpuTime(t), lines.n.Load()
	time.Sleep(window)
	used := cpuTime(t) - before
	t.Logf("%d amendments (whole state %d bytes, max_payload %d): idle for %s, %s of CPU, %.1f%% of a core; %d log lines", n, whole, env.Conn.MaxPayload(), window, used.Round(time.Millisecond), 100*used.Seconds()/window.Seconds(), lines.n.Load()-logged)
}
