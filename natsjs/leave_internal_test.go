package natsjs

import (
	"testing"
	"time"
)

// A connection leaves its server once writes have failed unanswered for
// LeaveAfter, not sooner, not again within LeaveAfter, and an answered
// write starts the count again.
func TestLeaver(t *testing.T) {
	var l leaver
	t0 := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	steps := []struct {
		at         time.Duration
		unanswered bool
		leave      bool
	}{
		{0, true, false},                        // failures begin
		{3 * time.Second, true, false},          // not yet
		{LeaveAfter - 1, true, false},           // not yet
		{LeaveAfter, true, true},                // leave
		{LeaveAfter + time.Second, true, false}, // just left
		{2*LeaveAfter - 1, true, false},
		{2 * LeaveAfter, true, true},               // still failing: leave again
		{2*LeaveAfter + time.Second, false, false}, // an answer
		{3*LeaveAfter + time.Second, true, false},  // failures begin again
		{4 * LeaveAfter, true, false},
		{4*LeaveAfter + time.Second, true, true},
	}
	for i, s := range steps {
		if got := l.note(s.unanswered, at(s.at), at(s.at)); got != s.leave {
			t.Fatalf("step %d (at %s, unanswered %v): leave %v, want %v", i, s.at, s.unanswered, got, s.leave)
		}
	}
	if l.count != 3 {
		t.Errorf("left %d times, want 3", l.count)
	}

	// A write that failed after a 3 s timeout counts from when it was
	// sent: the connection leaves LeaveAfter after the first was sent.
	var m leaver
	if m.note(true, at(0), at(3*time.Second)) {
		t.Fatal("left on the first failure")
	}
	if !m.note(true, at(3*time.Second), at(LeaveAfter)) {
		t.Error("did not leave LeaveAfter after the first failed write was sent")
	}
}
