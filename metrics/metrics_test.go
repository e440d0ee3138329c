package metrics_test

import (
	"context"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/metrics"
	"github.com/lexledger/lexledger/natsjs/natstest"
	"github.com/lexledger/lexledger/projector"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

const refugees events.ActID = "/akn/kz/act/2009-12-04/216"

func drafted(id events.ID) ledger.Command {
	return ledger.Command{Event: events.Event{ID: id, Act: refugees, Type: "drafted", Date: events.MustDate("2009-06-01"),
		Body: events.Body{Title: "Law on Refugees", Kind: "law"}}}
}

// TestLedgerOutcomes records through a real ledger on a real stream: a new
// event, the same event again (a retry), an invalid batch and a rule
// violation, and reads the counters; the metrics pass Prometheus's lint.
func TestLedgerOutcomes(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	reg := metrics.NewRegistry()
	m := reg.Ledger()
	reg.Watch(env.Store, nil)
	l := ledger.New(env.Store, ledger.Options{Observe: m.Observe})
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	id := events.NewID()
	if _, err := l.Append(ctx, "clerk@test", drafted(id)); err != nil {
		t.Fatal(err)
	}
	if r, err := l.Append(ctx, "clerk@test", drafted(id)); err != nil || !r.Duplicate {
		t.Fatalf("the retry: %+v %v; want a duplicate receipt", r, err)
	}
	if _, err := l.AppendAtomic(ctx, "clerk@test", nil); events.ErrorCode(err) != events.CodeInvalid {
		t.Fatalf("an empty batch: %v", err)
	}
	if _, err := l.Append(ctx, "clerk@test", ledger.Command{Event: events.Event{Act: refugees, Type: "repealed", Date: events.MustDate("2009-01-01"),
		EffectiveFrom: events.MustDate("2009-01-01")}}); events.ErrorCode(err) != events.CodeRule {
		t.Fatalf("a repeal before adoption: %v", err)
	}

	p := reg.Prometheus()
	for _, c := range []struct {
		outcome string
		want    float64
	}{{"recorded", 1}, {"duplicate", 1}, {"invalid", 1}, {"rule_violation", 1}, {"conflict", 0}} {
		if got := value(t, p, "lex_ledger_appends_total", "outcome", c.outcome); got != c.want {
			t.Errorf("appends_total{outcome=%q} = %v, want %v", c.outcome, got, c.want)
		}
	}
	if n, err := testutil.GatherAndCount(p, "lex_ledger_rule_rejections_total"); err != nil || n != 1 {
		t.Errorf("rule_rejections_total has %d series (%v), want 1", n, err)
	}
	if n, err := testutil.GatherAndCount(p, "lex_ledger_events_recorded_total"); err != nil || n != 1 {
		t.Errorf("events_recorded_total has %d series (%v), want 1 (drafted, the duplicate not counted)", n, err)
	}
	problems, err := testutil.GatherAndLint(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range problems {
		if len(pr.Metric) > 4 && pr.Metric[:4] == "lex_" {
			t.Errorf("lint: %s: %s", pr.Metric, pr.Text)
		}
	}
}

// value returns the value of the counter name{label="value"} in reg.
func value(t *testing.T, reg prometheus.Gatherer, name, label, v string) float64 {
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
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label && lp.GetValue() == v {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("%s{%s=%q} is not exposed", name, label, v)
	return 0
}

// TestReplayProgress: the share of the catch-up replay done.
func TestReplayProgress(t *testing.T) {
	for _, c := range []struct {
		st   projector.Status
		want float64
	}{
		{projector.Status{}, 0},
		{projector.Status{Running: true, ReplayFrom: 1, ReplayTo: 0}, 1},
		{projector.Status{Running: true, ReplayFrom: 1, ReplayTo: 100, AppliedSeq: 0}, 0},
		{projector.Status{Running: true, ReplayFrom: 1, ReplayTo: 100, AppliedSeq: 25}, 0.25},
		{projector.Status{Running: true, ReplayFrom: 51, ReplayTo: 150, AppliedSeq: 100}, 0.5},
		{projector.Status{Running: true, ReplayFrom: 1, ReplayTo: 100, AppliedSeq: 130}, 1},
	} {
		if got := c.st.ReplayProgress(); got != c.want {
			t.Errorf("%+v: progress %v, want %v", c.st, got, c.want)
		}
	}
}
