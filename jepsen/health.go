package jepsen

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
	"time"
)

// Probe is one readiness check of a server, as its /readyz answers it.
type Probe struct {
	Who   string // "ledger-0", "projector"
	Call  int64  // the history's nanoseconds
	Took  time.Duration
	Ready bool
	Err   string // what the check said was not ready
}

// Probes records probes from many goroutines.
type Probes struct {
	mu  sync.Mutex
	all []Probe
}

// Add records p.
func (ps *Probes) Add(p Probe) {
	ps.mu.Lock()
	ps.all = append(ps.all, p)
	ps.mu.Unlock()
}

// All returns the probes recorded, in order of call.
func (ps *Probes) All() []Probe {
	ps.mu.Lock()
	out := append([]Probe(nil), ps.all...)
	ps.mu.Unlock()
	sort.SliceStable(out, func(i, j int) bool { return out[i].Call < out[j].Call })
	return out
}

// Never is Readiness.Recovered when no probe said ready again.
const Never = time.Duration(math.MaxInt64)

// Outage is a span in which no append can land: a quorum of the stream's
// replicas is down, From to Healed (history nanoseconds).
type Outage struct {
	From, Healed int64
	// Until, when set, is where the next fault begins: no probe after it
	// counts for this one.
	Until int64
}

// Readiness is what the probes of one server said around one outage.
type Readiness struct {
	Who string
	// NotReady is how long after the outage began the first probe called
	// then said not ready; Ready how long after healing the first probe
	// called then said ready. Negative: never.
	NotReady, Ready time.Duration
	// Recovered is when a probe first said ready after the last that said
	// not ready (from the outage's beginning to bound after its healing),
	// relative to the healing: negative when before it; Never when no
	// probe did. Meaningless when NotReady is negative.
	Recovered time.Duration
	// Lies counts the probes that said ready while no append could land
	// (from the notice after the outage began to its healing), of Probes.
	Lies, Probes int
}

// CheckReadiness checks each server's probes around outage o: from
// notice after the outage began until it healed, every probe must say not
// ready (the cluster has had time to notice); once appends land again
// (resumed, in the history's nanoseconds; negative: never), a probe must
// say ready within bound. It returns what it measured and the findings.
func CheckReadiness(probes []Probe, o Outage, notice, bound time.Duration, resumed int64) ([]Readiness, []string) {
	by := map[string][]Probe{}
	var who []string
	for _, p := range probes {
		if _, ok := by[p.Who]; !ok {
			who = append(who, p.Who)
		}
		by[p.Who] = append(by[p.Who], p)
	}
	sort.Strings(who)
	var out []Readiness
	var findings []string
	for _, w := range who {
		r := Readiness{Who: w, NotReady: -1, Ready: -1}
		var last int64 // the last probe's call
		lastNot := int64(-1)
		r.Recovered = Never
		end := o.Healed + bound.Nanoseconds()
		if o.Until > 0 {
			end = min(end, o.Until)
		}
		for _, p := range by[w] {
			if !p.Ready && p.Call >= o.From && p.Call <= end {
				lastNot = p.Call
			}
		}
		for _, p := range by[w] {
			if lastNot >= 0 && p.Call > lastNot && p.Ready && r.Recovered == Never && (o.Until == 0 || p.Call < o.Until) {
				r.Recovered = time.Duration(p.Call - o.Healed)
			}
			last = max(last, p.Call)
			if p.Call >= o.From && p.Call < o.Healed && !p.Ready && r.NotReady < 0 {
				r.NotReady = time.Duration(p.Call - o.From)
			}
			if p.Call >= o.From+notice.Nanoseconds() && p.Call+p.Took.Nanoseconds() <= o.Healed {
				r.Probes++
				if p.Ready {
					r.Lies++
				}
			}
			if p.Call >= o.Healed && p.Ready && r.Ready < 0 {
				r.Ready = time.Duration(p.Call - o.Healed)
			}
		}
		if r.Lies > 0 {
			findings = append(findings, fmt.Sprintf("%s said ready %d times of %d from %s after the quorum was lost to its healing, while no append could land", w, r.Lies, r.Probes, notice))
		}
		if r.Probes == 0 {
			findings = append(findings, fmt.Sprintf("%s: no probe answered within the quorum loss, from %s after it began to its healing: its readiness is not shown", w, notice))
		}
		if resumed >= 0 {
			due := resumed + bound.Nanoseconds()
			if (r.Ready < 0 && last > due) || (r.Ready >= 0 && o.Healed+r.Ready.Nanoseconds() > due) {
				findings = append(findings, fmt.Sprintf("%s still not ready %s after appends landed again (%s after the quorum came back)",
					w, bound, time.Duration(resumed-o.Healed).Round(time.Millisecond)))
			}
		}
		out = append(out, r)
	}
	return out, findings
}

// Gap is a span in which no append through one ledger was acknowledged,
// though its clerks kept trying, and what that ledger's readiness said
// in it, from the notice after it began (history nanoseconds).
type Gap struct {
	Who           string
	From, To      int64
	Probes, Ready int
}

// Gaps finds, for the server who, the spans longer than notice between
// consecutive acknowledgements of appends through it (acks, their return
// times), and counts its probes in each from notice after it began to
// margin before its end. A gap whose every such probe said ready is a
// lie: the ledger said ready for the whole window while none of its
// appends could land. The margin is a write's timeout: the append that
// ends the gap may have been sent that long before it landed, so a ready
// probe then is borne out, not contradicted.
func Gaps(probes []Probe, who string, acks []int64, notice, margin time.Duration) (gaps []Gap, findings []string) {
	acks = append([]int64(nil), acks...)
	slices.Sort(acks)
	for i := 1; i < len(acks); i++ {
		a, b := acks[i-1], acks[i]
		if b-a <= notice.Nanoseconds() {
			continue
		}
		g := Gap{Who: who, From: a, To: b}
		for _, p := range probes {
			if p.Who == who && p.Call >= a+notice.Nanoseconds() && p.Call+p.Took.Nanoseconds() <= b-margin.Nanoseconds() {
				g.Probes++
				if p.Ready {
					g.Ready++
				}
			}
		}
		gaps = append(gaps, g)
		if g.Probes > 0 && g.Ready == g.Probes {
			findings = append(findings, fmt.Sprintf("%s said ready in all %d probes from %s after its last acknowledged append (at %.3fs) to %s before its next, %s later, while none of its appends landed",
				who, g.Probes, notice, float64(a)/1e9, margin, time.Duration(b-a).Round(time.Millisecond)))
		}
	}
	return gaps, findings
}
