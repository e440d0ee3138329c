package metrics_test

import (
	"testing"

	"github.com/lexledger/lexledger/metrics"
	"github.com/lexledger/lexledger/projector"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// The feed's metrics: failures by kind, every kind from the start, and the
// acts waiting.
func TestFeedMetrics(t *testing.T) {
	reg := metrics.NewRegistry()
	reg.Watch(fixedStream(44), fixedProjector{Ready: true, AppliedSeq: 44, FeedWaiting: 2,
		FeedFailures: map[string]uint64{projector.FeedUnavailable: 5}})
	if n, err := testutil.GatherAndCount(reg.Prometheus(), "lex_projector_feed_failures_total"); err != nil || n != len(projector.FeedFailureKinds) {
		t.Errorf("lex_projector_feed_failures_total has %d series (%v), want one per kind", n, err)
	}
	if got := value(t, reg.Prometheus(), "lex_projector_feed_failures_total", "kind", projector.FeedUnavailable); got != 5 {
		t.Errorf("lex_projector_feed_failures_total{kind=unavailable} = %v, want 5", got)
	}
	if got := value(t, reg.Prometheus(), "lex_projector_feed_failures_total", "kind", projector.FeedTooLarge); got != 0 {
		t.Errorf("lex_projector_feed_failures_total{kind=too_large} = %v, want 0", got)
	}
	mfs, err := reg.Prometheus().Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, mf := range mfs {
		if mf.GetName() == "lex_projector_feed_waiting_acts" {
			found = true
			if v := mf.GetMetric()[0].GetGauge().GetValue(); v != 2 {
				t.Errorf("lex_projector_feed_waiting_acts = %v, want 2", v)
			}
		}
	}
	if !found {
		t.Error("lex_projector_feed_waiting_acts is not exposed")
	}
}

// The record events by outcome: kept the act's model, or folded it again.
func TestRecordEventMetrics(t *testing.T) {
	reg := metrics.NewRegistry()
	reg.Watch(fixedStream(44), fixedProjector{Ready: true, AppliedSeq: 44, RecordsKept: 3, RecordRefolds: 1})
	for outcome, want := range map[string]float64{"kept": 3, "folded": 1} {
		if got := value(t, reg.Prometheus(), "lex_projector_record_events_total", "outcome", outcome); got != want {
			t.Errorf("lex_projector_record_events_total{outcome=%s} = %v, want %v", outcome, got, want)
		}
	}
}
