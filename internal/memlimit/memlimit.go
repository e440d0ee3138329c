// Package memlimit bounds the resident memory of a long-running service
// through the Go runtime's soft memory limit (runtime/debug.SetMemoryLimit).
//
// At its default the Go collector lets the heap grow to twice what is live
// before it collects, and it gives freed pages back to the system slowly:
// after importing a million events `ledger serve` held 2.2 GiB resident
// for 0.7 GiB live (BENCHMARKS.md, A memory limit that follows the live
// heap). A memory limit makes the collector run before the process
// exceeds it and the runtime return freed pages to stay under it. A fixed
// limit near or under what is live makes the collector run without end
// and stalls the service, so the default, Auto, follows the live heap: after
// each collection the limit becomes the live heap times Headroom plus
// Slack, never less than Floor.
package memlimit

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	// Headroom is what the limit allows above the live heap, as a
	// fraction of it: the collector runs as with GOGC=50, and the runtime
	// keeps no more than that.
	Headroom = 0.5
	// Slack is added to the limit for what the runtime holds besides the
	// heap (stacks, its own metadata) and for a burst between two
	// collections.
	Slack = 128 << 20
	// Floor is the least limit Auto sets: below it a small process
	// gains nothing from collecting more often.
	Floor = 256 << 20
	// every is how often Auto looks for a collection since its last.
	every = 100 * time.Millisecond
)

// Setting is a parsed --memory-limit: Auto, Off, or a fixed number of bytes.
type Setting struct {
	Auto  bool
	Bytes int64 // a fixed limit when > 0
}

// Off leaves the runtime's limit alone (GOMEMLIMIT, or none).
var Off = Setting{}

// Auto is the limit that follows the live heap.
var Auto = Setting{Auto: true}

// Usage describes the flag's values, for a command's help.
const Usage = "bound the process's memory with the Go runtime's soft limit: 'auto' follows the live heap " +
	"(the live heap and half as much again, plus 128 MiB; at least 256 MiB), which holds the resident set near " +
	"one and a half times what is live; a size such as 2GiB or 1500MiB fixes it (a limit under what is live makes " +
	"the collector run without end); 'off' leaves it to $GOMEMLIMIT or Go's default. $GOMEMLIMIT, when set, wins over 'auto'"

// Parse reads "auto", "off", or a size as GOMEMLIMIT takes it: a number of
// bytes with an optional unit B, KiB, MiB, GiB or TiB.
func Parse(s string) (Setting, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "auto":
		return Auto, nil
	case "off":
		return Off, nil
	}
	n, err := parseBytes(strings.TrimSpace(s))
	if err != nil {
		return Off, fmt.Errorf("memory limit %q: %v; give 'auto', 'off' or a size such as 2GiB or 1500MiB", s, err)
	}
	if n < 64<<20 {
		return Off, fmt.Errorf("memory limit %q is under 64 MiB, too little for the service to run: give at least 64MiB, or 'auto'", s)
	}
	return Setting{Bytes: n}, nil
}

func parseBytes(s string) (int64, error) {
	units := []struct {
		suffix string
		scale  int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}
	scale := int64(1)
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			s, scale = num, u.scale
			break
		}
	}
	if s == "" {
		return 0, fmt.Errorf("no number")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("not a size (units: B, KiB, MiB, GiB, TiB)")
	}
	if f*float64(scale) >= math.MaxInt64 {
		return 0, fmt.Errorf("too large")
	}
	return int64(f * float64(scale)), nil
}

// Follow returns the limit Auto sets for a live heap of live bytes.
func Follow(live uint64) int64 {
	l := int64(float64(live)*(1+Headroom)) + Slack
	return max(l, Floor)
}

// Apply puts s into effect until ctx ends, and says so in log. Off does
// nothing. The services of one process (tests run many) share the limit:
// a fixed limit wins over Auto while it is in force, the fixed limit
// applied last over those before it; Auto follows the live heap while no
// fixed limit is in force, unless $GOMEMLIMIT is set, which it leaves in
// force. When the last of them ends, the limit found before the first is
// put back.
func Apply(ctx context.Context, s Setting, log *slog.Logger) {
	switch {
	case s.Bytes > 0:
		st.Lock()
		st.enter()
		st.fixed = append(st.fixed, s.Bytes)
		st.settle()
		st.Unlock()
		log.Info("memory limit set", "bytes", s.Bytes)
		context.AfterFunc(ctx, func() {
			st.Lock()
			defer st.Unlock()
			i := slices.Index(st.fixed, s.Bytes)
			st.fixed = slices.Delete(st.fixed, i, i+1)
			st.settle()
		})
	case s.Auto:
		if env := os.Getenv("GOMEMLIMIT"); env != "" {
			log.Info("memory limit left to $GOMEMLIMIT", "GOMEMLIMIT", env)
			return
		}
		st.Lock()
		st.enter()
		st.auto++
		if st.auto == 1 {
			st.stop = make(chan struct{})
			go follow(st.stop)
		}
		st.settle()
		st.Unlock()
		log.Info("memory limit follows the live heap", "headroom", Headroom, "slack_bytes", Slack, "floor_bytes", Floor)
		context.AfterFunc(ctx, func() {
			st.Lock()
			defer st.Unlock()
			if st.auto--; st.auto == 0 {
				close(st.stop) // the follower sets nothing more: it checks stop under the lock
			}
			st.settle()
		})
	}
}

// limits is the process's memory limit as Apply manages it.
type limits struct {
	sync.Mutex
	before int64         // the limit found when the first Apply call in force came
	fixed  []int64       // the fixed limits in force, in the order applied
	auto   int           // the Auto calls in force
	live   uint64        // the live heap after the last collection the follower saw
	stop   chan struct{} // closed when the last Auto call ends
}

var st limits

// enter notes the limit in force when no Apply call is, before one
// comes. The caller holds l.
func (l *limits) enter() {
	if len(l.fixed) == 0 && l.auto == 0 {
		l.before = debug.SetMemoryLimit(-1)
	}
}

// settle sets the limit in force: the last fixed one, or the one that
// follows the live heap, or, with no user left, the one found before the
// first. The caller holds l.
func (l *limits) settle() {
	switch {
	case len(l.fixed) > 0:
		debug.SetMemoryLimit(l.fixed[len(l.fixed)-1])
	case l.auto > 0:
		if l.live == 0 {
			var ms = []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
			metrics.Read(ms)
			l.live = ms[0].Value.Uint64()
		}
		debug.SetMemoryLimit(Follow(l.live))
	default: // no Apply call in force
		debug.SetMemoryLimit(l.before)
		l.live = 0
	}
}

// follow notes the live heap after each collection, looking every tick,
// and sets the limit from it while no fixed limit is in force, until stop
// is closed.
func follow(stop <-chan struct{}) {
	samples := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}, {Name: "/gc/heap/live:bytes"}}
	var cycles uint64
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		metrics.Read(samples)
		c := samples[0].Value.Uint64()
		if c == cycles {
			continue
		}
		cycles = c
		st.Lock()
		select {
		case <-stop: // the last Auto call ended: what is in force is settled
		default:
			st.live = samples[1].Value.Uint64()
			st.settle()
		}
		st.Unlock()
	}
}
