package jepsen

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"
)

// Kind is what an operation does to an act.
type Kind int

// The kinds of operation.
const (
	Append Kind = iota // record one event
	Read               // read the act's history
)

// Result is how an operation ended.
type Result int

// The results. Unknown is a timeout or an unavailable store: the append
// may have taken effect or not, and the checker allows both.
const (
	OK Result = iota
	Conflict
	Unknown
)

func (r Result) String() string {
	return [...]string{"ok", "conflict", "unknown"}[r]
}

// Op is one operation as a clerk saw it: its call, its return and what it
// returned. Times are nanoseconds since the run started.
type Op struct {
	Client int
	Act    string
	Kind   Kind
	ID     string // the event's id, for an append
	// Expect is the act's version the append expects, -1 for none.
	Expect int
	Result Result
	// Version is an acknowledged append's version (the receipt's), or the
	// number of events a read saw.
	Version int
	Seq     uint64 // an acknowledged append's stream sequence
	Dup     bool   // the receipt said Duplicate
	// Landed marks an unanswered append that Resolve found in its act's
	// final history, its Version then the one it has there.
	Landed bool
	Events []string // what a read returned, in order
	Call   int64
	Return int64 // math.MaxInt64 while no answer came (Unknown)
	// Answered is when the call came back, even for Unknown (its error
	// then in Err).
	Answered int64
	Err      string
}

// History records operations from many goroutines.
type History struct {
	start time.Time
	mu    sync.Mutex
	ops   []Op
}

// NewHistory starts a history; its times count from now.
func NewHistory() *History { return &History{start: time.Now()} }

// Since is the time t in the history's nanoseconds.
func (h *History) Since(t time.Time) int64 { return t.Sub(h.start).Nanoseconds() }

// Now is the current time in the history's nanoseconds.
func (h *History) Now() int64 { return h.Since(time.Now()) }

// Add records op; an Unknown op is given an infinite return time.
func (h *History) Add(op Op) {
	op.Answered = op.Return
	if op.Result == Unknown {
		op.Return = math.MaxInt64
	}
	h.mu.Lock()
	h.ops = append(h.ops, op)
	h.mu.Unlock()
}

// Ops returns the operations recorded, in order of call.
func (h *History) Ops() []Op {
	h.mu.Lock()
	ops := append([]Op(nil), h.ops...)
	h.mu.Unlock()
	sort.SliceStable(ops, func(i, j int) bool { return ops[i].Call < ops[j].Call })
	return ops
}

// Counts is how many operations ended each way, by kind.
type Counts struct {
	Appends, AppendsOK, Duplicates, Conflicts, AppendsUnknown int
	// Contended counts the conflicts of appends without an expectation:
	// refused after the act kept changing under them.
	Contended                    int
	Reads, ReadsOK, ReadsUnknown int
}

// Count counts ops.
func Count(ops []Op) Counts {
	var c Counts
	for _, o := range ops {
		if o.Kind == Read {
			c.Reads++
			if o.Result == OK {
				c.ReadsOK++
			} else {
				c.ReadsUnknown++
			}
			continue
		}
		c.Appends++
		switch o.Result {
		case OK:
			c.AppendsOK++
			if o.Dup {
				c.Duplicates++
			}
		case Conflict:
			c.Conflicts++
			if o.Expect < 0 {
				c.Contended++
			}
		default:
			c.AppendsUnknown++
		}
	}
	return c
}

func (o Op) String() string {
	var b strings.Builder
	if o.Kind == Read {
		b.WriteString("read")
		if o.Result == OK {
			fmt.Fprintf(&b, " -> %d events", len(o.Events))
		} else {
			b.WriteString(" -> unknown")
		}
		return b.String()
	}
	fmt.Fprintf(&b, "append %s", short(o.ID))
	if o.Expect >= 0 {
		fmt.Fprintf(&b, " at v%d", o.Expect)
	}
	switch o.Result {
	case OK:
		fmt.Fprintf(&b, " -> ok v%d", o.Version)
		if o.Dup {
			b.WriteString(" (duplicate)")
		}
		if o.Landed {
			b.WriteString(" (unanswered, found there after the run)")
		}
	default:
		fmt.Fprintf(&b, " -> %s", o.Result)
	}
	return b.String()
}

// short is the end of an event id, enough to tell ids apart in a picture.
func short(id string) string {
	if len(id) > 6 {
		return "…" + id[len(id)-6:]
	}
	return id
}

// Compact merges each run of retries of one append (one client, one event
// id) that ended acknowledged into one operation, called when the first
// try was and returning when the acknowledgement came. The tries before
// were unknown: the event landed once (ids are idempotency keys), at the
// version the last receipt says, somewhere between the first call and the
// last return, which is exactly what the merged operation claims. Unknown
// tries without a later acknowledgement are kept, with their infinite
// return times. Porcupine's search grows with the operations that overlap,
// and an unknown try overlaps everything after it.
func Compact(ops []Op) []Op {
	type key struct {
		client int
		id     string
	}
	first := map[key]int64{} // the call of the first unknown try
	acked := map[key]bool{}  // an acknowledgement followed
	for _, o := range ops {
		if o.Kind != Append {
			continue
		}
		k := key{o.Client, o.ID}
		if o.Result == OK {
			acked[k] = true
		}
	}
	out := make([]Op, 0, len(ops))
	for _, o := range ops {
		k := key{o.Client, o.ID}
		if o.Kind != Append || !acked[k] {
			out = append(out, o)
			continue
		}
		switch o.Result {
		case Unknown:
			if _, ok := first[k]; !ok {
				first[k] = o.Call
			}
		case OK:
			if c, ok := first[k]; ok {
				o.Call = c
				delete(first, k)
			}
			out = append(out, o)
		default:
			out = append(out, o)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Call < out[j].Call })
	return out
}

// Resolved says what Resolve did with the unknown outcomes.
type Resolved struct {
	Landed  int // unknown appends whose event the final history holds
	Dropped int // unknown appends whose event it does not hold, and unknown reads
}

// Resolve settles the unknown outcomes of ops (after Compact) against
// finals, each act's final history as a read, which the check also gets.
// An unknown append whose event the act's final history does not hold
// took no effect, in every order that ends in that history, so it is
// dropped, as are unknown reads, which match any state. One whose event
// the history holds at version v landed there, once, during one of its
// tries: the tries become one append answered ok at v, called when the
// first was and still without a return. The verdict is the same as for
// ops, for any history ending in finals; the search is not: each unknown
// append can be ordered anywhere after its call, and porcupine tries
// both of its outcomes at every place.
func Resolve(ops, finals []Op) ([]Op, Resolved) {
	version := map[string]map[string]int{} // act, id: version
	for _, f := range finals {
		m := map[string]int{}
		for i, id := range f.Events {
			m[id] = i + 1
		}
		version[f.Act] = m
	}
	type key struct {
		client int
		id     string
	}
	seen := map[key]bool{}
	var r Resolved
	out := make([]Op, 0, len(ops))
	for _, o := range ops {
		if o.Result != Unknown {
			out = append(out, o)
			continue
		}
		if o.Kind == Read {
			r.Dropped++
			continue
		}
		v, ok := version[o.Act][o.ID]
		if !ok {
			r.Dropped++
			continue
		}
		k := key{o.Client, o.ID}
		if seen[k] {
			continue // a later try of an append kept already
		}
		seen[k] = true
		r.Landed++
		o.Result, o.Version, o.Landed = OK, v, true
		out = append(out, o)
	}
	return out, r
}
