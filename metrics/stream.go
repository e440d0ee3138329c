package metrics

import (
	"context"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/projector"
	"github.com/prometheus/client_golang/prometheus"
)

// scrapeTimeout bounds the stream read that each scrape makes.
const scrapeTimeout = 2 * time.Second

// Stream is the part of the event store that a scrape reads: one stream
// info request per scrape. natsjs.Store implements it.
type Stream interface {
	LastSeq(ctx context.Context) (uint64, error)
}

// StreamFunc is a Stream made of a function: natsjs.Store.Health, which
// also fails when a replicated stream has lost its leader.
type StreamFunc func(ctx context.Context) (uint64, error)

// LastSeq implements Stream.
func (f StreamFunc) LastSeq(ctx context.Context) (uint64, error) { return f(ctx) }

// Projector is the part of a projector that a scrape reads.
// *projector.Service implements it.
type Projector interface {
	Status() projector.Status
}

var _ Projector = (*projector.Service)(nil)

// Collector reads the stream's last sequence at each scrape and, when a
// projector runs in the process, where that projector stands against it.
type Collector struct {
	stream Stream
	proj   Projector // nil when no projector runs here
	now    func() time.Time

	up, lastSeq                                 *prometheus.Desc
	applied, lagEvents, lagSeconds, ready       *prometheus.Desc
	replayTarget, replayProgress, appliedRecord *prometheus.Desc
	defects, defectsByReason                    *prometheus.Desc
	refusals, conflict                          *prometheus.Desc
	witnessed, cosignatures, witnessFailures    *prometheus.Desc
	witnessAlarm                                *prometheus.Desc
	feedFailures, feedWaiting                   *prometheus.Desc
	modelsHeld, modelsDropped, modelFolds       *prometheus.Desc
	recordFolds, frozenBytes, modelThaws        *prometheus.Desc
}

// NewCollector returns a collector of stream's metrics, and of proj's when
// proj is not nil; register it with the registry.
func NewCollector(stream Stream, proj Projector) *Collector {
	d := func(sub, name, help string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(Namespace, sub, name), help, nil, nil)
	}
	return &Collector{
		stream: stream, proj: proj, now: time.Now,
		up:             d("stream", "up", "1 when the stream answered this scrape's info request, 0 when it did not (engine unreachable, stream missing) or, where the server says whether a replicated stream has a leader, it has none (a quorum of its replicas lost)."),
		lastSeq:        d("stream", "last_sequence", "The stream's last sequence, as of this scrape."),
		applied:        d("projector", "applied_sequence", "The last stream sequence the projector has applied."),
		appliedRecord:  d("projector", "applied_record_time_seconds", "When the stream stored the last event the projector applied (Unix time); absent until it applied one since it started."),
		lagEvents:      d("projector", "lag_events", "Events stored in the stream and not yet applied (stream last sequence - applied sequence)."),
		lagSeconds:     d("projector", "lag_seconds", "0 when caught up; when behind, now - the store time of the last event applied (or - the start of the catch-up, before any)."),
		ready:          d("projector", "ready", "1 once the projector has caught up with the stream since it started."),
		replayTarget:   d("projector", "replay_target_sequence", "The stream's last sequence when the projector's catch-up replay began."),
		replayProgress: d("projector", "replay_progress_ratio", "Share of the catch-up replay done (events replayed / events to replay), 0 to 1."),
		defects:        d("projector", "defects", "Messages in the stream, up to the applied sequence, that are not valid events of their acts: left out of the views (docs/RUNBOOK.md, Defects)."),
		refusals:       d("projector", "checkpoint_refusals_total", "Times the signer refused to sign a checkpoint because the tree does not extend the last checkpoint it signed (a rewritten or shortened stream: docs/VERIFY.md, Threat model)."),
		conflict:       d("projector", "checkpoint_conflict", "1 while the projector's tree does not extend the last checkpoint stored, or the signer refused to sign: /readyz says why."),
		witnessed:      d("projector", "checkpoint_witnessed", "1 when a quorum of the configured witnesses cosigned the latest checkpoint (docs/WITNESS.md); 0 otherwise, or without witnesses."),
		cosignatures:   d("projector", "checkpoint_cosignatures", "The configured witnesses whose cosignature on the latest checkpoint verifies."),
		witnessAlarm:   d("projector", "witness_alarm", "1 while a witness refused a checkpoint with evidence that it was shown another tree of this log (a bad consistency proof, an unresolved conflict, a size beyond the tree): /readyz says which and why (docs/RUNBOOK.md, Witness alarm)."),
		witnessFailures: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "projector", "witness_failures_total"),
			"Submissions of a checkpoint to a witness that did not give a valid cosignature, by witness and kind: unreachable, malformed, unknown_origin, unverified, internal, bad_cosignature, and the alarms bad_proof, conflict, size_beyond_tree.", []string{"witness", "kind"}, nil),
		feedWaiting: d("projector", "feed_waiting_acts", "Acts whose latest state is not in LEX_STATE because the feed's write of it failed: waiting to be written again, or, after a permanent failure (too_large, forbidden), until the act changes or the projector restarts (docs/RUNBOOK.md, Feed failures)."),
		feedFailures: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "projector", "feed_failures_total"),
			"The feed's failed writes of an act's state to LEX_STATE (one per act and attempt) and failed change notices on lex.changes, by kind: too_large, forbidden, unavailable, other.", []string{"kind"}, nil),
		modelsHeld:    d("projector", "models_held_events", "The events of the acts whose models the projection holds decoded: at most --model-cache, and the act in use."),
		modelsDropped: d("projector", "models_dropped_total", "Act models dropped from the projection's cache of models (--model-cache) since the projector started."),
		modelFolds:    d("projector", "model_folds_total", "Act models folded again from their records, having been dropped, since the projector started: a rate near the event rate says the cache is too small for the load."),
		frozenBytes:   d("projector", "frozen_models_bytes", "The bytes of the encodings of dropped act models that the projection keeps (frozen), to decode them when asked instead of folding their acts again."),
		modelThaws:    d("projector", "model_thaws_total", "Act models decoded from their frozen encodings, having been dropped, since the projector started: each a fold of the act's records saved."),
		recordFolds: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "projector", "record_events_total"),
			"Record events (corrections and retractions) applied since the projector started, by outcome: kept (the act's model stayed as it was: the event corrected reads the same to the fold) or folded (the act was folded again from its records).", []string{"outcome"}, nil),
		defectsByReason: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "projector", "defects_by_reason"),
			"lex_projector_defects by reason: unreadable, unknown_schema, invalid, hash_mismatch, subject_mismatch, chain_broken, duplicate_id.", []string{"reason"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.up
	ch <- c.lastSeq
	if c.proj != nil {
		for _, d := range []*prometheus.Desc{c.applied, c.appliedRecord, c.lagEvents, c.lagSeconds, c.ready, c.replayTarget, c.replayProgress, c.defects, c.defectsByReason, c.refusals, c.conflict, c.witnessed, c.cosignatures, c.witnessAlarm, c.witnessFailures, c.feedFailures, c.feedWaiting, c.modelsHeld, c.modelsDropped, c.modelFolds, c.recordFolds, c.frozenBytes, c.modelThaws} {
			ch <- d
		}
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	last, err := c.stream.LastSeq(ctx)
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	if err != nil {
		gauge(c.up, 0)
	} else {
		gauge(c.up, 1)
		gauge(c.lastSeq, float64(last))
	}
	if c.proj == nil {
		return
	}
	st := c.proj.Status()
	gauge(c.applied, float64(st.AppliedSeq))
	if !st.AppliedTime.IsZero() {
		gauge(c.appliedRecord, float64(st.AppliedTime.UnixNano())/1e9)
	}
	gauge(c.ready, boolFloat(st.Ready))
	gauge(c.replayTarget, float64(st.ReplayTo))
	gauge(c.replayProgress, st.ReplayProgress())
	gauge(c.defects, float64(st.DefectCount()))
	ch <- prometheus.MustNewConstMetric(c.refusals, prometheus.CounterValue, float64(st.CheckpointRefusals))
	gauge(c.conflict, boolFloat(st.CheckpointConflict != ""))
	gauge(c.witnessed, boolFloat(st.Witnessed))
	gauge(c.cosignatures, float64(st.Cosignatures))
	gauge(c.witnessAlarm, boolFloat(st.WitnessAlarm != ""))
	for k, n := range st.WitnessFailures {
		ch <- prometheus.MustNewConstMetric(c.witnessFailures, prometheus.CounterValue, float64(n), k.Witness, k.Kind)
	}
	for _, k := range projector.FeedFailureKinds {
		ch <- prometheus.MustNewConstMetric(c.feedFailures, prometheus.CounterValue, float64(st.FeedFailures[k]), k)
	}
	gauge(c.feedWaiting, float64(st.FeedWaiting))
	gauge(c.modelsHeld, float64(st.ModelsHeld))
	ch <- prometheus.MustNewConstMetric(c.modelsDropped, prometheus.CounterValue, float64(st.ModelsDropped))
	ch <- prometheus.MustNewConstMetric(c.modelFolds, prometheus.CounterValue, float64(st.ModelFolds))
	gauge(c.frozenBytes, float64(st.FrozenBytes))
	ch <- prometheus.MustNewConstMetric(c.modelThaws, prometheus.CounterValue, float64(st.ModelThaws))
	ch <- prometheus.MustNewConstMetric(c.recordFolds, prometheus.CounterValue, float64(st.RecordsKept), "kept")
	ch <- prometheus.MustNewConstMetric(c.recordFolds, prometheus.CounterValue, float64(st.RecordRefolds), "folded")
	for _, r := range eventlog.Reasons {
		ch <- prometheus.MustNewConstMetric(c.defectsByReason, prometheus.GaugeValue, float64(st.Defects[r]), string(r))
	}
	if err != nil {
		return // no lag without the stream's position
	}
	var behind uint64
	if last > st.AppliedSeq {
		behind = last - st.AppliedSeq
	}
	gauge(c.lagEvents, float64(behind))
	lag := 0.0
	if behind > 0 {
		since := st.AppliedTime
		if since.IsZero() {
			since = st.Since
		}
		if !since.IsZero() {
			lag = max(0, c.now().Sub(since).Seconds())
		}
	}
	gauge(c.lagSeconds, lag)
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
