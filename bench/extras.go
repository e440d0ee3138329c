package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/internal/cli"
	"github.com/lexledger/lexledger/internal/loopback"
	"github.com/lexledger/lexledger/ledger"
	"github.com/nats-io/nats.go"
	"github.com/synadia-io/orbit.go/jetstreamext"
)

// BatchRow is the raw engine writing batches of one size, sync always.
type BatchRow struct {
	Size      int // messages per write; 1 is a plain publish
	MsPerOp   float64
	PerSecond float64 // messages
}

// measureBatch measures the raw engine's cost of a write with sync always:
// a plain publish against atomic batches of growing size, each size for
// up to 4000 messages or d (at least three writes).
func measureBatch(ctx context.Context, dir string, d time.Duration) ([]BatchRow, error) {
	e, err := newEnv(ctx, dir, true)
	if err != nil {
		return nil, err
	}
	defer e.close()
	var rows []BatchRow
	for _, size := range []int{1, 8, 64, 1000} {
		writes := 0
		start := time.Now()
		for w := 0; w < max(20, 4000/size) && (w < 3 || time.Since(start) < d); w++ {
			writes++
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if size == 1 {
				if _, err := e.js.Publish(ctx, rawPrefix+".one", payload400); err != nil {
					return nil, err
				}
				continue
			}
			msgs := make([]*nats.Msg, size)
			for i := range msgs {
				msgs[i] = nats.NewMsg(rawPrefix + ".w." + strconv.Itoa(i))
				msgs[i].Data = payload400
			}
			if _, err := jetstreamext.PublishMsgBatch(ctx, e.js, msgs, jetstreamext.BatchFlowControl{AckFirst: false}); err != nil {
				return nil, err
			}
		}
		el := time.Since(start)
		rows = append(rows, BatchRow{Size: size, MsPerOp: float64(el.Microseconds()) / 1000 / float64(writes), PerSecond: float64(writes*size) / el.Seconds()})
	}
	return rows, nil
}

// Hash is the cost of sealing an event (canonical encoding and SHA-256)
// against encoding alone and against a whole append.
type Hash struct {
	EncodeUS, SealUS, AppendUS float64
}

// measureHash times encoding and sealing a generated event, and a single
// append with the server's default sync.
func measureHash(ctx context.Context, cfg *Config) (*Hash, error) {
	var load bytes.Buffer
	if err := Generate(&load, 10); err != nil {
		return nil, err
	}
	line, _ := load.ReadBytes('\n')
	ev, err := events.Decode(bytes.TrimSpace(line))
	if err != nil {
		return nil, err
	}
	ev.Schema, ev.RecordedBy, ev.RecordedAt = events.SchemaVersion, "bench", time.Now()
	n := max(1000, 40*cfg.Singles) // 200,000 at the default
	start := time.Now()
	for i := 0; i < n; i++ {
		events.Encode(&ev)
	}
	h := &Hash{EncodeUS: float64(time.Since(start).Microseconds()) / float64(n)}
	start = time.Now()
	for i := 0; i < n; i++ {
		c := ev
		c.Seal()
	}
	h.SealUS = float64(time.Since(start).Microseconds()) / float64(n)
	e, err := newEnv(ctx, cfg.Dir, false)
	if err != nil {
		return nil, err
	}
	defer e.close()
	l := ledger.New(e.store, ledger.Options{})
	defer l.Close()
	r, err := measureSingle(ctx, e, l, cfg.Singles, false)
	if err != nil {
		return nil, err
	}
	h.AppendUS = 1e6 / r.Ledger
	return h, nil
}

// Memory is the resident set size of a real `ledger serve`, and of the
// minimal HTTP-to-JetStream proxy (`ledger bench-proxy`) that received the
// same import: the raw engine's memory for the same messages.
type Memory struct {
	Events int
	Ledger MemoryOf // `ledger serve`, projector in process, at its default --memory-limit (auto)
	Proxy  MemoryOf // `ledger bench-proxy`: the embedded server and a bare HTTP front, at Go's default
	// ProxyAuto is the same proxy with the memory limit that `ledger
	// serve` sets by default (--memory-limit auto): the raw engine held to
	// the same rule.
	ProxyAuto MemoryOf
}

// MemoryOf is one process's memory before and after the import.
type MemoryOf struct {
	RestMiB, AfterMiB float64
	// HeapMiB is the child's live heap after the import, right after a
	// garbage collection (runtime.MemStats.HeapAlloc): the part of the
	// resident set that the process holds on to, rather than memory the
	// Go runtime keeps from earlier garbage.
	HeapMiB    float64
	ImportRate float64 // events/s over HTTP
	// IdleMiB and IdleHeapMiB are the same figures after Config.MemoryIdle
	// without work: the server lets go of the blocks it no longer uses
	// (10 s), the Go runtime returns freed memory to the system.
	IdleMiB, IdleHeapMiB float64
}

// DefaultMemoryIdle is the default of Config.MemoryIdle.
const DefaultMemoryIdle = 30 * time.Second

// memoryIdle is c.MemoryIdle, or its default.
func (c *Config) memoryIdle() time.Duration {
	if c.MemoryIdle > 0 {
		return c.MemoryIdle
	}
	return DefaultMemoryIdle
}

// measureMemory imports cfg.Memory generated events over HTTP into three
// processes of cfg.Exe in turn, each with its embedded server in sync
// always: `ledger bench-proxy`, the raw engine behind a bare HTTP front
// (each import batch one atomic batch), at Go's default collector and then
// with `ledger serve`'s default memory limit, then `ledger serve` with its
// projector in process. It reads each one's resident set size before and
// after, and its live heap after.
func measureMemory(ctx context.Context, cfg *Config, pr *progress) (*Memory, error) {
	if cfg.Exe == "" {
		return nil, fmt.Errorf("no ledger binary to start")
	}
	dir, err := os.MkdirTemp(cfg.Dir, "lexbench-mem-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	m := &Memory{Events: cfg.Memory}
	for _, proxy := range []struct {
		limit string
		into  *MemoryOf
	}{{"off", &m.Proxy}, {"auto", &m.ProxyAuto}} {
		name := "ledger bench-proxy"
		if proxy.limit != "off" {
			name += " --memory-limit " + proxy.limit
		}
		port, pprofPort := freePort(), freePort()
		*proxy.into, err = memoryOf(ctx, cfg, pr, name, port, pprofPort, "", "bench-proxy", "--data", dir+"/proxy-"+proxy.limit,
			"--http", "127.0.0.1:"+strconv.Itoa(port), "--sync", "always", "--pprof", "127.0.0.1:"+strconv.Itoa(pprofPort), "--memory-limit", proxy.limit)
		if err != nil {
			return nil, err
		}
	}
	httpPort, natsPort, pprofPort := freePort(), freePort(), freePort()
	m.Ledger, err = memoryOf(ctx, cfg, pr, "ledger serve", httpPort, pprofPort, cfg.MemProfile, "serve", "--data", dir+"/data",
		"--http", "127.0.0.1:"+strconv.Itoa(httpPort), "--nats-port", strconv.Itoa(natsPort),
		"--checkpoint-key", dir+"/checkpoint.nk", // a key of its own, removed with dir
		"--pprof", "127.0.0.1:"+strconv.Itoa(pprofPort)) // the live heap, read after the import
	if err != nil {
		return nil, err
	}
	return m, nil
}

// memoryOf starts cfg.Exe with args, serving HTTP on httpPort and Go's
// profiles on pprofPort, imports cfg.Memory generated events into it over
// HTTP, measures it, and stops it.
func memoryOf(ctx context.Context, cfg *Config, pr *progress, name string, httpPort, pprofPort int, profile string, args ...string) (MemoryOf, error) {
	var m MemoryOf
	pr.step(fmt.Sprintf("memory of %s, %d events imported over HTTP", name, cfg.Memory))
	addr := "127.0.0.1:" + strconv.Itoa(httpPort)
	t, err := startTarget(ctx, name, cfg.Exe, addr, args...)
	if err != nil {
		return m, err
	}
	defer t.stop()
	time.Sleep(time.Second)
	pid := t.cmd.Process.Pid
	m.RestMiB = rssMiB(pid)
	rd, wr := io.Pipe()
	go func() { wr.CloseWithError(cfg.generate(ctx, wr, cfg.Memory)) }()
	c := cli.NewClient("http://" + addr)
	start := time.Now()
	sent, err := cfg.Import(ctx, rd, func(ctx context.Context, cmds []ledger.Command) ([]ledger.Receipt, error) {
		body, err := ledger.EncodeCommands(cmds)
		if err != nil {
			return nil, err
		}
		var rs []ledger.Receipt
		return rs, c.Do(ctx, "POST", "/v1/events", body, &rs)
	}, func(int64) {})
	if err != nil {
		return m, fmt.Errorf("import into %s: %w", name, err)
	}
	m.ImportRate = float64(sent) / time.Since(start).Seconds()
	m.AfterMiB = rssMiB(pid)
	pprofBase := "http://127.0.0.1:" + strconv.Itoa(pprofPort)
	if m.HeapMiB, err = childHeap(ctx, pprofBase, profile); err != nil {
		return m, fmt.Errorf("%s: %w", name, err)
	}
	pr.step(fmt.Sprintf("%s: %.0f MiB resident after the import; idle for %s", name, m.AfterMiB, cfg.memoryIdle()))
	select {
	case <-ctx.Done():
		return m, ctx.Err()
	case <-time.After(cfg.memoryIdle()):
	}
	m.IdleMiB = rssMiB(pid)
	idleProfile := ""
	if profile != "" {
		idleProfile = profile + ".idle"
	}
	if m.IdleHeapMiB, err = childHeap(ctx, pprofBase, idleProfile); err != nil {
		return m, fmt.Errorf("%s: %w", name, err)
	}
	return m, nil
}

// childHeap has the child at base (net/http/pprof) collect its garbage and
// returns its live heap in MiB, writing the heap profile to file when one
// is named (for go tool pprof -sample_index=inuse_space).
func childHeap(ctx context.Context, base, file string) (float64, error) {
	get := func(path string) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, "GET", base+path, nil)
		if err != nil {
			return nil, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s: %s", path, resp.Status)
		}
		return io.ReadAll(resp.Body)
	}
	// gc=1 collects first, so that the profile and the figures below it
	// show what is live rather than garbage not yet collected.
	prof, err := get("/debug/pprof/heap?gc=1")
	if err != nil {
		return -1, fmt.Errorf("heap profile of ledger serve: %w", err)
	}
	if file != "" {
		if err := os.WriteFile(file, prof, 0o644); err != nil {
			return -1, err
		}
	}
	// The statistics are read right after a collection of their own: the
	// process goes on working (its projector catches up) meanwhile.
	text, err := get("/debug/pprof/heap?debug=1&gc=1")
	if err != nil {
		return -1, fmt.Errorf("heap statistics of ledger serve: %w", err)
	}
	for _, line := range strings.Split(string(text), "\n") {
		if v, ok := strings.CutPrefix(line, "# HeapAlloc = "); ok {
			b, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				return -1, fmt.Errorf("heap statistics of ledger serve: %q: %w", line, err)
			}
			return b / (1 << 20), nil
		}
	}
	return -1, fmt.Errorf("heap statistics of ledger serve: no HeapAlloc")
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
	p, err := loopback.Port()
	if err != nil {
		return 0
	}
	return p
}
