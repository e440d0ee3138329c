package jepsen

import (
	"fmt"
	"strings"
	"time"
)

// Fault is one fault injected during a run.
type Fault struct {
	Kind string // "partition", "kill -9", "pause", "slow link", "quorum loss"
	Node string // the node(s) it struck, with their role
	At   time.Duration
	Held time.Duration
	// Resumed is how long after the fault began the first append called
	// after it was acknowledged; negative when none was.
	Resumed time.Duration
	// Readiness is what each server's readiness said around the fault.
	Readiness []Readiness
}

// Report is what a run found.
type Report struct {
	Name     string
	Duration time.Duration
	Faults   []Fault
	Counts   Counts
	Acts     int
	LastSeq  uint64
	// Appends is porcupine's verdict on the appends and the final
	// histories; All adds the reads of histories during the run.
	Appends, All Verdict
	// Resolved is what the check learnt of the unknown outcomes from the
	// final histories (Resolve).
	Resolved Resolved
	// StaleReads counts the reads that missed an event acknowledged
	// before they were called.
	StaleReads int
	// Probes counts the readiness probes; ViewQuestions the questions put
	// to both the live projector and the one rebuilt after healing, and
	// ViewDiffs those they answered differently (also in Problems).
	Probes, ViewQuestions int
	ViewDiffs             []string
	// Gaps are the spans longer than the readiness notice in which no
	// append through a ledger landed, with what its readiness said.
	Gaps []Gap
	// ProjectorStops says when and why the live projector's Run stopped
	// (it was restarted from its snapshot, as a supervisor restarts
	// `projector serve`).
	ProjectorStops []string
	// RecordTimes says, for each ledger, how its record times ran against
	// the server's.
	RecordTimes []string
	// Problems lists every check that failed, empty when all held; Open
	// the failures of the findings still open (RELIABILITY.md).
	Problems, Open []string
}

// ResumeAfter is when the first append called at or after from was
// acknowledged, relative to from; -1 when none was.
func ResumeAfter(ops []Op, from int64) time.Duration {
	best := int64(-1)
	for _, o := range ops {
		if o.Kind == Append && o.Result == OK && o.Call >= from && (best < 0 || o.Return < best) {
			best = o.Return
		}
	}
	if best < 0 {
		return -1
	}
	return time.Duration(best - from)
}

func (r Report) String() string {
	var b strings.Builder
	w := func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }
	w("Jepsen-style run %q: %s, %d acts, stream at sequence %d\n", r.Name, r.Duration.Round(time.Millisecond), r.Acts, r.LastSeq)
	w("\nfaults:\n| fault | node | at | held | appends resumed after |\n|---|---|---:|---:|---:|\n")
	for _, f := range r.Faults {
		resumed := "never"
		if f.Resumed >= 0 {
			resumed = f.Resumed.Round(10 * time.Millisecond).String()
		}
		w("| %s | %s | %s | %s | %s |\n", f.Kind, f.Node, f.At.Round(time.Millisecond), f.Held.Round(time.Millisecond), resumed)
	}
	if r.Probes > 0 {
		w("\nreadiness (%d probes, every 250ms): first not ready, after the fault began / ready again, after (+) or before (-) the healing\n| fault |", r.Probes)
		for _, x := range r.Faults[0].Readiness {
			w(" %s |", x.Who)
		}
		w("\n|---|%s\n", strings.Repeat("---:|", len(r.Faults[0].Readiness)))
		for _, f := range r.Faults {
			w("| %s |", f.Kind)
			for _, x := range f.Readiness {
				switch {
				case x.NotReady < 0:
					w(" always ready |")
				case x.Recovered == Never:
					w(" %s / never |", span(x.NotReady))
				default:
					w(" %s / %+.2fs |", span(x.NotReady), x.Recovered.Seconds())
				}
			}
			w("\n")
		}
	}
	for _, g := range r.Gaps {
		w("%s: no append landed from %.3fs to %.3fs (%s); ready in %d of its %d probes from the notice on\n",
			g.Who, float64(g.From)/1e9, float64(g.To)/1e9, time.Duration(g.To-g.From).Round(time.Millisecond), g.Ready, g.Probes)
	}
	c := r.Counts
	w("\noperations: %d appends (%d ok, of which %d duplicates of a retry; %d conflicts, of which %d without an expectation; %d unknown), %d reads (%d ok, %d failed)\n",
		c.Appends, c.AppendsOK, c.Duplicates, c.Conflicts, c.Contended, c.AppendsUnknown, c.Reads, c.ReadsOK, c.ReadsUnknown)
	verdict := func(name string, v Verdict) {
		w("%s: %s (%d operations, checked in %s)", name, v.Result, v.Ops, v.Took.Round(time.Millisecond))
		if v.HTML != "" {
			w("; visualisation: %s", v.HTML)
		}
		w("\n")
	}
	w("unknown outcomes settled by the final histories: %d appends landed, %d appends and unknown reads took no effect\n", r.Resolved.Landed, r.Resolved.Dropped)
	verdict("linearizable, appends and final histories", r.Appends)
	verdict("linearizable, with the reads during the run", r.All)
	w("stale reads (missed an event acknowledged before the read was called): %d of %d\n", r.StaleReads, c.ReadsOK)
	w("views: %d questions to the live projector and to one rebuilt from the stream after healing, %d answered differently\n", r.ViewQuestions, len(r.ViewDiffs))
	if len(r.ProjectorStops) == 0 {
		w("the live projector followed the stream through every fault without stopping\n")
	} else {
		w("the live projector stopped %d times (restarted from its snapshot):\n", len(r.ProjectorStops))
		for _, s := range r.ProjectorStops {
			w("- %s\n", s)
		}
	}
	w("record times:\n")
	for _, s := range r.RecordTimes {
		w("- %s\n", s)
	}
	if len(r.Open) > 0 {
		w("open findings seen (RELIABILITY.md, Jepsen-style runs):\n")
		for _, p := range r.Open {
			w("- %s\n", p)
		}
	}
	if len(r.Problems) == 0 {
		w("after healing: every acknowledged event in its act once at its receipt's place, no gap, server record times in stream order, record times increasing within each act, chains intact, every read a prefix of the final history, the live projector's views those of a rebuild\n")
	} else {
		w("after healing, %d problems:\n", len(r.Problems))
		for _, p := range r.Problems {
			w("- %s\n", p)
		}
	}
	return b.String()
}

// StaleReads counts the reads in ops that missed an append of their act
// acknowledged before the read was called.
func StaleReads(ops []Op) int {
	n := 0
	for _, r := range ops {
		if r.Kind != Read || r.Result != OK {
			continue
		}
		saw := map[string]bool{}
		for _, id := range r.Events {
			saw[id] = true
		}
		for _, a := range ops {
			if a.Kind == Append && a.Result == OK && a.Act == r.Act && a.Return < r.Call && !saw[a.ID] {
				n++
				break
			}
		}
	}
	return n
}

// span is a duration of the readiness table: "never" when negative.
func span(d time.Duration) string {
	if d < 0 {
		return "never"
	}
	return d.Round(10 * time.Millisecond).String()
}
