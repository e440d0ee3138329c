// Package testkit holds what the end-to-end tests of several packages
// share: free loopback ports, child processes and their output, the
// binaries they run, the nodes of a nats-server cluster on loopback
// (their configuration, start, kill, pause and /jsz), and readers of a
// ledger's and a projector's HTTP answers.
package testkit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/internal/loopback"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/projector"
)

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago and
// that the kernel will not hand to a ":0" listener or an outgoing
// connection meanwhile (see package loopback).
func FreePort(tb testing.TB) int {
	tb.Helper()
	p, err := loopback.Port()
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// SyncBuffer is a bytes.Buffer safe for the writes of several goroutines.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Proc is a child process of a test, killed when the test ends if it still
// runs. Out holds its standard output and error.
type Proc struct {
	Name   string
	Cmd    *exec.Cmd
	Out    *SyncBuffer
	Exited chan struct{} // closed when the process has ended
	Err    error         // what Wait returned, once Exited is closed
}

// StartProc starts bin with args.
func StartProc(tb testing.TB, bin string, args ...string) *Proc {
	tb.Helper()
	p := &Proc{Name: filepath.Base(bin) + " " + args[0], Cmd: exec.Command(bin, args...), Out: &SyncBuffer{}, Exited: make(chan struct{})}
	p.Cmd.Stdout, p.Cmd.Stderr = p.Out, p.Out
	if err := p.Cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() { p.Err = p.Cmd.Wait(); close(p.Exited) }()
	tb.Cleanup(func() { p.Kill(tb) })
	return p
}

// Kill sends SIGKILL and waits for the process to end.
func (p *Proc) Kill(tb testing.TB) {
	if !p.Running() {
		return
	}
	p.Cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-p.Exited:
	case <-time.After(10 * time.Second):
		tb.Errorf("%s did not die within 10s of SIGKILL", p.Name)
	}
}

// Terminate sends SIGTERM and waits for a clean exit.
func (p *Proc) Terminate(tb testing.TB) {
	tb.Helper()
	p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.Exited:
		if p.Err != nil {
			tb.Fatalf("%s exited with %v after SIGTERM\n%s", p.Name, p.Err, p.Out)
		}
	case <-time.After(30 * time.Second):
		tb.Fatalf("%s did not stop within 30s of SIGTERM\n%s", p.Name, p.Out)
	}
}

// Running reports whether the process has not ended yet.
func (p *Proc) Running() bool {
	select {
	case <-p.Exited:
		return false
	default:
		return true
	}
}

// History reads an act's whole history from a ledger's HTTP API at base,
// following its pages. It returns the answer's status; the history is
// decoded when it is 200.
func History(base string, act events.ActID) (ledger.HistoryJSON, int, error) {
	c := &http.Client{Timeout: 30 * time.Second}
	var all ledger.HistoryJSON
	cursor := ""
	for {
		u := base + "/v1/history?limit=1000&act=" + url.QueryEscape(string(act))
		if cursor != "" {
			u += "&cursor=" + url.QueryEscape(cursor)
		}
		h, status, err := historyPage(c, u)
		if err != nil || status != http.StatusOK {
			return all, status, err
		}
		all.Act, all.Version = h.Act, h.Version
		all.Events = append(all.Events, h.Events...)
		all.Defects = append(all.Defects, h.Defects...)
		if cursor = h.NextCursor; cursor == "" {
			return all, status, nil
		}
	}
}

func historyPage(c *http.Client, u string) (ledger.HistoryJSON, int, error) {
	resp, err := c.Get(u)
	if err != nil {
		return ledger.HistoryJSON{}, 0, err
	}
	defer resp.Body.Close()
	var h ledger.HistoryJSON
	if resp.StatusCode != http.StatusOK {
		return h, resp.StatusCode, nil
	}
	return h, resp.StatusCode, json.NewDecoder(resp.Body).Decode(&h)
}

// Position asks a projector at base where it is (with its digest when
// digest is set); false when it does not answer.
func Position(base string, digest bool) (projector.Position, bool) {
	c := &http.Client{Timeout: 2 * time.Second}
	u := base + "/v1/projection"
	if digest {
		u += "?digest=1"
	}
	resp, err := c.Get(u)
	if err != nil {
		return projector.Position{}, false
	}
	defer resp.Body.Close()
	var pos projector.Position
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&pos) != nil {
		return projector.Position{}, false
	}
	return pos, true
}

// ReadSeed decodes the JSON Lines file at path (examples/seed.jsonl) as the
// importer does: one event a line, blank lines skipped.
func ReadSeed(tb testing.TB, path string) []events.Event {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var out []events.Event
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), events.MaxEventBytes+1)
	for n := 1; sc.Scan(); n++ {
		raw := bytes.TrimSpace(sc.Bytes())
		if len(raw) == 0 {
			continue
		}
		e, err := events.Decode(raw)
		if err != nil {
			tb.Fatalf("seed line %d: %v", n, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// PrivateConfig points XDG_CONFIG_HOME, inherited by every process a test
// starts, at a new temporary directory, so that the signing keys ledger
// serve makes by default (projector.DefaultKeyPath) go there and not into
// the user's. Call it from TestMain; call the function it returns when the
// tests are done.
func PrivateConfig() (remove func()) {
	dir, err := os.MkdirTemp("", "lexledger-config-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CONFIG_HOME", dir)
	return func() { os.RemoveAll(dir) }
}
