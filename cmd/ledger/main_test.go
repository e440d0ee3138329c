package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/internal/testkit"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsauth"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/nats-io/nats.go"
)

const refugees = "/akn/kz/act/2009-12-04/216" // the Law on Refugees

func freeTCPPort(t *testing.T) int { return testkit.FreePort(t) }

type syncBuffer = testkit.SyncBuffer

// serveProc is `ledger serve` running in process.
type serveProc struct {
	base    string // the HTTP API
	natsURL string // the embedded NATS server
	dir     string // its data directory
	stdout  *syncBuffer
	stderr  *syncBuffer
	cancel  context.CancelFunc
	done    chan error
}

// startServe runs `ledger serve` on dir with free ports and waits until it
// is healthy. It is stopped when the test ends, if the test has not.
func startServe(t *testing.T, dir string, extra ...string) *serveProc {
	t.Helper()
	httpPort, natsPort := freeTCPPort(t), freeTCPPort(t)
	ctx, cancel := context.WithCancel(context.Background())
	s := &serveProc{
		base:    fmt.Sprintf("http://127.0.0.1:%d", httpPort),
		natsURL: fmt.Sprintf("nats://127.0.0.1:%d", natsPort),
		stdout:  &syncBuffer{},
		stderr:  &syncBuffer{},
		dir:     dir,
		cancel:  cancel,
		done:    make(chan error, 1),
	}
	args := append([]string{"serve", "--data", dir, "--http", fmt.Sprintf("127.0.0.1:%d", httpPort),
		"--nats-port", strconv.Itoa(natsPort)}, extra...)
	go func() { s.done <- run(ctx, args, strings.NewReader(""), s.stdout, s.stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			t.Errorf("serve did not stop within 30s of its cancellation")
		}
	})
	waitHealthy(t, s.base, s.done)
	return s
}

// waitHealthy polls /healthz until it answers 200; done reports an early
// exit of the server.
func waitHealthy(t *testing.T, base string, done <-chan error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	c := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("the server exited before it was healthy: %v", err)
		default:
		}
		resp, err := c.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s/healthz did not answer 200 within 30s", base)
}

// stop cancels serve and returns what it returned.
func (s *serveProc) stop(t *testing.T) error {
	t.Helper()
	s.cancel()
	select {
	case err := <-s.done:
		s.done <- err // for the cleanup
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not stop within 30s")
		return nil
	}
}

// login returns the options that log in to the embedded server as role,
// with the seed that serve keeps in its data directory.
func (s *serveProc) login(t *testing.T, role natsauth.Role) []nats.Option {
	t.Helper()
	opts, err := natsauth.ClientOptions(natsauth.EmbeddedSeedFile(s.dir, role), "")
	if err != nil {
		t.Fatal(err)
	}
	return opts
}

// count returns the number of events in the stream of the NATS server at
// url, logged in with opts.
func count(t *testing.T, url string, opts ...nats.Option) uint64 {
	t.Helper()
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := natsjs.Open(ctx, nc, natsjs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	n, err := st.Msgs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// ledgerCmd runs one ledger command in process and returns its output.
func ledgerCmd(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	err = run(ctx, args, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), err
}

func mustLedgerCmd(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := ledgerCmd(t, args...)
	if err != nil {
		t.Fatalf("ledger %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// The whole clerk's path, in process: serve, record the Law on Refugees
// step by step, read its history as a table and as JSON, stop gracefully.
func TestServeRecordHistory(t *testing.T) {
	s := startServe(t, t.TempDir())
	if !strings.Contains(s.stdout.String(), s.base) {
		t.Errorf("serve does not say where it serves: %q", s.stdout.String())
	}

	steps := [][]string{
		{"--type", "drafted", "--date", "2009-06-01", "--title", "Law on Refugees", "--kind", "law", "--drafting-body", "Ministry of Justice"},
		{"--type", "adopted", "--date", "2009-11-20", "--chamber", "Parliament"},
		{"--type", "signed", "--date", "2009-12-04", "--signatory", "President"},
		{"--type", "published", "--date", "2009-12-10", "--gazette", "Kazakhstanskaya Pravda No. 277"},
		{"--type", "commenced", "--date", "2009-12-04", "--effective-from", "2009-12-04"},
	}
	types := []string{"drafted", "adopted", "signed", "published", "commenced"}
	for i, step := range steps {
		out := mustLedgerCmd(t, append([]string{"record", "--server", s.base, "--act", refugees}, step...)...)
		want := fmt.Sprintf("recorded %s for %s: version %d, sequence %d, id ", types[i], refugees, i+1, i+1)
		if !strings.HasPrefix(out, want) {
			t.Errorf("record %s printed %q, want it to start with %q", types[i], out, want)
		}
	}

	// A step the rules forbid: the error comes back, nothing is written.
	_, _, err := ledgerCmd(t, "record", "--server", s.base, "--act", refugees, "--type", "signed", "--date", "2009-12-05")
	var ee *events.Error
	if !errors.As(err, &ee) || ee.Code != events.CodeRule || ee.Rule != events.RuleDuplicateStep {
		t.Errorf("a second signing: %v, want a duplicate_step rule violation", err)
	}
	// A stale expectation.
	_, _, err = ledgerCmd(t, "record", "--server", s.base, "--act", refugees, "--type", "amended", "--date", "2010-01-01",
		"--effective-from", "2010-01-01", "--instrument", "/akn/kz/act/2009-12-10/230", "--effect", "substitution",
		"--provision", "art_1", "--expect-version", "3")
	if !errors.As(err, &ee) || ee.Code != events.CodeConflict || ee.Current != 5 {
		t.Errorf("a stale expectation: %v, want a conflict at version 5", err)
	}
	// A retry with the same id is answered from the first write.
	id := events.NewID().String()
	args := []string{"record", "--server", s.base, "--act", refugees, "--type", "corrigendum", "--date", "2009-12-20",
		"--gazette", "Kazakhstanskaya Pravda No. 280", "--id", id, "--json"}
	var r1, r2 ledger.Receipt
	if err := json.Unmarshal([]byte(mustLedgerCmd(t, args...)), &r1); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(mustLedgerCmd(t, args...)), &r2); err != nil {
		t.Fatal(err)
	}
	if r1.ID.String() != id || r1.Version != 6 || r1.Duplicate || !r2.Duplicate || r2.Seq != r1.Seq {
		t.Errorf("the receipts of an event and its retry: %+v, %+v", r1, r2)
	}
	types = append(types, "corrigendum")

	out := mustLedgerCmd(t, "history", "--server", s.base, refugees)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 3 || !strings.HasPrefix(lines[0], refugees+": 6 events") || !strings.HasPrefix(lines[2], "VERSION") {
		t.Fatalf("the history table:\n%s", out)
	}
	rows := lines[3:]
	if len(rows) != len(types) {
		t.Fatalf("the table has %d rows, want %d:\n%s", len(rows), len(types), out)
	}
	for i, row := range rows {
		f := strings.Fields(row)
		if len(f) < 3 || f[0] != strconv.Itoa(i+1) || f[2] != types[i] {
			t.Errorf("row %d is %q, want version %d, %s", i+1, row, i+1, types[i])
		}
	}
	if !strings.Contains(rows[0], `title="Law on Refugees"`) || !strings.Contains(rows[0], `drafting_body="Ministry of Justice"`) ||
		!strings.Contains(rows[2], "signatory=President") || !strings.Contains(rows[4], "from 2009-12-04") {
		t.Errorf("the table lacks details:\n%s", out)
	}

	var h ledger.HistoryJSON
	if err := json.Unmarshal([]byte(mustLedgerCmd(t, "history", "--server", s.base, "--json", refugees)), &h); err != nil {
		t.Fatal(err)
	}
	if h.Act != refugees || h.Version != 6 || len(h.Events) != 6 {
		t.Fatalf("history --json: %+v", h)
	}
	for i, e := range h.Events {
		if string(e.Event.Type) != types[i] || e.Version != uint64(i+1) || e.Event.RecordedBy != "anonymous@http" {
			t.Errorf("event %d: %s version %d by %q", i, e.Event.Type, e.Version, e.Event.RecordedBy)
		}
	}
	if h.Events[0].Event.Body.Title != "Law on Refugees" || h.Events[3].Event.Body.Gazette != "Kazakhstanskaya Pravda No. 277" {
		t.Errorf("the recorded details: %+v", h.Events)
	}

	// Paged: asked two events at a time, the history follows the pages
	// to the end, under one heading; --limit stops early and says so.
	paged := mustLedgerCmd(t, "history", "--server", s.base, "--page-size", "2", refugees)
	if versions := tableVersions(paged); fmt.Sprint(versions) != "[1 2 3 4 5 6]" || strings.Count(paged, "VERSION") != 1 {
		t.Errorf("history by pages of 2 printed the versions %v, want 1 to 6 under one heading:\n%s", versions, paged)
	}
	limited := mustLedgerCmd(t, "history", "--server", s.base, "--page-size", "3", "--limit", "4", refugees)
	if versions := tableVersions(limited); fmt.Sprint(versions) != "[1 2 3 4]" || !strings.Contains(limited, "(the first 4 of the act's 6 events") {
		t.Errorf("history --limit 4 printed the versions %v, want 1 to 4 and a note:\n%s", versions, limited)
	}
	var hp ledger.HistoryJSON
	if err := json.Unmarshal([]byte(mustLedgerCmd(t, "history", "--server", s.base, "--json", "--page-size", "4", refugees)), &hp); err != nil {
		t.Fatal(err)
	}
	if hp.Version != 6 || len(hp.Events) != 6 || hp.NextCursor != "" {
		t.Errorf("history --json by pages of 4: version %d, %d events, next_cursor %q; want 6, 6, none", hp.Version, len(hp.Events), hp.NextCursor)
	}

	if err := s.stop(t); err != nil {
		t.Errorf("serve returned %v after its context was cancelled, want nil (graceful)", err)
	}
	if !strings.Contains(s.stderr.String(), "ledger stopped") {
		t.Errorf("serve did not log its stop:\n%s", s.stderr.String())
	}
}

// The data survives a restart on the same directory.
func TestServeRestartKeepsTheLedger(t *testing.T) {
	dir := t.TempDir()
	s := startServe(t, dir)
	mustLedgerCmd(t, "record", "--server", s.base, "--act", refugees, "--type", "drafted", "--date", "2009-06-01", "--title", "Law on Refugees", "--kind", "law")
	// The projector has applied it (min_seq waits), so that its store
	// holds it when the server stops.
	resp, err := http.Get(s.base + "/v1/act?act=" + refugees + "&as_of=2009-07-01&min_seq=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the projector's answer about %s with min_seq=1: %s", refugees, resp.Status)
	}
	if err := s.stop(t); err != nil {
		t.Fatal(err)
	}
	s = startServe(t, dir)
	out := mustLedgerCmd(t, "record", "--server", s.base, "--act", refugees, "--type", "adopted", "--date", "2009-11-20")
	if !strings.Contains(out, "version 2, sequence 2") {
		t.Errorf("after a restart: %q, want version 2", out)
	}
	// The projector kept its records in DATA/projection, and reopened them.
	if log := s.stderr.String(); !strings.Contains(log, "projection store reopened") || !strings.Contains(log, filepath.Join(dir, "projection")) {
		t.Errorf("after a restart the projector did not reopen its store in %s; its log:\n%s", filepath.Join(dir, "projection"), log)
	}
}

func TestCommandLineErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // in the error or on stderr
	}{
		{nil, "no command"},
		{[]string{"frobnicate"}, "unknown command"},
		{[]string{"history", "--server", "http://127.0.0.1:1"}, "one act identifier"},
		{[]string{"history", "--server", "http://127.0.0.1:1", "/akn/kz/act/2009-13-01/1"}, "not valid"},
		{[]string{"history", "--server", fmt.Sprintf("http://127.0.0.1:%d", freeTCPPort(t)), refugees}, "cannot reach"},
		{[]string{"record", "--text", "no-equals-sign", "--server", "http://127.0.0.1:1"}, "EID=TEXT"},
		{[]string{"serve", "--sync", "sometimes"}, "--sync"},
		{[]string{"serve", "--memory-limit", "lots"}, "give 'auto', 'off' or a size"},
		{[]string{"serve", "--memory-limit", "1MiB"}, "under 64 MiB"},
		{[]string{"import", "--batch", "5000", "x.jsonl"}, "--batch"},
		{[]string{"import"}, "one FILE"},
	} {
		out, errOut, err := ledgerCmd(t, tc.args...)
		if err == nil {
			t.Errorf("ledger %v succeeded: %s", tc.args, out)
			continue
		}
		if !strings.Contains(err.Error()+errOut, tc.want) {
			t.Errorf("ledger %v: %v\n%s\nwant %q", tc.args, err, errOut, tc.want)
		}
	}
	// A refused limit writes nothing: the data directory is not made.
	data := filepath.Join(t.TempDir(), "data")
	if _, _, err := ledgerCmd(t, "serve", "--data", data, "--memory-limit", "2GB"); err == nil {
		t.Error("ledger serve --memory-limit 2GB succeeded")
	} else if _, statErr := os.Stat(data); !os.IsNotExist(statErr) {
		t.Errorf("ledger serve refused --memory-limit 2GB (%v) but made %s: %v", err, data, statErr)
	}
	if out, _, err := ledgerCmd(t, "help"); err != nil || !strings.Contains(out, "ledger serve") {
		t.Errorf("ledger help: %v %q", err, out)
	}
}

// tableVersions are the first column's numbers of the rows of a history
// table.
func tableVersions(out string) []int {
	var vs []int
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 2 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				vs = append(vs, n)
			}
		}
	}
	return vs
}
