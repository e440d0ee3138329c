package natsjs

import (
	"testing"
	"time"
)

// A connection leaves its server once writes have failed unanswered for
// LeaveAfter, not sooner, then again after LeaveAfter, twice, four times
// as long while no write is answered; an answered write starts over.
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
		{2 * LeaveAfter, true, true},            // still failing: leave again
		{3 * LeaveAfter, true, false},           // that did not help: wait twice as long
		{4*LeaveAfter - 1, true, false},
		{4 * LeaveAfter, true, true},
		{7 * LeaveAfter, true, false}, // then four times as long
		{8 * LeaveAfter, true, true},
		{8*LeaveAfter + time.Second, false, false}, // an answer: all forgotten
		{9 * LeaveAfter, true, false},              // failures begin again
		{10*LeaveAfter - 1, true, false},
		{10 * LeaveAfter, true, true},
		{11 * LeaveAfter, true, true},
	}
	left := 0
	for i, s := range steps {
		got := l.note(s.unanswered, at(s.at), at(s.at))
		if got != s.leave {
			t.Fatalf("step %d (at %s, unanswered %v): leave %v, want %v", i, s.at, s.unanswered, got, s.leave)
		}
		if got {
			left++
		}
	}
	if left != 6 {
		t.Errorf("left %d times, want 6", left)
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

	// A read sent before an answer that fails after it counts from the
	// answer, not from when it was sent.
	var r leaver
	r.note(false, at(0), at(10*time.Second))
	if r.note(true, at(2*time.Second), at(12*time.Second)) {
		t.Error("left on a call sent before the last answer")
	}
	if !r.note(true, at(13*time.Second), at(10*time.Second+LeaveAfter)) {
		t.Error("did not leave LeaveAfter after the last answer")
	}
}
