package metrics_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lexledger/lexledger/metrics"
	"github.com/lexledger/lexledger/projector"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

type fixedStream uint64

func (s fixedStream) LastSeq(context.Context) (uint64, error) { return uint64(s), nil }

type fixedProjector projector.Status

func (p fixedProjector) Status() projector.Status { return projector.Status(p) }

// The witnessing metrics: witnessed, cosignatures, the alarm, and the
// failures by witness and kind, in Prometheus's text format.
func TestWitnessMetrics(t *testing.T) {
	reg := metrics.NewRegistry()
	reg.Watch(fixedStream(44), fixedProjector{Ready: true, AppliedSeq: 44, Witnesses: []string{"w1", "w2"}, Witnessed: true, Cosignatures: 2,
		WitnessAlarm: "witness w2: conflict", WitnessFailures: map[projector.WitnessFailure]uint64{{Witness: "w2", Kind: projector.FailConflict}: 3}})
	want := `
# HELP lex_projector_checkpoint_cosignatures The configured witnesses whose cosignature on the latest checkpoint verifies.
# TYPE lex_projector_checkpoint_cosignatures gauge
lex_projector_checkpoint_cosignatures 2
# HELP lex_projector_checkpoint_witnessed 1 when a quorum of the configured witnesses cosigned the latest checkpoint (docs/WITNESS.md); 0 otherwise, or without witnesses.
# TYPE lex_projector_checkpoint_witnessed gauge
lex_projector_checkpoint_witnessed 1
# HELP lex_projector_witness_alarm 1 while a witness refused a checkpoint with evidence that it was shown another tree of this log (a bad consistency proof, an unresolved conflict, a size beyond the tree): /readyz says which and why (docs/RUNBOOK.md, Witness alarm).
# TYPE lex_projector_witness_alarm gauge
lex_projector_witness_alarm 1
`
	if err := testutil.GatherAndCompare(reg.Prometheus(), strings.NewReader(want), "lex_projector_checkpoint_cosignatures", "lex_projector_checkpoint_witnessed", "lex_projector_witness_alarm"); err != nil {
		t.Error(err)
	}
	if got := value(t, reg.Prometheus(), "lex_projector_witness_failures_total", "kind", projector.FailConflict); got != 3 {
		t.Errorf("lex_projector_witness_failures_total{kind=conflict} = %v, want 3", got)
	}
	problems, err := testutil.GatherAndLint(reg.Prometheus())
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range problems {
		if strings.HasPrefix(pr.Metric, "lex_") {
			t.Errorf("lint: %s: %s", pr.Metric, pr.Text)
		}
	}
}
