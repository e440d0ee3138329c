package projector_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/metrics"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/projections"
	"github.com/lexledger/lexledger/projector"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
)

// An act amended so often that its whole state is larger than the
// server's max_payload is published within the feed's bound (a quarter of
// 64 KiB here), marked truncated, with its newest amendment, the lists'
// totals and where to read the whole state; LEX_STATE holds the same. An
// act of a few events is published whole, as before.
func TestFeedBoundsLargeStates(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{MaxPayload: smallPayload})
	l := mustLedger(t, env)
	loadSeed(t, l)
	nc := env.Connect(t)
	sub, err := nc.SubscribeSync(natsjs.ChangesPrefix + "." + actKey(criminalCode))
	if err != nil {
		t.Fatal(err)
	}
	r := startService(t, env.Store, env.Connect(t), projector.Options{Feed: true}, false)
	waitReady(t, r)

	const amendments = 600
	last := recordAmendments(t, l, amendments)
	r.waitFor(t, last)
	var whole []byte
	r.svc.Read(func(p *projections.Projection) {
		st, err := p.State(criminalCode, projections.Query{AsOf: events.MustDate(time.Now().UTC().Format(time.DateOnly))})
		if err != nil {
			t.Fatal(err)
		}
		whole, _ = json.Marshal(projector.ChangeNotice{Seq: last, State: st})
	})
	if len(whole) <= smallPayload {
		t.Fatalf("the Criminal Code's whole state is %d bytes, not more than max_payload %d: the test proves nothing", len(whole), smallPayload)
	}

	const bound = smallPayload / 4
	var data []byte
	for {
		m, err := sub.NextMsg(10 * time.Second)
		if err != nil {
			t.Fatalf("no change notice of sequence %d within 10s: %v", last, err)
		}
		if len(m.Data) > bound {
			t.Fatalf("a change notice of %d bytes, more than the bound %d", len(m.Data), bound)
		}
		var n projector.ChangeNotice
		if err := json.Unmarshal(m.Data, &n); err != nil {
			t.Fatal(err)
		}
		if n.Seq == last {
			data = m.Data
			break
		}
	}
	var n projector.ChangeNotice
	if err := json.Unmarshal(data, &n); err != nil {
		t.Fatal(err)
	}
	t.Logf("the whole state is %d bytes; the notice %d, within %d", len(whole), len(data), bound)
	var total int
	r.svc.Read(func(p *projections.Projection) {
		st, _ := p.State(criminalCode, projections.Query{AsOf: n.State.AsOf})
		total = len(st.AmendmentsReceived)
	})
	switch {
	case !n.Truncated || n.Totals == nil:
		t.Fatalf("a notice of %d bytes for a state of %d is not marked truncated: %.300s", len(data), len(whole), data)
	case n.Totals.AmendmentsReceived != total || total < amendments:
		t.Errorf("totals.amendments_received = %d, want %d", n.Totals.AmendmentsReceived, total)
	case len(n.State.AmendmentsReceived) == 0 || len(n.State.AmendmentsReceived) >= total:
		t.Errorf("the notice keeps %d of %d amendments, want some and not all", len(n.State.AmendmentsReceived), total)
	}
	if got, want := n.State.AmendmentsReceived[len(n.State.AmendmentsReceived)-1].Instrument, amendment(1000+amendments-1).Instrument; got != want {
		t.Errorf("the last amendment kept is by %s, want the newest, by %s", got, want)
	}
	want := "/v1/act?" + (url.Values{"act": {string(criminalCode)}, "as_of": {n.State.AsOf.String()}}).Encode()
	if n.FullState != want {
		t.Errorf("full_state = %q, want %q", n.FullState, want)
	}
	if n.State.Status == "" || n.State.Title == "" || n.State.Version == 0 {
		t.Errorf("the truncated state lost its summary: %+v", n.State)
	}

	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(testContext(t, 10*time.Second), natsjs.StateBucket)
	if err != nil {
		t.Fatal(err)
	}
	e, err := kv.Get(testContext(t, 10*time.Second), actKey(criminalCode))
	if err != nil || !bytes.Equal(e.Value(), data) {
		t.Errorf("LEX_STATE holds %d bytes (%v), want the notice's %d", len(e.Value()), err, len(data))
	}
	if st := r.svc.Status(); st.FeedWaiting != 0 || len(st.FeedFailures) != 0 {
		t.Errorf("feed failures %v, %d acts waiting; want none", st.FeedFailures, st.FeedWaiting)
	}

	// A small act: whole, with no field of the bound.
	act := events.ActID("/akn/kz/act/2011-05-01/small")
	small, err := nc.SubscribeSync(natsjs.ChangesPrefix + "." + actKey(act))
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, l, created(act, "Law on small things"))
	m, err := small.NextMsg(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"truncated", "totals", "full_state"} {
		if bytes.Contains(m.Data, []byte(`"`+field+`"`)) {
			t.Errorf("the notice of a small act has %q: %s", field, m.Data)
		}
	}

	// A restart's reconcile finds the truncated state up to date.
	if err := r.stop(); err != nil && err != context.Canceled {
		t.Fatal(err)
	}
	var logs syncBuffer
	r2 := startService(t, env.Store, env.Connect(t), projector.Options{Feed: true, Logger: slog.New(slog.NewTextHandler(&logs, nil))}, true)
	waitReady(t, r2)
	waitLog(t, &logs, "state bucket reconciled", 1)
	if !strings.Contains(logs.String(), "written=0 ") {
		t.Errorf("a restart on an up-to-date bucket wrote states again: %s", logs.String())
	}
}

// syncBuffer is a log's destination that tests read while it is written.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitLog waits until the log holds at least n lines containing what, and
// returns how many it holds.
func waitLog(t *testing.T, logs *syncBuffer, what string, n int) int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := strings.Count(logs.String(), what)
		if got >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("the log holds %d lines with %q within 20s, want %d:\n%s", got, what, n, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// breakable is the projector's real views, whose state writes fail with
// err while it is set, every act returned as not written.
type breakable struct {
	*natsjs.Views
	err atomic.Pointer[error]
}

func (b *breakable) set(err error) {
	if err == nil {
		b.err.Store(nil)
		return
	}
	b.err.Store(&err)
}

func (b *breakable) PutStates(ctx context.Context, states map[events.ActID][]byte) ([]events.ActID, error) {
	if p := b.err.Load(); p != nil {
		var acts []events.ActID
		for act := range states {
			acts = append(acts, act)
		}
		return acts, *p
	}
	return b.Views.PutStates(ctx, states)
}

// feedRig is a projector with the feed on over a breakable sink, its
// metrics, its log, and a clock for its retries that the test moves.
type feedRig struct {
	env  *natstest.Env
	sink *breakable
	svc  *projector.Service
	reg  prometheus.Gatherer
	logs *syncBuffer
	now  atomic.Int64 // the feed's clock, Unix nanoseconds
}

func mustFeedRig(t *testing.T) *feedRig {
	t.Helper()
	env := natstest.MustStart(t, natstest.Options{})
	views, err := natsjs.OpenViews(testContext(t, time.Minute), env.Connect(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	g := &feedRig{env: env, sink: &breakable{Views: views}, logs: &syncBuffer{}}
	g.now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	g.svc = projector.New(env.Store, g.sink, projector.Options{Feed: true, Logger: slog.New(slog.NewTextHandler(g.logs, nil))})
	g.svc.SetFeedClock(func() time.Time { return time.Unix(0, g.now.Load()) })
	reg := metrics.NewRegistry()
	reg.Watch(env.Store, g.svc)
	g.reg = reg.Prometheus()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	deadline := time.Now().Add(30 * time.Second)
	for !g.svc.Ready() {
		if time.Now().After(deadline) {
			t.Fatal("the projector did not become ready within 30s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return g
}

func (g *feedRig) advance(d time.Duration) { g.now.Add(int64(d)) }

// failures reads lex_projector_feed_failures_total{kind}.
func (g *feedRig) failures(t *testing.T, kind string) float64 {
	t.Helper()
	return metricValue(t, g.reg, "lex_projector_feed_failures_total", kind)
}

// waiting reads lex_projector_feed_waiting_acts.
func (g *feedRig) waiting(t *testing.T) float64 {
	t.Helper()
	return metricValue(t, g.reg, "lex_projector_feed_waiting_acts", "")
}

// waitFailures waits until the failures of kind reach n.
func (g *feedRig) waitFailures(t *testing.T, kind string, n float64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for g.failures(t, kind) < n {
		if time.Now().After(deadline) {
			t.Fatalf("lex_projector_feed_failures_total{kind=%q} is %v after 20s, want %v", kind, g.failures(t, kind), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// idle lets the feed tick about five times with its clock still.
func idle() { time.Sleep(5 * 200 * time.Millisecond) }

func metricValue(t *testing.T, reg prometheus.Gatherer, name, kind string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if kind == "" {
				return m.GetGauge().GetValue()
			}
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "kind" && lp.GetValue() == kind {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("%s{kind=%q} is not exposed", name, kind)
	return 0
}

// waitState waits until LEX_STATE holds act's state at sequence seq.
func (g *feedRig) waitState(t *testing.T, act events.ActID, seq uint64) {
	t.Helper()
	ctx := testContext(t, 20*time.Second)
	js, err := jetstream.New(g.env.Conn)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, natsjs.StateBucket)
	if err != nil {
		t.Fatal(err)
	}
	for {
		if e, err := kv.Get(ctx, actKey(act)); err == nil {
			var n changeNotice
			if json.Unmarshal(e.Value(), &n) == nil && n.Seq == seq {
				return
			}
		}
		if ctx.Err() != nil {
			t.Fatalf("LEX_STATE never held the state of %s at %d", act, seq)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const failedLine = "the state bucket did not take"

// A write that fails for a transient reason is written again after a
// wait that doubles (400 ms, 800 ms, ... at most 30 s) on the feed's clock,
// not at every tick; the failure is counted at each attempt, logged once,
// and the act counted as waiting until it is written; then the recovery
// is logged once.
func TestFeedBacksOffFailedWrites(t *testing.T) {
	g := mustFeedRig(t)
	l := mustLedger(t, g.env)
	g.sink.set(fmt.Errorf("%w: nats: timeout", eventlog.ErrUnavailable))
	act := events.ActID("/akn/kz/act/2011-05-01/backoff")
	rc := mustAppend(t, l, created(act, "Law on patience"))

	g.waitFailures(t, projector.FeedUnavailable, 1)
	idle()
	if n := g.failures(t, projector.FeedUnavailable); n != 1 {
		t.Fatalf("%v attempts while the feed's clock stood still, want 1: retried at every tick", n)
	}
	if w := g.waiting(t); w != 1 {
		t.Errorf("lex_projector_feed_waiting_acts = %v, want 1", w)
	}
	g.advance(400 * time.Millisecond) // the first wait
	g.waitFailures(t, projector.FeedUnavailable, 2)
	g.advance(400 * time.Millisecond) // half the second wait
	idle()
	if n := g.failures(t, projector.FeedUnavailable); n != 2 {
		t.Fatalf("%v attempts 400 ms into a wait of 800 ms, want 2", n)
	}
	g.advance(400 * time.Millisecond)
	g.waitFailures(t, projector.FeedUnavailable, 3)
	g.advance(time.Hour) // far past any wait: one attempt, not one per wait missed
	g.waitFailures(t, projector.FeedUnavailable, 4)
	idle()
	if n := g.failures(t, projector.FeedUnavailable); n != 4 {
		t.Errorf("%v attempts after the clock jumped, want 4", n)
	}
	if n := strings.Count(g.logs.String(), failedLine); n != 1 {
		t.Errorf("the failure was logged %d times, want once:\n%s", n, g.logs.String())
	}

	// The cause goes away: written at the end of the wait, with its notice.
	g.sink.set(nil)
	g.advance(feedBackoffMax)
	g.waitState(t, act, rc.Seq)
	waitLog(t, g.logs, "states written again after failures", 1)
	if w := g.waiting(t); w != 0 {
		t.Errorf("lex_projector_feed_waiting_acts = %v after the recovery, want 0", w)
	}
	if n := g.failures(t, projector.FeedUnavailable); n != 4 {
		t.Errorf("%v failures after the recovery, want still 4", n)
	}
}

// feedBackoffMax is the longest wait (projector.feedBackoffMax).
const feedBackoffMax = 30 * time.Second

// A write that fails for a permanent reason (too large, forbidden) is not
// written again while the act does not change, whatever the time; once it
// changes it is tried again, still logged once; once the cause is gone,
// the next change is written.
func TestFeedHoldsPermanentFailures(t *testing.T) {
	g := mustFeedRig(t)
	l := mustLedger(t, g.env)
	g.sink.set(&events.Error{Code: events.CodeTooLarge, Message: "nats: maximum payload exceeded"})
	act := events.ActID("/akn/kz/act/2011-05-01/held")
	mustAppend(t, l, created(act, "Law on limits"))

	g.waitFailures(t, projector.FeedTooLarge, 1)
	g.advance(time.Hour)
	idle()
	if n := g.failures(t, projector.FeedTooLarge); n != 1 {
		t.Fatalf("%v attempts of a state too large while the act did not change, want 1", n)
	}
	if w := g.waiting(t); w != 1 {
		t.Errorf("lex_projector_feed_waiting_acts = %v, want 1 (held until the act changes)", w)
	}
	e := created(act, "")
	e.Type, e.Body = events.Signed, events.Body{}
	mustAppend(t, l, e)
	g.waitFailures(t, projector.FeedTooLarge, 2)
	if n := strings.Count(g.logs.String(), failedLine); n != 1 {
		t.Errorf("the failure was logged %d times, want once:\n%s", n, g.logs.String())
	}
	if !strings.Contains(g.logs.String(), "until the act changes") {
		t.Errorf("the log does not say the state is held until the act changes:\n%s", g.logs.String())
	}

	g.sink.set(nil)
	g.advance(time.Hour)
	e = amendment(7)
	e.Act, e.Date, e.EffectiveFrom = act, events.MustDate("2011-06-01"), events.MustDate("2011-07-01")
	rc := mustAppend(t, l, e)
	g.waitState(t, act, rc.Seq)
	waitLog(t, g.logs, "states written again after failures", 1)
	if w := g.waiting(t); w != 0 {
		t.Errorf("lex_projector_feed_waiting_acts = %v after the recovery, want 0", w)
	}
}
