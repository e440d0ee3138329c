package jepsen_test

import (
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/jepsen"
)

// The readiness check passes a server that says not ready while the
// quorum is lost and ready soon after appends land again, and bites on
// one that says ready throughout, or stays not ready.
func TestCheckReadiness(t *testing.T) {
	s := int64(time.Second)
	o := jepsen.Outage{From: 10 * s, Healed: 25 * s}
	resumed := 28 * s
	// probes every 250 ms from 0 to 60 s, ready as ready(t) says.
	probes := func(who string, ready func(at int64) bool) []jepsen.Probe {
		var out []jepsen.Probe
		for at := int64(0); at < 60*s; at += s / 4 {
			out = append(out, jepsen.Probe{Who: who, Call: at, Took: time.Millisecond, Ready: ready(at)})
		}
		return out
	}
	truthful := func(at int64) bool { return at < 12*s || at >= 27*s }
	for _, tt := range []struct {
		name  string
		ready func(at int64) bool
		want  string // in a finding; "" for none
	}{
		{"OK", truthful, ""},
		{"OK ready before appends resumed", func(at int64) bool { return at < 12*s || at >= 25*s }, ""},
		{"ErrReadyThroughout", func(int64) bool { return true }, "said ready 36 times of 36"},
		{"ErrReadyOnce", func(at int64) bool { return truthful(at) || at == 20*s }, "said ready 1 times"},
		{"ErrNeverReadyAgain", func(at int64) bool { return at < 12*s }, "still not ready 20s after appends landed again"},
		{"ErrLateReady", func(at int64) bool { return at < 12*s || at >= 50*s }, "still not ready"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rs, findings := jepsen.CheckReadiness(probes("ledger-0", tt.ready), o, 6*time.Second, 20*time.Second, resumed)
			got := strings.Join(findings, "\n")
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Fatalf("findings %q, want one with %q", got, tt.want)
			}
			if len(rs) != 1 || rs[0].Who != "ledger-0" {
				t.Fatalf("readiness %+v, want ledger-0's", rs)
			}
			if tt.name == "OK" && (rs[0].NotReady != 2*time.Second || rs[0].Ready != 2*time.Second || rs[0].Recovered != 2*time.Second) {
				t.Errorf("not ready %s after the fault, ready %s after healing, recovered at %s, want 2s each", rs[0].NotReady, rs[0].Ready, rs[0].Recovered)
			}
			if tt.name == "ErrNeverReadyAgain" && rs[0].Recovered != jepsen.Never {
				t.Errorf("recovered at %s, want never", rs[0].Recovered)
			}
		})
	}
}

// Recovery is measured up to the next fault: a server not ready again
// in it does not move the recovery from this one.
func TestCheckReadinessUntilNextFault(t *testing.T) {
	s := int64(time.Second)
	var probes []jepsen.Probe
	for at := int64(0); at < 60*s; at += s / 4 {
		ready := at < 12*s || at >= 27*s && at < 38*s || at >= 40*s
		probes = append(probes, jepsen.Probe{Who: "ledger-0", Call: at, Took: time.Millisecond, Ready: ready})
	}
	o := jepsen.Outage{From: 10 * s, Healed: 25 * s}
	rs, _ := jepsen.CheckReadiness(probes, o, 6*time.Second, 20*time.Second, 28*s)
	if rs[0].Recovered != 40*time.Second-25*time.Second {
		t.Fatalf("without the next fault: recovered %s after healing, want 15s (after the next spell)", rs[0].Recovered)
	}
	o.Until = 35 * s
	rs, _ = jepsen.CheckReadiness(probes, o, 6*time.Second, 20*time.Second, 28*s)
	if rs[0].Recovered != 2*time.Second {
		t.Errorf("with the next fault at 35s: recovered %s after healing, want 2s", rs[0].Recovered)
	}
}

// A ledger that said ready while none of its appends landed for longer
// than the notice lies; one that said not ready in that window does not.
func TestGaps(t *testing.T) {
	s := int64(time.Second)
	acks := []int64{1 * s, 2 * s, 3 * s, 15 * s, 16 * s} // none from 3 s to 15 s
	probes := func(ready func(at int64) bool) []jepsen.Probe {
		var out []jepsen.Probe
		for at := int64(0); at < 20*s; at += s / 4 {
			out = append(out, jepsen.Probe{Who: "ledger-0", Call: at, Took: time.Millisecond, Ready: ready(at)})
			out = append(out, jepsen.Probe{Who: "ledger-1", Call: at, Took: time.Millisecond, Ready: true})
		}
		return out
	}
	gaps, findings := jepsen.Gaps(probes(func(int64) bool { return true }), "ledger-0", acks, 6*time.Second, 3*time.Second)
	if len(gaps) != 1 || gaps[0].From != 3*s || gaps[0].To != 15*s || gaps[0].Probes != 12 || gaps[0].Ready != 12 {
		t.Fatalf("gaps %+v, want one from 3s to 15s with 12 probes from 9s to 12s, all ready", gaps)
	}
	if len(findings) != 1 || !strings.Contains(findings[0], "ledger-0 said ready in all 12 probes") {
		t.Errorf("findings %q, want the lie of ledger-0", findings)
	}
	// A gap of 8 s, ready throughout: the probes from 6 s on fall within
	// the write timeout before the append that ended it.
	short := []int64{1 * s, 9 * s}
	if _, findings := jepsen.Gaps(probes(func(int64) bool { return true }), "ledger-0", short, 6*time.Second, 3*time.Second); len(findings) != 0 {
		t.Errorf("findings %q for a gap no longer than notice and margin, want none", findings)
	}
	_, findings = jepsen.Gaps(probes(func(at int64) bool { return at < 5*s || at > 14*s }), "ledger-0", acks, 6*time.Second, 3*time.Second)
	if len(findings) != 0 {
		t.Errorf("findings %q for a ledger not ready in its gap, want none", findings)
	}
}
