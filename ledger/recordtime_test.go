package ledger_test

import (
	"sync"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs/natstest"
)

// clock is a clock a test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Two ledgers whose clocks are an hour apart write one act in turn: each
// event's record time is after its act's previous event's, though the
// ledger behind stamps it from its own clock (issue 17, clock jumps).
func TestRecordTimeAfterActsPrevious(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	base := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	ahead, behind := &clock{t: base.Add(time.Hour)}, &clock{t: base}
	la := ledger.New(env.Store, ledger.Options{Clock: ahead.now, AppendTimeout: 30 * time.Second})
	t.Cleanup(func() { la.Close() })
	lb := ledger.New(secondStore(t, env), ledger.Options{Clock: behind.now, AppendTimeout: 30 * time.Second})
	t.Cleanup(func() { lb.Close() })

	ra := mustAppend(t, la, event(refugees, events.Drafted, "2009-06-01", titled("Law on Refugees", events.Law)))
	rb := mustAppend(t, lb, event(refugees, events.Adopted, "2009-11-20", chamber("Parliament")))
	if !rb[0].RecordedAt.After(ra[0].RecordedAt) {
		t.Errorf("the adoption was recorded at %s, not after the draft it follows (%s)", rb[0].RecordedAt, ra[0].RecordedAt)
	}
	// The ledger behind stamps its next events after that one too, on any
	// act, so that its record times keep the order it records in: they
	// stand still until its clock catches up.
	rc := mustAppend(t, lb, event(criminal, events.Drafted, "1997-01-01", titled("Criminal Code", events.CodeKind)))
	if !rc[0].RecordedAt.After(rb[0].RecordedAt) || rc[0].RecordedAt.Sub(rb[0].RecordedAt) > time.Millisecond {
		t.Errorf("the next event of the ledger behind was recorded at %s, want just after its previous event (%s)", rc[0].RecordedAt, rb[0].RecordedAt)
	}

	// A clock set back within one ledger: the act's next event is still
	// after its previous one, as is every event the ledger records next.
	behind.set(base.Add(-24 * time.Hour))
	rd := mustAppend(t, lb, event(criminal, events.Adopted, "1997-07-16", chamber("Parliament")))
	if !rd[0].RecordedAt.After(rc[0].RecordedAt) {
		t.Errorf("after the clock went back a day, the adoption was recorded at %s, not after %s", rd[0].RecordedAt, rc[0].RecordedAt)
	}

	h := mustHistory(t, la, refugees)
	for i := 1; i < len(h); i++ {
		if !h[i].Event.RecordedAt.After(h[i-1].Event.RecordedAt) {
			t.Errorf("version %d recorded at %s, not after version %d (%s)", i+1, h[i].Event.RecordedAt, i, h[i-1].Event.RecordedAt)
		}
	}
}
