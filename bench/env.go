package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// rawStream and rawPrefix name the raw engine's stream, configured as the
// ledger's, beside it on the same server.
const (
	rawStream = "RAW"
	rawPrefix = "raw"
)

// payload400 is the raw engine's message: about the size of an event.
var payload400 = bytes.Repeat([]byte("x"), 400)

// env is an embedded server in a directory of its own, with the raw
// stream and the ledger's store on it.
type env struct {
	srv   *server.Server
	nc    *nats.Conn
	js    jetstream.JetStream
	raw   jetstream.Stream
	store *natsjs.Store
	dir   string
}

// newEnv starts a server (sync always or the default interval) with
// in-process connections only, and creates both streams.
func newEnv(ctx context.Context, parent string, always bool) (*env, error) {
	dir, err := os.MkdirTemp(parent, "lexbench-")
	if err != nil {
		return nil, err
	}
	srv, err := natsjs.StartEmbedded(natsjs.EmbeddedOptions{Dir: dir, Port: -1, SyncAlways: always})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	e := &env{srv: srv, dir: dir}
	if e.nc, err = nats.Connect("", nats.InProcessServer(srv)); err != nil {
		e.close()
		return nil, err
	}
	e.js, _ = jetstream.New(e.nc)
	if e.raw, err = e.js.CreateStream(ctx, natsjs.Config{Stream: rawStream, Prefix: rawPrefix}.StreamConfig()); err != nil {
		e.close()
		return nil, fmt.Errorf("create the raw stream: %w", err)
	}
	if e.store, err = natsjs.Open(ctx, e.nc, natsjs.Config{}); err != nil {
		e.close()
		return nil, err
	}
	return e, nil
}

// close stops the server and removes its data.
func (e *env) close() {
	if e.nc != nil {
		e.nc.Close()
	}
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
	os.RemoveAll(e.dir)
}

// benchAct is the i-th act the measurements amend; the generated load
// (Generate) uses other dates, so they never meet.
func benchAct(i int) string { return fmt.Sprintf("/akn/kz/act/2003-02-10/%d", i) }

// setupAct records an act that can take amendments, and returns a maker of
// amendment commands for it, each without an id (the ledger assigns one).
func setupAct(ctx context.Context, l *ledger.Ledger, act string) (func() ledger.Command, error) {
	for _, s := range []string{
		`{"act":"%s","type":"drafted","date":"2003-01-10","body":{"title":"Benchmark law","kind":"law"}}`,
		`{"act":"%s","type":"adopted","date":"2003-02-01"}`,
		`{"act":"%s","type":"signed","date":"2003-02-10"}`,
	} {
		e, err := events.Decode([]byte(fmt.Sprintf(s, act)))
		if err != nil {
			return nil, err
		}
		if _, err := l.Append(ctx, "bench", ledger.Command{Event: e}); err != nil {
			return nil, fmt.Errorf("set up act %s: %w", act, err)
		}
	}
	tmpl, err := events.Decode([]byte(fmt.Sprintf(`{"act":"%s","type":"amended","date":"2005-06-10","effective_from":"2005-07-01","instrument":"/akn/kz/act/2005-06-01/1","provisions":["art_7"],"body":{"effect":"substitution","texts":{"art_7":"Article 7 as amended: the court shall hear the case within a reasonable time, and the parties shall be heard."}}}`, act)))
	if err != nil {
		return nil, err
	}
	return func() ledger.Command {
		e := tmpl
		e.ID = events.ID{}
		return ledger.Command{Event: e}
	}, nil
}

// Rounds is how many alternating rounds of raw and ledger work a
// single-append measurement takes; the median round is reported, so that
// a burst of other work on the machine does not decide a ratio.
const Rounds = 5

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// Rate is a throughput: raw engine and ledger, in events (or operations)
// per second. Same, where measured, is the raw engine writing the
// ledger's own messages (same.go).
type Rate struct {
	Raw, Same, Ledger float64
}

// Ratio is the ledger's rate over the engine's.
func (r Rate) Ratio() float64 { return r.Ledger / r.Raw }

// SameRatio is the ledger's rate over the engine's writing the same
// messages: the ledger's own cost.
func (r Rate) SameRatio() float64 { return r.Ledger / r.Same }

// Load is what a load of concurrent operations gave.
type Load struct {
	Ops      int
	Rate     float64 // operations per second
	P50, P99 time.Duration
}

// Lat is a latency distribution of n operations.
type Lat struct {
	N        int
	P50, P99 time.Duration
}

func latOf(ds []time.Duration) Lat {
	if len(ds) == 0 {
		return Lat{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return Lat{N: len(s), P50: s[len(s)/2], P99: s[min(len(s)-1, len(s)*99/100)]}
}

// drive runs c workers calling op until d has passed or ctx ends, and
// sums them up.
func drive(ctx context.Context, c int, d time.Duration, op func(worker, i int) error) (Load, error) {
	var mu sync.Mutex
	var lat []time.Duration
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var mine []time.Duration
			for i := 0; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
				t := time.Now()
				if err := op(w, i); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := ctx.Err(); err != nil {
		return Load{}, err
	}
	if firstErr != nil {
		return Load{}, firstErr
	}
	if len(lat) == 0 {
		return Load{}, fmt.Errorf("no operation completed in %s", d)
	}
	l := latOf(lat)
	return Load{Ops: l.N, Rate: float64(l.N) / elapsed.Seconds(), P50: l.P50, P99: l.P99}, nil
}

// timeEach calls op until n calls or d have passed (at least once), and
// returns the latencies.
func timeEach(ctx context.Context, n int, d time.Duration, op func(i int) error) (Lat, error) {
	var ds []time.Duration
	deadline := time.Now().Add(d)
	for i := 0; i < n && (i == 0 || time.Now().Before(deadline)); i++ {
		if err := ctx.Err(); err != nil {
			return Lat{}, err
		}
		t := time.Now()
		if err := op(i); err != nil {
			return Lat{}, err
		}
		ds = append(ds, time.Since(t))
	}
	return latOf(ds), nil
}
