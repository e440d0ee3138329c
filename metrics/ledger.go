package metrics

import (
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/prometheus/client_golang/prometheus"
)

// Outcome label values beyond the error codes of package events.
const (
	OutcomeRecorded  = "recorded"  // at least one event of the call was newly recorded
	OutcomeDuplicate = "duplicate" // every event of the call was recorded before (a retry)
)

// Ledger counts the outcomes of the ledger's appends. Its Observe method is
// ledger.Options.Observe.
type Ledger struct {
	appends    *prometheus.CounterVec
	recorded   *prometheus.CounterVec
	conflicts  prometheus.Counter
	rejections *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	batch      prometheus.Histogram
}

// NewLedger registers the ledger's metrics with reg.
func NewLedger(reg prometheus.Registerer) *Ledger {
	m := &Ledger{
		appends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "ledger", Name: "appends_total",
			Help: "Append calls (one event, or one atomic batch) by outcome: recorded, duplicate, or the error code (invalid, conflict, rule_violation, too_large, unavailable, internal, stream_weakened).",
		}, []string{"outcome"}),
		recorded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "ledger", Name: "events_recorded_total",
			Help: "Events newly recorded, by event type (duplicates of earlier attempts not counted).",
		}, []string{"type"}),
		conflicts: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "ledger", Name: "conflicts_total",
			Help: "Append calls refused because an act moved on since the clerk read it (HTTP 409).",
		}),
		rejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "ledger", Name: "rule_rejections_total",
			Help: "Append calls refused by a lifecycle rule (HTTP 422), by rule code.",
		}, []string{"rule"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Subsystem: "ledger", Name: "append_duration_seconds",
			Help:    "Time from an append call to its answer, by outcome.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"outcome"}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: Namespace, Subsystem: "ledger", Name: "append_batch_events",
			Help:    "Events per append call (1 for a single event, more for an atomic batch).",
			Buckets: []float64{1, 2, 5, 10, 25, 50, 100, 250, 500, 1000},
		}),
	}
	reg.MustRegister(m.appends, m.recorded, m.conflicts, m.rejections, m.duration, m.batch)
	// Every outcome from the start, so that rates need no special case.
	for _, o := range []string{OutcomeRecorded, OutcomeDuplicate,
		string(events.CodeInvalid), string(events.CodeConflict), string(events.CodeRule), string(events.CodeTooLarge),
		string(events.CodeUnavailable), string(events.CodeInternal), string(events.CodeStreamWeakened)} {
		m.appends.WithLabelValues(o)
	}
	return m
}

// Observe records the outcome of one append call.
func (m *Ledger) Observe(o ledger.Outcome) {
	outcome := string(o.Code)
	if o.Code == "" {
		outcome = OutcomeDuplicate
		for _, r := range o.Receipts {
			if !r.Duplicate {
				outcome = OutcomeRecorded
				m.recorded.WithLabelValues(string(r.Type)).Inc()
			}
		}
	}
	m.appends.WithLabelValues(outcome).Inc()
	m.duration.WithLabelValues(outcome).Observe(o.Duration.Seconds())
	m.batch.Observe(float64(len(o.Commands)))
	switch o.Code {
	case events.CodeConflict:
		m.conflicts.Inc()
	case events.CodeRule:
		rule := string(o.Rule)
		if rule == "" {
			rule = "unknown"
		}
		m.rejections.WithLabelValues(rule).Inc()
	}
}
