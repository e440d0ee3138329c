package ledger

import (
	"slices"
	"testing"

	"github.com/lexledger/lexledger/events"
)

// The cache of histories holds at most its bound of events, drops the
// least recently used act first, and does not keep an act too large for
// it alone.
func TestHistoriesBound(t *testing.T) {
	c := newHistories(10)
	add := func(act string, n int) *history {
		h := &history{act: events.ActID(act), events: make([]events.Event, n)}
		c.add(h)
		return h
	}
	held := func() []string {
		var acts []string
		for h := c.ring.next; h != &c.ring; h = h.next {
			acts = append(acts, string(h.act))
		}
		return acts
	}
	check := func(what string, want ...string) {
		t.Helper()
		if got := held(); !slices.Equal(got, want) {
			t.Errorf("%s: the cache holds %v (most recent first), want %v", what, got, want)
		}
		n := 0
		for h := c.ring.next; h != &c.ring; h = h.next {
			n += h.len()
		}
		if c.held != n || n > c.max || len(c.byAct) != len(want) {
			t.Errorf("%s: the cache counts %d events in %d acts; it holds %d in %d, bound %d", what, c.held, len(c.byAct), n, len(want), c.max)
		}
	}

	add("a", 4)
	add("b", 3)
	add("c", 3)
	check("three acts of 10 events", "c", "b", "a")
	c.get("a")
	add("d", 2)
	check("a used, then d added", "d", "a", "c")
	h := c.get("c")
	h.events = append(h.events, make([]events.Event, 2)...)
	c.grew(h, 2)
	check("c grown by 2, past the bound", "c", "d")
	add("e", 11)
	check("an act larger than the bound")
	if c.get("a") != nil || c.peek("e") != nil {
		t.Error("a dropped act is still found")
	}
}
