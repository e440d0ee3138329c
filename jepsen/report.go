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
	if len(r.Open) > 0 {
		w("open findings seen (RELIABILITY.md, Jepsen-style runs):\n")
		for _, p := range r.Open {
			w("- %s\n", p)
		}
	}
	if len(r.Problems) == 0 {
		w("after healing: every acknowledged event in its act once at its receipt's place, no gap, server record times in stream order, chains intact, every read a prefix of the final history\n")
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
