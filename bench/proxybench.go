package bench

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultProxyClients is the load of the proxy part: the 32
// concurrent HTTP clients.
const DefaultProxyClients = 32

// proxyRounds is how many alternating rounds of the three targets the
// proxy part takes; the median round of each is reported, with the range.
const proxyRounds = 3

// ProxyRow is one sync mode of the proxy part: the same load generator,
// in this process, driving three processes of their own in turn.
type ProxyRow struct {
	Always      bool
	Clients     int
	Proxy       ProxyLoad // `ledger bench-proxy`: decode, publish with expected sequence, answer
	Serve       ProxyLoad // `ledger serve`, projector in process
	NoProjector ProxyLoad // `ledger serve --projector=false`
}

// ProxyLoad is what proxyRounds loads of one target gave.
type ProxyLoad struct {
	Rate, Min, Max float64       // appends/s: median, lowest and highest round
	CPU            time.Duration // the target process's CPU time an append, median round; 0 when unknown
	P50, P99       time.Duration // of the median round
}

// target is a process serving POST /v1/events on loopback.
type target struct {
	name   string
	cmd    *exec.Cmd
	url    string
	exited chan struct{} // closed when the process has ended
}

// startTarget starts exe with args (which must make it listen on addr) and
// waits until GET /healthz answers.
func startTarget(ctx context.Context, name, exe, addr string, args ...string) (*target, error) {
	cmd := exec.Command(exe, args...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	t := &target{name: name, cmd: cmd, url: "http://" + addr + "/v1/events", exited: make(chan struct{})}
	go func() { cmd.Wait(); close(t.exited) }()
	for start := time.Now(); ; {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return t, nil
			}
		}
		select {
		case <-t.exited:
			return nil, fmt.Errorf("%s exited before it served (%s %s)", name, exe, strings.Join(args, " "))
		case <-ctx.Done():
			t.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Since(start) > 60*time.Second {
			t.stop()
			return nil, fmt.Errorf("%s did not answer on %s within a minute", name, addr)
		}
	}
}

// stop interrupts the process, and kills it if it has not ended in 10 s.
func (t *target) stop() {
	t.cmd.Process.Signal(os.Interrupt)
	select {
	case <-t.exited:
	case <-time.After(10 * time.Second):
		t.cmd.Process.Kill()
		<-t.exited
	}
}

// cpuTime is the CPU time (user and system) the process pid has used, read
// from /proc; 0 where there is no /proc.
func cpuTime(pid int) time.Duration {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces: count fields
	// after its closing parenthesis. utime and stime are fields 14 and 15
	// of the line, 12 and 13 after it, in clock ticks of 10 ms.
	i := bytes.LastIndexByte(data, ')')
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * 10 * time.Millisecond
}

// waitQuiet waits until none of the targets uses more than a tenth of a
// core over 200 ms (a projector catching up after the last load), at most
// 15 s.
func waitQuiet(ctx context.Context, ts []*target) {
	for start := time.Now(); time.Since(start) < 15*time.Second && ctx.Err() == nil; {
		before := make([]time.Duration, len(ts))
		for i, t := range ts {
			before[i] = cpuTime(t.cmd.Process.Pid)
		}
		time.Sleep(200 * time.Millisecond)
		busy := false
		for i, t := range ts {
			if cpuTime(t.cmd.Process.Pid)-before[i] > 20*time.Millisecond {
				busy = true
			}
		}
		if !busy {
			return
		}
	}
}

// measureProxy starts the proxy, `ledger serve` and `ledger serve
// --projector=false` as processes of their own (cfg.Exe), each on a fresh
// embedded server in the sync mode given, sets up one act a client on
// each over HTTP, and drives each in turn with cfg.ProxyClients clients
// appending amendments, for cfg.Duration, in proxyRounds alternating
// rounds.
func measureProxy(ctx context.Context, cfg *Config, pr *progress, always bool) (ProxyRow, error) {
	row := ProxyRow{Always: always, Clients: cfg.ProxyClients}
	if cfg.Exe == "" {
		return row, fmt.Errorf("no ledger binary to start")
	}
	dir, err := os.MkdirTemp(cfg.Dir, "lexbench-proxy-")
	if err != nil {
		return row, err
	}
	defer os.RemoveAll(dir)
	sync := syncName(always)
	serveArgs := func(name string, projector bool, addr string) []string {
		return []string{"serve", "--data", filepath.Join(dir, name), "--http", addr, "--nats-port", "-1", "--sync", sync,
			"--projector=" + strconv.FormatBool(projector), "--checkpoint-key", filepath.Join(dir, "checkpoint.nk")}
	}
	pr.step(fmt.Sprintf("proxy, ledger serve and ledger serve --projector=false as processes, sync %s", sync))
	var ts []*target
	defer func() {
		for _, t := range ts {
			t.stop()
		}
	}()
	for _, spec := range []struct {
		name string
		args func(addr string) []string
	}{
		{"ledger bench-proxy", func(addr string) []string {
			return []string{"bench-proxy", "--data", filepath.Join(dir, "proxy"), "--http", addr, "--sync", sync}
		}},
		{"ledger serve", func(addr string) []string { return serveArgs("serve", true, addr) }},
		{"ledger serve --projector=false", func(addr string) []string { return serveArgs("bare", false, addr) }},
	} {
		addr := "127.0.0.1:" + strconv.Itoa(freePort())
		t, err := startTarget(ctx, spec.name, cfg.Exe, addr, spec.args(addr)...)
		if err != nil {
			return row, err
		}
		ts = append(ts, t)
	}

	c := cfg.ProxyClients
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c + 8, MaxConnsPerHost: c + 8}}
	defer client.CloseIdleConnections()
	bodies := make([][]byte, c)
	for w := range bodies {
		act := benchAct(100 + w)
		bodies[w] = []byte(fmt.Sprintf(`{"event":{"act":"%s","type":"amended","date":"2005-06-10","effective_from":"2005-07-01","instrument":"/akn/kz/act/2005-06-01/1","provisions":["art_7"],"body":{"effect":"substitution","texts":{"art_7":"Article 7 as amended: the court shall hear the case within a reasonable time, and the parties shall be heard."}}}}`, act))
		for _, t := range ts {
			for _, s := range []string{
				`{"event":{"act":"%s","type":"drafted","date":"2003-01-10","body":{"title":"Benchmark law","kind":"law"}}}`,
				`{"event":{"act":"%s","type":"adopted","date":"2003-02-01"}}`,
				`{"event":{"act":"%s","type":"signed","date":"2003-02-10"}}`,
			} {
				if _, err := postEvent(ctx, client, t.url, []byte(fmt.Sprintf(s, act))); err != nil {
					return row, fmt.Errorf("%s: set up act %s: %w", t.name, act, err)
				}
			}
		}
	}

	type round struct {
		load Load
		cpu  time.Duration
	}
	rounds := make([][]round, len(ts))
	for r := 0; r < proxyRounds; r++ {
		for i, t := range ts {
			pr.step(fmt.Sprintf("%s, %d clients, round %d of %d", t.name, c, r+1, proxyRounds))
			waitQuiet(ctx, ts)
			cpu0 := cpuTime(t.cmd.Process.Pid)
			l, err := drive(ctx, c, cfg.Duration, func(w, i int) error {
				_, err := postEvent(ctx, client, t.url, bodies[w])
				return err
			})
			if err != nil {
				return row, fmt.Errorf("%s, %d clients: %w", t.name, c, err)
			}
			rounds[i] = append(rounds[i], round{l, (cpuTime(t.cmd.Process.Pid) - cpu0) / time.Duration(l.Ops)})
		}
	}
	sum := func(rs []round) ProxyLoad {
		s := slices.Clone(rs)
		slices.SortFunc(s, func(a, b round) int { return cmp.Compare(a.load.Rate, b.load.Rate) })
		m := s[len(s)/2]
		return ProxyLoad{Rate: m.load.Rate, Min: s[0].load.Rate, Max: s[len(s)-1].load.Rate, CPU: m.cpu, P50: m.load.P50, P99: m.load.P99}
	}
	row.Proxy, row.Serve, row.NoProjector = sum(rounds[0]), sum(rounds[1]), sum(rounds[2])
	return row, nil
}
