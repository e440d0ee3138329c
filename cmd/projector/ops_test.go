package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/internal/testkit"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/projector"
)

// TestReadinessFollowsTheProjector mounts the operations endpoints of
// `projector serve` over a projector that has not yet read a stream of
// 44 events: /readyz is 503 and says how far behind it is, the metrics
// show the lag; once it runs and catches up, 200 and no lag; with the
// engine gone, 503 on the stream check. /healthz stays 200 throughout.
func TestReadinessFollowsTheProjector(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	l := ledger.New(env.Store, ledger.Options{AppendTimeout: 30 * time.Second})
	t.Cleanup(func() { l.Close() })
	var cmds []ledger.Command
	for _, e := range testkit.ReadSeed(t, seedFile) {
		cmds = append(cmds, ledger.Command{Event: e})
	}
	if _, err := l.AppendAtomic(context.Background(), "seed@test", cmds); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	views, err := natsjs.OpenViews(ctx, env.Conn, 1)
	if err != nil {
		t.Fatal(err)
	}
	svc := projector.New(env.Store, views, projector.Options{})
	mux := http.NewServeMux()
	mountOps(mux, env.Store, env.Store, svc, mustWatch(t, env, views))
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)

	status, r := getReadyz(t, hs.URL)
	if status != http.StatusServiceUnavailable || r.Status != "not_ready" || len(r.Checks) != 3 || !r.Checks[0].OK || !r.Checks[1].OK || r.Checks[2].OK {
		t.Fatalf("before the projector ran: %d %+v; want 503 with the stream and its configuration ready and the projector not", status, r)
	}
	if want := "applied sequence 0 of the stream's 44 (44 behind)"; !strings.Contains(r.Checks[2].Error, want) {
		t.Errorf("the projector check says %q; want it to say %q", r.Checks[2].Error, want)
	}
	m := getMetrics(t, hs.URL)
	if m["lex_projector_lag_events"] != seedEvents || m["lex_projector_applied_sequence"] != 0 || m["lex_projector_ready"] != 0 || m["lex_projector_replay_progress_ratio"] != 0 {
		t.Errorf("before the projector ran: lag %v events, applied %v, ready %v, replay %v; want 44, 0, 0, 0",
			m["lex_projector_lag_events"], m["lex_projector_applied_sequence"], m["lex_projector_ready"], m["lex_projector_replay_progress_ratio"])
	}

	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done })
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, r = getReadyz(t, hs.URL)
		if status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d after 30s: %+v", status, r)
		}
		time.Sleep(20 * time.Millisecond)
	}
	m = getMetrics(t, hs.URL)
	if m["lex_projector_lag_events"] != 0 || m["lex_projector_lag_seconds"] != 0 || m["lex_projector_applied_sequence"] != seedEvents ||
		m["lex_projector_ready"] != 1 || m["lex_projector_replay_progress_ratio"] != 1 || m["lex_projector_replay_target_sequence"] != seedEvents {
		t.Errorf("caught up: lag %v events %v s, applied %v, ready %v, replay %v to %v; want 0, 0, 44, 1, 1, 44",
			m["lex_projector_lag_events"], m["lex_projector_lag_seconds"], m["lex_projector_applied_sequence"], m["lex_projector_ready"],
			m["lex_projector_replay_progress_ratio"], m["lex_projector_replay_target_sequence"])
	}
	if m["lex_projector_applied_record_time_seconds"] <= 0 {
		t.Errorf("lex_projector_applied_record_time_seconds = %v, want the store time of sequence 44", m["lex_projector_applied_record_time_seconds"])
	}

	env.Stop()
	status, r = getReadyz(t, hs.URL)
	if status != http.StatusServiceUnavailable || len(r.Checks) == 0 || r.Checks[0].OK || !strings.Contains(r.Checks[0].Error, "stream LEX does not answer") {
		t.Errorf("without the engine: %d %+v; want 503 naming the stream", status, r)
	}
	resp, err := http.Get(hs.URL + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz without the engine: %v %v; want 200 (the process is alive)", resp, err)
	} else {
		resp.Body.Close()
	}
}

func getMetrics(t *testing.T, base string) map[string]float64 { return testkit.Metrics(t, base) }

func getReadyz(t *testing.T, base string) (int, httpapi.Readiness) {
	var r httpapi.Readiness
	return testkit.Readyz(t, base, &r), r
}
