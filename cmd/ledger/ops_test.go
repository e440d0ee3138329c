package main

import (
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/internal/testkit"
	"github.com/lexledger/lexledger/natsjs"
)

func postEvent(t *testing.T, base, body string) int {
	t.Helper()
	resp, err := http.Post(base+"/v1/events", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestServeMetricsAndReadiness runs `ledger serve` on a NATS server of its
// own, records, conflicts and breaks a rule over HTTP, and reads the
// counts on /metrics; /readyz is 200 with the projector caught up and 503,
// naming the stream, once the engine is gone.
func TestServeMetricsAndReadiness(t *testing.T) {
	natsDir, natsPort := t.TempDir(), freeTCPPort(t)
	srv, err := natsjs.StartEmbedded(natsjs.EmbeddedOptions{Dir: natsDir, Port: natsPort})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	stopNATS := func() { srv.Shutdown(); srv.WaitForShutdown() }
	s := startServe(t, t.TempDir(), "--nats-url", srv.ClientURL())

	act := "/akn/kz/act/2009-12-04/216"
	other := "/akn/kz/act/2009-12-10/1"
	drafted := func(a string) string {
		return fmt.Sprintf(`{"act":%q,"type":"drafted","date":"2009-06-01","body":{"title":"Law","kind":"law"}}`, a)
	}
	for _, c := range []struct {
		what, body string
		want       int
	}{
		{"a new act", `{"event":` + drafted(act) + `}`, http.StatusCreated},
		{"a stale expected version", fmt.Sprintf(`{"event":{"act":%q,"type":"adopted","date":"2009-11-20"},"expected_version":0}`, act), http.StatusConflict},
		{"signed before adopted", fmt.Sprintf(`{"event":{"act":%q,"type":"signed","date":"2009-12-04","body":{"signatory":"President"}}}`, act), http.StatusUnprocessableEntity},
		{"an atomic batch over two acts", fmt.Sprintf(`[{"event":{"act":%q,"type":"adopted","date":"2009-11-20"}},{"event":%s}]`, act, drafted(other)), http.StatusCreated},
	} {
		if got := postEvent(t, s.base, c.body); got != c.want {
			t.Fatalf("%s: status %d, want %d", c.what, got, c.want)
		}
	}

	m := scrape(t, s.base)
	for name, want := range map[string]float64{
		`lex_ledger_appends_total{outcome="recorded"}`:                            2,
		`lex_ledger_appends_total{outcome="conflict"}`:                            1,
		`lex_ledger_appends_total{outcome="rule_violation"}`:                      1,
		`lex_ledger_appends_total{outcome="invalid"}`:                             0,
		`lex_ledger_conflicts_total`:                                              1,
		`lex_ledger_rule_rejections_total{rule="signed_before_adopted"}`:          1,
		`lex_ledger_events_recorded_total{type="drafted"}`:                        2,
		`lex_ledger_events_recorded_total{type="adopted"}`:                        1,
		`lex_ledger_append_duration_seconds_count{outcome="recorded"}`:            2,
		`lex_ledger_append_batch_events_count`:                                    4,
		`lex_ledger_append_batch_events_sum`:                                      5,
		`lex_stream_up`:                                                           1,
		`lex_stream_last_sequence`:                                                3,
		`lex_ledger_append_duration_seconds_bucket{outcome="recorded",le="+Inf"}`: 2,
	} {
		if got, ok := m[name]; !ok || got != want {
			t.Errorf("%s = %v (present: %v), want %v", name, got, ok, want)
		}
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes", "lex_projector_applied_sequence", "lex_projector_lag_events", "lex_projector_lag_seconds", "lex_projector_replay_progress_ratio"} {
		if _, ok := m[name]; !ok {
			t.Errorf("%s is not exposed", name)
		}
	}

	// Ready once the in-process projector has applied sequence 3.
	waitReady(t, s.base, 10*time.Second)
	m = scrape(t, s.base)
	if m["lex_projector_applied_sequence"] != 3 || m["lex_projector_lag_events"] != 0 || m["lex_projector_lag_seconds"] != 0 ||
		m["lex_projector_ready"] != 1 || m["lex_projector_replay_progress_ratio"] != 1 {
		t.Errorf("caught up, the projector's metrics say applied %v, lag %v events and %v s, ready %v, replay %v",
			m["lex_projector_applied_sequence"], m["lex_projector_lag_events"], m["lex_projector_lag_seconds"],
			m["lex_projector_ready"], m["lex_projector_replay_progress_ratio"])
	}

	// The engine goes away: still alive, not ready.
	stopNATS()
	status, r := readyz(t, s.base)
	if status != http.StatusServiceUnavailable || r.Status != "not_ready" || len(r.Checks) == 0 || r.Checks[0].Name != "stream" || r.Checks[0].OK {
		t.Fatalf("without the engine /readyz answered %d %+v; want 503 with the stream check failing", status, r)
	}
	if !strings.Contains(r.Checks[0].Error, "stream LEX does not answer") {
		t.Errorf("the stream check says %q; want it to name the stream", r.Checks[0].Error)
	}
	if m := scrape(t, s.base); m["lex_stream_up"] != 0 {
		t.Errorf("lex_stream_up = %v without the engine, want 0", m["lex_stream_up"])
	}

	// The engine comes back on the same store: ready again.
	srv, err = natsjs.StartEmbedded(natsjs.EmbeddedOptions{Dir: natsDir, Port: natsPort})
	if err != nil {
		t.Fatal(err)
	}
	waitReady(t, s.base, 30*time.Second)
}

// waitReady polls /readyz until it answers 200 ready with every check.
func waitReady(t *testing.T, base string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		status, r := readyz(t, base)
		if status == http.StatusOK {
			if r.Status != "ready" || len(r.Checks) != 3 {
				t.Errorf("200 with %+v, want ready with the stream, stream_config and projector checks", r)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d after %s: %+v", status, within, r)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestBackupRestoreCommands: `ledger import --nats-url` fills a fresh
// server's stream, `ledger backup` copies it, `ledger restore` puts it into
// another fresh server (a second restore is refused, naming the stream)
// and into a new embedded store, where `ledger serve` reads the same
// histories; a running ledger's store is locked against a second server.
func TestBackupRestoreCommands(t *testing.T) {
	start := func() string {
		srv, err := natsjs.StartEmbedded(natsjs.EmbeddedOptions{Dir: t.TempDir(), Port: 0})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
		return srv.ClientURL()
	}
	src, dst := start(), start()
	mustLedgerCmd(t, "import", "--quiet", "--nats-url", src, "--batch", "8", "../../examples/seed.jsonl")
	dir := filepath.Join(t.TempDir(), "b")
	out, errOut, err := ledgerCmd(t, "backup", "--nats-url", src, "--out", dir)
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, "backed up stream LEX: 44 events, sequences 1 to 44") {
		t.Errorf("backup printed %q", out)
	}
	if errOut != "" {
		t.Errorf("backup wrote %q to a standard error that is not a terminal; want nothing", errOut)
	}
	if out := mustLedgerCmd(t, "restore", "--nats-url", dst, dir); !strings.Contains(out, "restored stream LEX from "+dir+": 44 events, sequences 1 to 44") {
		t.Errorf("restore printed %q", out)
	}
	_, _, err = ledgerCmd(t, "restore", "--nats-url", dst, dir)
	if err == nil || !strings.Contains(err.Error(), "stream LEX already exists") || !strings.Contains(err.Error(), "44 messages") {
		t.Errorf("a second restore: %v; want a refusal naming the stream and what it holds", err)
	}
	for _, c := range []struct{ args, want string }{
		{"backup --nats-url " + src, "--out DIR"},
		{"restore --nats-url " + dst, "give the backup's directory"},
		{"backup --nats-url " + src + " --out " + dir, "already holds a backup"},
		{"restore --nats-url " + dst + " " + t.TempDir(), "holds no backup"},
		{"backup --data " + t.TempDir() + " --out " + t.TempDir(), "holds no ledger store"},
	} {
		if _, _, err := ledgerCmd(t, strings.Fields(c.args)...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ledger %s: %v; want an error saying %q", c.args, err, c.want)
		}
	}

	// Into a stopped ledger's embedded store, which serve then uses; while
	// serve runs, the store is locked against a second server.
	data := filepath.Join(t.TempDir(), "data")
	if out := mustLedgerCmd(t, "restore", "--data", data, dir); !strings.Contains(out, "44 events, sequences 1 to 44") {
		t.Errorf("restore --data printed %q", out)
	}
	if _, _, err := ledgerCmd(t, "restore", "--data", data, "--nats-url", dst, dir); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf("restore with --data and --nats-url: %v", err)
	}
	s := startServe(t, data)
	waitReady(t, s.base, 30*time.Second)
	if _, _, err := ledgerCmd(t, "backup", "--data", data, "--out", t.TempDir()); err == nil || !strings.Contains(err.Error(), "is in use by another process") {
		t.Errorf("backup --data of a running ledger's store: %v; want a refusal", err)
	}
	h, status, err := testkit.History(s.base, "/akn/kz/act/2009-12-04/216")
	if err != nil || status != http.StatusOK || h.Version == 0 {
		t.Fatalf("history of the Law on Refugees on the restored stream: %d %v %+v", status, err, h)
	}
	m := scrape(t, s.base)
	if m["lex_stream_last_sequence"] != 44 || m["lex_projector_applied_sequence"] != 44 {
		t.Errorf("on the restored stream: last sequence %v, applied %v; want 44 and 44", m["lex_stream_last_sequence"], m["lex_projector_applied_sequence"])
	}

	// The checkpoints of a stopped ledger's store are backed up too: the
	// stream is in the views' account, reached as the projector.
	resp, err := http.Post(s.base+"/v1/checkpoints", "", nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("sign a checkpoint: %v %v", err, resp)
	}
	resp.Body.Close()
	s.cancel()
	err = <-s.done
	s.done <- err // for the cleanup
	out = mustLedgerCmd(t, "backup", "--data", data, "--stream", natsjs.CheckpointsStream, "--out", t.TempDir())
	if !strings.Contains(out, "backed up stream LEX_CHECKPOINTS: 1 event") {
		t.Errorf("backup --data --stream LEX_CHECKPOINTS printed %q", out)
	}
}

func scrape(t *testing.T, base string) map[string]float64 { return testkit.Metrics(t, base) }

func readyz(t *testing.T, base string) (int, httpapi.Readiness) {
	var r httpapi.Readiness
	return testkit.Readyz(t, base, &r), r
}
