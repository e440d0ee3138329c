package memlimit

import (
	"context"
	"io"
	"log/slog"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Setting
	}{
		{"auto", Auto},
		{" AUTO ", Auto},
		{"off", Off},
		{"2GiB", Setting{Bytes: 2 << 30}},
		{"1.5GiB", Setting{Bytes: 3 << 29}},
		{"1500MiB", Setting{Bytes: 1500 << 20}},
		{"65536KiB", Setting{Bytes: 64 << 20}},
		{"134217728", Setting{Bytes: 128 << 20}},
		{"134217728B", Setting{Bytes: 128 << 20}},
	} {
		got, err := Parse(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, why string }{
		{"", "no number"},
		{"GiB", "no number"},
		{"2GB", "not a size"},
		{"-1GiB", "not a size"},
		{"lots", "not a size"},
		{"1MiB", "under 64 MiB"},
		{"99999999TiB", "too large"},
	} {
		_, err := Parse(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.why) || !strings.Contains(err.Error(), "auto") {
			t.Errorf("Parse(%q) = %v; want an error saying %q and what to give", tc.in, err, tc.why)
		}
	}
}

func TestFollow(t *testing.T) {
	if got := Follow(0); got != Floor {
		t.Errorf("Follow(0) = %d, want the floor %d", got, Floor)
	}
	live := uint64(1 << 30)
	if got, want := Follow(live), int64(3<<29)+Slack; got != want {
		t.Errorf("Follow(1 GiB) = %d, want %d", got, want)
	}
	for _, live := range []uint64{100 << 20, 700 << 20, 5 << 30} {
		if l := Follow(live); l < int64(live)+int64(float64(live)*Headroom) {
			t.Errorf("Follow(%d) = %d leaves less than the headroom", live, l)
		}
	}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// These tests change the process's limit, so none runs in parallel.

func TestApplyFixedAndUndone(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	ctx, cancel := context.WithCancel(context.Background())
	Apply(ctx, Setting{Bytes: 3 << 30}, quiet())
	if got := debug.SetMemoryLimit(-1); got != 3<<30 {
		t.Fatalf("limit %d after a fixed 3 GiB", got)
	}
	cancel()
	waitLimit(t, before)
}

func TestAutoFollowsTheLiveHeap(t *testing.T) {
	before := unlimited(t)
	ctx, cancel := context.WithCancel(context.Background())
	Apply(ctx, Auto, quiet())
	// Hold 400 MiB live, so that the limit must rise above the floor.
	hold := make([][]byte, 400)
	for i := range hold {
		hold[i] = make([]byte, 1<<20)
		hold[i][0] = 1
	}
	want := Follow(400 << 20)
	if got := limitAfterGC(func(l int64) bool { return l >= want }); got < want || got > want+(64<<20) {
		t.Fatalf("limit %d with 400 MiB live, want about %d", got, want)
	}
	runtime.KeepAlive(hold)
	hold = nil
	if got := limitAfterGC(func(l int64) bool { return l < want }); got >= want {
		t.Fatalf("limit %d after the 400 MiB were freed, want it to come down", got)
	}
	cancel()
	waitLimit(t, before)
}

// Two services of one process share the follower: the first to stop
// leaves the limit following for the other, the last puts back the limit
// of before.
func TestAutoSharedByTwoServices(t *testing.T) {
	before := unlimited(t)
	ctx1, cancel1 := context.WithCancel(context.Background())
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	Apply(ctx1, Auto, quiet())
	Apply(ctx2, Auto, quiet())
	cancel1()
	time.Sleep(3 * every)
	if got := debug.SetMemoryLimit(-1); got == math.MaxInt64 {
		t.Fatal("the limit was lifted while a second service still follows the live heap")
	}
	hold := make([]byte, 300<<20)
	hold[0] = 1
	want := Follow(300 << 20)
	if got := limitAfterGC(func(l int64) bool { return l >= want }); got < want {
		t.Fatalf("limit %d with 300 MiB live after the first service stopped, want at least %d", got, want)
	}
	runtime.KeepAlive(hold)
	cancel2()
	waitLimit(t, before)
}

func TestAutoLeavesGOMEMLIMIT(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "5GiB")
	before := debug.SetMemoryLimit(5 << 30) // as the runtime read it at start
	defer debug.SetMemoryLimit(before)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	Apply(ctx, Auto, quiet())
	runtime.GC()
	time.Sleep(3 * every)
	if got := debug.SetMemoryLimit(-1); got != 5<<30 {
		t.Fatalf("limit %d, want GOMEMLIMIT's 5 GiB left in force", got)
	}
}

// A fixed limit wins over Auto while it is in force, the last fixed over
// those before it, whatever order they end in; Auto follows again after
// them, and the last to end puts back the limit of before.
func TestFixedAndAutoTogether(t *testing.T) {
	before := unlimited(t)
	auto, endAuto := context.WithCancel(context.Background())
	defer endAuto()
	Apply(auto, Auto, quiet())
	fixed1, end1 := context.WithCancel(context.Background())
	fixed2, end2 := context.WithCancel(context.Background())
	defer end1()
	defer end2()
	Apply(fixed1, Setting{Bytes: 3 << 30}, quiet())
	Apply(fixed2, Setting{Bytes: 2 << 30}, quiet())
	runtime.GC()
	time.Sleep(3 * every) // a collection the follower sees must not undo them
	if got := debug.SetMemoryLimit(-1); got != 2<<30 {
		t.Fatalf("limit %d with two fixed limits in force, want the last, 2 GiB", got)
	}
	end1() // the first fixed ends first: the last stays
	waitLimit(t, 2<<30)
	end2()
	if got := limitAfterGC(func(l int64) bool { return l < 2<<30 }); got >= 2<<30 || got < Floor {
		t.Fatalf("limit %d once the fixed limits ended, want Auto's again", got)
	}
	endAuto()
	waitLimit(t, before)
}

// unlimited returns the limit in force, and skips the test when it is
// GOMEMLIMIT's, which Auto leaves alone.
func unlimited(t *testing.T) int64 {
	t.Helper()
	if env := os.Getenv("GOMEMLIMIT"); env != "" {
		t.Skipf("GOMEMLIMIT is set (%s): auto leaves it in force", env)
	}
	return debug.SetMemoryLimit(-1)
}

// limitAfterGC collects, then waits up to ten seconds for the follower to
// set a limit that ok accepts, and returns the limit in force.
func limitAfterGC(ok func(limit int64) bool) int64 {
	runtime.GC()
	deadline := time.Now().Add(10 * time.Second)
	for !ok(debug.SetMemoryLimit(-1)) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	return debug.SetMemoryLimit(-1)
}

func waitLimit(t *testing.T, want int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for debug.SetMemoryLimit(-1) != want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := debug.SetMemoryLimit(-1); got != want {
		t.Fatalf("limit %d once the context ended, want %d back", got, want)
	}
}
