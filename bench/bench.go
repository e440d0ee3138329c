package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/lexledger/lexledger/ledger"
)

// Parts are the measurements Run knows, by the names Config.Only takes.
var Parts = []string{"single", "bulk", "http", "proxy", "rebuild", "query", "view", "batch", "hash", "memory"}

// Sender sends one atomic batch of commands to a ledger.
type Sender func(ctx context.Context, cmds []ledger.Command) ([]ledger.Receipt, error)

// Importer reads JSON Lines from in and sends them in atomic batches, as
// `ledger import` does; it returns how many events it sent. progress is
// called with the input bytes consumed.
type Importer func(ctx context.Context, in io.Reader, send Sender, progress func(bytes int64)) (int, error)

// Config says what Run measures.
type Config struct {
	Scales  []int  // events loaded into the stream before the other measurements
	Sync    []bool // server modes: true fsyncs before each acknowledgement
	Clients []int  // concurrent HTTP clients
	// ProxyClients is the load of the proxy part (DefaultProxyClients
	// when 0): concurrent HTTP clients appending to the proxy and to
	// `ledger serve`, each a process of its own.
	ProxyClients int
	Duration     time.Duration // of each HTTP load, and the bound of each latency measurement
	Singles      int           // single appends per measurement with the default sync (a fifth with sync always)
	Only         []string      // parts to run (Parts); empty: all, memory only when Memory > 0
	Memory       int           // events imported into `ledger serve` by the memory part (0 skips it)
	MemoryIdle   time.Duration // how long the memory part leaves each process idle before measuring it again (0: DefaultMemoryIdle)
	MemProfile   string        // where the memory part writes the heap profile of `ledger serve` after the import; none when empty
	Exe          string        // the ledger binary, for the memory and proxy parts
	Dir          string        // where servers keep their data; os.TempDir() when empty
	Import       Importer      // the import of `ledger import` (required)
	// Shape is the shape of the generated events loaded (GenOptions.Shape,
	// seed 1): ShapeSimple when empty.
	Shape    string
	Progress io.Writer // progress lines; io.Discard when nil
}

// generate writes n events of c's shape to w.
func (c *Config) generate(ctx context.Context, w io.Writer, n int) error {
	return GenerateShape(ctx, w, GenOptions{Shape: c.Shape, Events: n, Seed: 1})
}

// realistic reports whether c loads the realistic shape.
func (c *Config) realistic() bool { return c.Shape == ShapeRealistic }

// runs reports whether c measures part: every part named in c.Only, or,
// when it names none, every part, memory only when c.Memory gives it
// events to import.
func (c *Config) runs(part string) bool {
	if len(c.Only) == 0 {
		return part != "memory" || c.Memory > 0
	}
	for _, p := range c.Only {
		if p == part {
			return true
		}
	}
	return false
}

// Result is what one server mode at one stream size gave. A part that was
// not run is nil.
type Result struct {
	Always  bool
	Scale   int
	Single  *Rate     // appends/s: raw Publish with expected sequence, ledger Append (Go API)
	Bulk    *Rate     // events/s: raw atomic batches, `ledger import` code path
	HTTP    []HTTPRow // per number of clients
	Rebuild *Rebuild
	Query   *Query
	View    *View
}

// HTTPRow is one HTTP load: raw publishes and HTTP appends by as many clients.
type HTTPRow struct {
	Clients     int
	Raw, Ledger Load
}

// Rebuild is a replay of the whole stream, in events/s.
type Rebuild struct {
	Events    int
	Bare      float64 // the engine's own replay: a bare ordered consumer that only counts the messages
	Replay    float64 // the store's raw replay (natsjs ReadRaw: subjects and sequences read, no decoding)
	Fold      float64 // replay, decoding and the bitemporal fold: `projector rebuild --save=false`
	Projector float64 // a projector service from empty until caught up (and its Merkle tree, snapshots)
	Verify    float64 // hash chains and Merkle tree over the stored bytes
}

// Query is the latency of as-of questions to the projection.
type Query struct {
	Acts           int
	RawGet, State  Lat // the last message of one act's subject; an act's state on a day
	RawList, List  Lat // every act's subject with its count; every act's state on a day
	StateDay, Days string
}

// View is the latency from a clerk's request to the projector's view.
type View struct {
	Raw    Lat // raw publish until an ordered consumer receives it
	Ledger Lat // HTTP append until the projector has applied it
	Ack    Lat // the HTTP append alone
}

// Report is everything one Run measured, and where.
type Report struct {
	Machine Machine
	Command string
	Start   time.Time
	Took    time.Duration
	Config  Config
	Results []Result
	Batch   []BatchRow
	Proxy   []ProxyRow // per sync mode
	Hash    *Hash
	Memory  *Memory
}

// Run measures what cfg asks, each sync mode and scale on a fresh
// embedded server, and returns the figures. It stops early with ctx's
// error when ctx ends.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Import == nil {
		return nil, fmt.Errorf("bench: no importer configured")
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	if cfg.Dir == "" {
		cfg.Dir = os.TempDir()
	}
	if cfg.ProxyClients <= 0 {
		cfg.ProxyClients = DefaultProxyClients
	}
	for _, p := range cfg.Only {
		if !strings.Contains(","+strings.Join(Parts, ",")+",", ","+p+",") {
			return nil, fmt.Errorf("bench: unknown part %q (known: %s)", p, strings.Join(Parts, ", "))
		}
	}
	if c := cfg.Shape; c != "" && c != ShapeSimple && c != ShapeRealistic {
		return nil, fmt.Errorf("bench: unknown shape %q (known: %s)", c, strings.Join(Shapes, ", "))
	}
	r := &Report{Machine: Describe(), Start: time.Now().UTC(), Config: cfg}
	pr := &progress{w: cfg.Progress, start: time.Now()}
	matrix := cfg.runs("single") || cfg.runs("bulk") || cfg.runs("http") || cfg.runs("rebuild") || cfg.runs("query") || cfg.runs("view")
	if matrix {
		for _, always := range cfg.Sync {
			for _, n := range cfg.Scales {
				pr.at = fmt.Sprintf("sync %s, %d events", syncName(always), n)
				res, err := measureScale(ctx, &cfg, pr, always, n)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", pr.at, err)
				}
				r.Results = append(r.Results, res)
				runtime.GC()
			}
		}
	}
	pr.at = "extras"
	if cfg.runs("proxy") {
		for _, always := range cfg.Sync {
			row, err := measureProxy(ctx, &cfg, pr, always)
			if err != nil {
				return nil, fmt.Errorf("proxy, sync %s: %w", syncName(always), err)
			}
			r.Proxy = append(r.Proxy, row)
		}
	}
	if cfg.runs("batch") {
		pr.step("the raw engine's cost of a write, sync always")
		rows, err := measureBatch(ctx, cfg.Dir, cfg.Duration)
		if err != nil {
			return nil, fmt.Errorf("batch: %w", err)
		}
		r.Batch = rows
	}
	if cfg.runs("hash") {
		pr.step("the cost of the hash chain")
		h, err := measureHash(ctx, &cfg)
		if err != nil {
			return nil, fmt.Errorf("hash: %w", err)
		}
		r.Hash = h
	}
	if cfg.runs("memory") && cfg.Memory > 0 {
		m, err := measureMemory(ctx, &cfg, pr)
		if err != nil {
			return nil, fmt.Errorf("memory: %w", err)
		}
		r.Memory = m
	}
	r.Took = time.Since(pr.start)
	pr.step(fmt.Sprintf("done in %s", r.Took.Round(time.Second)))
	return r, nil
}

func syncName(always bool) string {
	if always {
		return "always"
	}
	return "interval"
}

// progress writes one line per step, and a line per tenth of a long one.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
	at    string
	last  int
}

func (p *progress) step(what string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last = 0
	fmt.Fprintf(p.w, "bench [%6.1fs] %s: %s\n", time.Since(p.start).Seconds(), p.at, what)
}

// part reports done of total, at most once a tenth.
func (p *progress) part(what string, done, total int64) {
	if total <= 0 {
		return
	}
	tenth := int(10 * done / total)
	p.mu.Lock()
	defer p.mu.Unlock()
	if tenth > p.last && tenth < 10 {
		p.last = tenth
		fmt.Fprintf(p.w, "bench [%6.1fs] %s: %s %d%%\n", time.Since(p.start).Seconds(), p.at, what, tenth*10)
	}
}
