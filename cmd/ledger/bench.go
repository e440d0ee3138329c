package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lexledger/lexledger/audit"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/internal/cli"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"
)

// runBench measures the ledger against the raw JetStream engine on the same
// embedded server in the same run, and prints Markdown tables of figures and
// ratios.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlags("bench", "ledger bench [flags]", stderr)
	single := fs.Int("single", 5000, "sequential single appends per measurement (sync interval; a fifth with sync always)")
	bulk := fs.Int("bulk", 200000, "events of the bulk import")
	clients := fs.String("clients", "1,8,32,128", "concurrent HTTP clients")
	seconds := fs.Float64("seconds", 5, "seconds per HTTP measurement")
	memEvents := fs.Int("memory", 1000000, "events imported into a real `ledger serve` to measure its memory (0 skips)")
	verifyN := fs.Int("verify", 1000000, "events replayed by the verification measurement (0 skips)")
	only := fs.String("only", "single,bulk,http,batch,hash,verify,memory", "which measurements to run")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	if done, err := cli.Parse(fs, args); done {
		return err
	}
	var cs []int
	for _, s := range strings.Split(*clients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("--clients: %q is not a positive number", s)
		}
		cs = append(cs, n)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	run := func(name string) bool { return strings.Contains(*only, name) }
	fmt.Fprintf(stdout, "Machine: %s/%s, %d CPUs, %s. Payloads about 400 bytes. Single appends: the median of %d alternating rounds; other rows: one run.\n\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), benchRounds)
	if run("single") {
		fmt.Fprintln(stdout, "### Single appends, one writer, one act (Go API vs raw Publish with expected per-subject sequence)")
		fmt.Fprintln(stdout)
		fmt.Fprintln(stdout, "| sync | raw publish/s | ledger append/s | ratio |")
		fmt.Fprintln(stdout, "|---|---:|---:|---:|")
		for _, always := range []bool{false, true} {
			n := *single
			if always {
				n /= 5
			}
			raw, led, err := benchSingle(ctx, n, always)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "| %s | %.0f | %.0f | %.2f |\n", syncName(always), raw, led, led/raw)
		}
		fmt.Fprintln(stdout)
	}
	if run("bulk") {
		fmt.Fprintf(stdout, "### Bulk import of %d events (JSON Lines, atomic batches of 1000, sync always)\n\n", *bulk)
		raw, led, err := benchBulk(ctx, *bulk)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, "| raw PublishMsgBatch events/s | ledger import events/s | ratio |")
		fmt.Fprintln(stdout, "|---:|---:|---:|")
		fmt.Fprintf(stdout, "| %.0f | %.0f | %.2f |\n\n", raw, led, led/raw)
	}
	if run("http") {
		fmt.Fprintf(stdout, "### HTTP appends on loopback, sync always, %.0fs each\n\n", *seconds)
		fmt.Fprintln(stdout, "| clients | raw publish/s | raw p50 | raw p99 | HTTP append/s | p50 | p99 | ratio |")
		fmt.Fprintln(stdout, "|---:|---:|---:|---:|---:|---:|---:|---:|")
		for _, c := range cs {
			raw, led, err := benchHTTP(ctx, c, time.Duration(*seconds*float64(time.Second)))
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "| %d | %.0f | %s | %s | %.0f | %s | %s | %.2f |\n", c, raw.rate, ms(raw.p50), ms(raw.p99), led.rate, ms(led.p50), ms(led.p99), led.rate/raw.rate)
		}
		fmt.Fprintln(stdout)
	}
	if run("batch") {
		fmt.Fprintln(stdout, "### The raw engine's cost of a write, sync always: plain publish against atomic batches of growing size")
		fmt.Fprintln(stdout)
		fmt.Fprintln(stdout, "| messages per write | ms per write | events/s |")
		fmt.Fprintln(stdout, "|---:|---:|---:|")
		for _, size := range []int{1, 8, 64, 1000} {
			ms, rate, err := benchBatchSize(ctx, size)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "| %d | %.2f | %.0f |\n", size, ms, rate)
		}
		fmt.Fprintln(stdout)
	}
	if run("hash") {
		seal, enc, led, err := benchHash(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, "### Cost of the hash chain (sealing an event: canonical encoding + SHA-256, against encoding alone)")
		fmt.Fprintln(stdout)
		fmt.Fprintln(stdout, "| encode µs | seal µs | hashing µs | ledger append µs (sync interval) | hashing share of an append |")
		fmt.Fprintln(stdout, "|---:|---:|---:|---:|---:|")
		fmt.Fprintf(stdout, "| %.2f | %.2f | %.2f | %.1f | %.1f%% |\n\n", enc, seal, seal-enc, led, 100*(seal-enc)/led)
	}
	if run("verify") && *verifyN > 0 {
		raw, ver, err := benchVerify(ctx, *verifyN)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "### Verification of %d events (hash chains and Merkle tree) against a raw replay of the same stream\n\n", *verifyN)
		fmt.Fprintln(stdout, "| raw replay events/s | verify events/s | ratio |")
		fmt.Fprintln(stdout, "|---:|---:|---:|")
		fmt.Fprintf(stdout, "| %.0f | %.0f | %.2f |\n\n", raw, ver, ver/raw)
	}
	if run("memory") && *memEvents > 0 {
		rest, after, rate, err := benchMemory(ctx, *memEvents)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "### Memory of `ledger serve` (resident set size)\n\n")
		fmt.Fprintln(stdout, "| at rest | after importing | events | import rate over HTTP |")
		fmt.Fprintln(stdout, "|---:|---:|---:|---:|")
		fmt.Fprintf(stdout, "| %.1f MiB | %.1f MiB | %d | %.0f events/s |\n\n", rest, after, *memEvents, rate)
	}
	return nil
}

func syncName(always bool) string {
	if always {
		return "always"
	}
	return "interval (server default)"
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

// benchEnv is an embedded server in a temporary directory.
type benchEnv struct {
	srv *server.Server
	nc  *nats.Conn
	js  jetstream.JetStream
	dir string
}

func newBenchEnv(always bool) (*benchEnv, error) {
	dir, err := os.MkdirTemp("", "lexbench-")
	if err != nil {
		return nil, err
	}
	srv, err := natsjs.StartEmbedded(natsjs.EmbeddedOptions{Dir: dir, Port: -1, SyncAlways: always})
	if err != nil {
		return nil, err
	}
	nc, err := nats.Connect("", nats.InProcessServer(srv))
	if err != nil {
		return nil, err
	}
	js, _ := jetstream.New(nc)
	return &benchEnv{srv: srv, nc: nc, js: js, dir: dir}, nil
}

func (b *benchEnv) close() {
	b.nc.Close()
	b.srv.Shutdown()
	b.srv.WaitForShutdown()
	os.RemoveAll(b.dir)
}

// rawStream creates the raw engine's stream, configured as the ledger's.
func (b *benchEnv) rawStream(ctx context.Context) error {
	cfg := natsjs.Config{Stream: "RAW", Prefix: "raw"}.StreamConfig()
	_, err := b.js.CreateStream(ctx, cfg)
	return err
}

var payload400 = bytes.Repeat([]byte("x"), 400)

// setupAct records an act that can take amendments, and returns the command
// template of one amendment.
func setupAct(ctx context.Context, l *ledger.Ledger, act string) (func() ledger.Command, error) {
	for _, s := range []string{
		`{"act":"%s","type":"drafted","date":"2001-01-10","body":{"title":"Benchmark law","kind":"law"}}`,
		`{"act":"%s","type":"adopted","date":"2001-03-01"}`,
		`{"act":"%s","type":"signed","date":"2001-03-15"}`,
	} {
		e, err := events.Decode([]byte(fmt.Sprintf(s, act)))
		if err != nil {
			return nil, err
		}
		if _, err := l.Append(ctx, "bench", ledger.Command{Event: e}); err != nil {
			return nil, err
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

// benchRounds is how many alternating rounds of raw and ledger work a
// measurement takes; the median round is reported, so that a burst of
// other work on the machine does not decide a ratio.
const benchRounds = 5

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func benchSingle(ctx context.Context, n int, always bool) (raw, led float64, err error) {
	env, err := newBenchEnv(always)
	if err != nil {
		return 0, 0, err
	}
	defer env.close()
	if err := env.rawStream(ctx); err != nil {
		return 0, 0, err
	}
	store, err := natsjs.Open(ctx, env.nc, natsjs.Config{})
	if err != nil {
		return 0, 0, err
	}
	l := ledger.New(store, ledger.Options{})
	defer l.Close()
	next, err := setupAct(ctx, l, "/akn/kz/act/2001-01-10/1")
	if err != nil {
		return 0, 0, err
	}
	per := max(n/benchRounds, 1)
	var raws, leds []float64
	var last uint64
	for r := 0; r < benchRounds; r++ {
		start := time.Now()
		for i := 0; i < per; i++ {
			ack, err := env.js.Publish(ctx, "raw.a", payload400, jetstream.WithExpectLastSequencePerSubject(last))
			if err != nil {
				return 0, 0, err
			}
			last = ack.Sequence
		}
		raws = append(raws, float64(per)/time.Since(start).Seconds())
		start = time.Now()
		for i := 0; i < per; i++ {
			if _, err := l.Append(ctx, "bench", next()); err != nil {
				return 0, 0, err
			}
		}
		leds = append(leds, float64(per)/time.Since(start).Seconds())
	}
	return median(raws), median(leds), nil
}

func benchBulk(ctx context.Context, n int) (raw, led float64, err error) {
	env, err := newBenchEnv(true)
	if err != nil {
		return 0, 0, err
	}
	defer env.close()
	if err := env.rawStream(ctx); err != nil {
		return 0, 0, err
	}
	start := time.Now()
	for done := 0; done < n; done += 1000 {
		msgs := make([]*nats.Msg, 0, 1000)
		for i := done; i < done+1000 && i < n; i++ {
			m := nats.NewMsg("raw." + strconv.Itoa(i/10))
			m.Data = payload400
			msgs = append(msgs, m)
		}
		if _, err := jetstreamext.PublishMsgBatch(ctx, env.js, msgs, jetstreamext.BatchFlowControl{AckFirst: false}); err != nil {
			return 0, 0, err
		}
	}
	raw = float64(n) / time.Since(start).Seconds()

	var corpus bytes.Buffer
	if err := genCorpus(&corpus, n); err != nil {
		return 0, 0, err
	}
	store, err := natsjs.Open(ctx, env.nc, natsjs.Config{})
	if err != nil {
		return 0, 0, err
	}
	l := ledger.New(store, ledger.Options{})
	defer l.Close()
	start = time.Now()
	st, err := importLines(ctx, &corpus, ledger.DefaultMaxBatch, func(ctx context.Context, cmds []ledger.Command) ([]ledger.Receipt, error) {
		return l.AppendAtomic(ctx, "bench", cmds)
	}, func(int64) {})
	if err != nil {
		return 0, 0, err
	}
	led = float64(st.sent) / time.Since(start).Seconds()
	return raw, led, nil
}

type loadResult struct {
	rate     float64
	p50, p99 time.Duration
}

// drive runs c workers calling op until d has passed, and sums them up.
func drive(c int, d time.Duration, op func(worker, i int) error) (loadResult, error) {
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
			for i := 0; time.Now().Before(deadline); i++ {
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
	if firstErr != nil {
		return loadResult{}, firstErr
	}
	slices.Sort(lat)
	if len(lat) == 0 {
		return loadResult{}, fmt.Errorf("no operation completed")
	}
	return loadResult{rate: float64(len(lat)) / elapsed.Seconds(), p50: lat[len(lat)/2], p99: lat[len(lat)*99/100]}, nil
}

func benchHTTP(ctx context.Context, c int, d time.Duration) (raw, led loadResult, err error) {
	env, err := newBenchEnv(true)
	if err != nil {
		return raw, led, err
	}
	defer env.close()
	if err := env.rawStream(ctx); err != nil {
		return raw, led, err
	}
	lasts := make([]uint64, c)
	raw, err = drive(c, d, func(w, i int) error {
		ack, err := env.js.Publish(ctx, "raw."+strconv.Itoa(w), payload400, jetstream.WithExpectLastSequencePerSubject(lasts[w]))
		if err == nil {
			lasts[w] = ack.Sequence
		}
		return err
	})
	if err != nil {
		return raw, led, err
	}

	store, err := natsjs.Open(ctx, env.nc, natsjs.Config{})
	if err != nil {
		return raw, led, err
	}
	l := ledger.New(store, ledger.Options{})
	defer l.Close()
	bodies := make([][]byte, c)
	for w := 0; w < c; w++ {
		next, err := setupAct(ctx, l, fmt.Sprintf("/akn/kz/act/2001-01-10/%d", w+1))
		if err != nil {
			return raw, led, err
		}
		cmd := next()
		cmd.Event.ID = events.ID{}
		b, _ := ledger.EncodeCommand(cmd)
		// Without an id, the ledger gives each request a new one.
		bodies[w] = bytes.Replace(b, []byte(`"id":"00000000000000000000000000",`), nil, 1)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return raw, led, err
	}
	hs := &http.Server{Handler: (&httpapi.Server{Ledger: l}).Handler()}
	go hs.Serve(ln)
	defer hs.Close()
	url := "http://" + ln.Addr().String() + "/v1/events"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c + 8, MaxConnsPerHost: c + 8}}
	led, err = drive(c, d, func(w, i int) error {
		resp, err := client.Post(url, "application/json", bytes.NewReader(bodies[w]))
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("HTTP append: %s", resp.Status)
		}
		return nil
	})
	return raw, led, err
}

// benchMemory starts this program as `ledger serve`, imports n events into
// it over HTTP, and reads its resident set size before and after.
func benchMemory(ctx context.Context, n int) (rest, after, rate float64, err error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, 0, 0, err
	}
	dir, err := os.MkdirTemp("", "lexbench-mem-")
	if err != nil {
		return 0, 0, 0, err
	}
	defer os.RemoveAll(dir)
	httpPort, natsPort := freePort(), freePort()
	cmd := exec.CommandContext(ctx, exe, "serve", "--data", dir+"/data", "--http", "127.0.0.1:"+strconv.Itoa(httpPort), "--nats-port", strconv.Itoa(natsPort))
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return 0, 0, 0, err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	base := "http://127.0.0.1:" + strconv.Itoa(httpPort)
	for i := 0; ; i++ {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if i > 100 {
			return 0, 0, 0, fmt.Errorf("ledger serve did not start")
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second)
	rest = rssMiB(cmd.Process.Pid)
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(genCorpus(pw, n)) }()
	c := cli.NewClient(base)
	start := time.Now()
	st, err := importLines(ctx, pr, ledger.DefaultMaxBatch, func(ctx context.Context, cmds []ledger.Command) ([]ledger.Receipt, error) {
		body, err := encodeBatch(cmds)
		if err != nil {
			return nil, err
		}
		var rs []ledger.Receipt
		return rs, c.Do(ctx, "POST", "/v1/events", body, &rs)
	}, func(int64) {})
	if err != nil {
		return 0, 0, 0, err
	}
	rate = float64(st.sent) / time.Since(start).Seconds()
	after = rssMiB(cmd.Process.Pid)
	return rest, after, rate, nil
}

func rssMiB(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return -1
}

func freePort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// benchHash measures sealing (canonical encoding and SHA-256) against
// encoding alone, and a single append through the ledger, in one run.
func benchHash(ctx context.Context) (sealUS, encUS, appendUS float64, err error) {
	var corpus bytes.Buffer
	genCorpus(&corpus, 10)
	line, _ := corpus.ReadBytes('\n')
	e, err := events.Decode(bytes.TrimSpace(line))
	if err != nil {
		return 0, 0, 0, err
	}
	e.Schema, e.RecordedBy, e.RecordedAt = events.SchemaVersion, "bench", time.Now()
	const n = 200000
	start := time.Now()
	for i := 0; i < n; i++ {
		events.Encode(&e)
	}
	encUS = float64(time.Since(start).Microseconds()) / n
	start = time.Now()
	for i := 0; i < n; i++ {
		c := e
		c.Seal()
	}
	sealUS = float64(time.Since(start).Microseconds()) / n
	_, led, err := benchSingle(ctx, 5000, false)
	if err != nil {
		return 0, 0, 0, err
	}
	return sealUS, encUS, 1e6 / led, nil
}

// benchVerify imports n generated events, then replays the stream raw and
// with verification, alternately, and reports the median rates.
func benchVerify(ctx context.Context, n int) (raw, ver float64, err error) {
	env, err := newBenchEnv(false)
	if err != nil {
		return 0, 0, err
	}
	defer env.close()
	store, err := natsjs.Open(ctx, env.nc, natsjs.Config{})
	if err != nil {
		return 0, 0, err
	}
	l := ledger.New(store, ledger.Options{})
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(genCorpus(pw, n)) }()
	if _, err := importLines(ctx, pr, ledger.DefaultMaxBatch, func(ctx context.Context, cmds []ledger.Command) ([]ledger.Receipt, error) {
		return l.AppendAtomic(ctx, "bench", cmds)
	}, func(int64) {}); err != nil {
		return 0, 0, err
	}
	l.Close()
	var raws, vers []float64
	for r := 0; r < 3; r++ {
		start := time.Now()
		count := 0
		for _, err := range store.ReadRaw(ctx) {
			if err != nil {
				return 0, 0, err
			}
			count++
		}
		raws = append(raws, float64(count)/time.Since(start).Seconds())
		start = time.Now()
		v := audit.NewVerifier(nil)
		for m, err := range store.ReadRaw(ctx) {
			if err != nil {
				return 0, 0, err
			}
			v.AddRaw(m.Seq, m.Act, m.Data)
		}
		if rep := v.Report(); !rep.OK || rep.Events != uint64(n) {
			return 0, 0, fmt.Errorf("verification of the benchmark's stream failed: %+v", rep.Failures[:min(3, len(rep.Failures))])
		}
		vers = append(vers, float64(n)/time.Since(start).Seconds())
	}
	return median(raws), median(vers), nil
}

// benchBatchSize measures the raw engine writing batches of size messages
// (1: a plain publish) with sync always.
func benchBatchSize(ctx context.Context, size int) (msPerWrite, rate float64, err error) {
	env, err := newBenchEnv(true)
	if err != nil {
		return 0, 0, err
	}
	defer env.close()
	if err := env.rawStream(ctx); err != nil {
		return 0, 0, err
	}
	writes := max(20, 4000/size)
	start := time.Now()
	for w := 0; w < writes; w++ {
		if size == 1 {
			if _, err := env.js.Publish(ctx, "raw.one", payload400); err != nil {
				return 0, 0, err
			}
			continue
		}
		msgs := make([]*nats.Msg, size)
		for i := range msgs {
			msgs[i] = nats.NewMsg("raw." + strconv.Itoa(i))
			msgs[i].Data = payload400
		}
		if _, err := jetstreamext.PublishMsgBatch(ctx, env.js, msgs, jetstreamext.BatchFlowControl{AckFirst: false}); err != nil {
			return 0, 0, err
		}
	}
	el := time.Since(start)
	return float64(el.Microseconds()) / 1000 / float64(writes), float64(writes*size) / el.Seconds(), nil
}
