package projector

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/projections"
)

// bigState is a state of n amendments received and n provisions with a
// text of textBytes each.
func bigState(n, textBytes int) projections.ActState {
	st := projections.ActState{Act: "/akn/kz/act/code/1997-07-16/167", Title: "Criminal Code", Kind: "code", Country: "kz",
		AsOf: events.MustDate("2026-12-03"), Status: projections.InForce, Stage: events.Adopted, StageDate: events.MustDate("1997-07-16"), Reason: "in force since 1998-01-01",
		Because: []events.ID{events.NewID()}, Dates: map[string]events.Date{"adopted": events.MustDate("1997-07-16")}, Version: uint64(n + 3)}
	for i := range n {
		st.AmendmentsReceived = append(st.AmendmentsReceived, projections.Amendment{Event: events.NewID(),
			Instrument: events.ActID(fmt.Sprintf("/akn/kz/act/2011-01-01/t%d", i)), Effect: "substitution", Provisions: []string{"art_49"},
			EffectiveFrom: events.MustDate("2011-02-01")})
		st.Provisions = append(st.Provisions, projections.ProvisionState{EID: fmt.Sprintf("art_%05d", i), Status: "in_force", InForce: true,
			Text: strings.Repeat("x", textBytes)})
	}
	return st
}

// boundNotice keeps a state whole when it fits, and otherwise cuts its
// lists to the bound, keeping the newest amendments and the first
// provisions, the same at any sequence.
func TestBoundNotice(t *testing.T) {
	small := bigState(3, 10)
	n, data := boundNotice(7, small, DefaultFeedMaxBytes)
	whole, _ := json.Marshal(ChangeNotice{Seq: 7, State: small})
	if n.Truncated || !bytes.Equal(data, whole) {
		t.Errorf("a small state was changed: %s, want %s", data, whole)
	}

	for _, c := range []struct {
		n, text, bound int
	}{
		{1000, 100, 64 << 10},
		{1000, 100, 16 << 10},
		{5000, 0, 64 << 10},
		{50, 100_000, 64 << 10}, // no provision's text fits
		{20, 10, 2 << 10},
	} {
		st := bigState(c.n, c.text)
		n, data := boundNotice(42, st, c.bound)
		name := fmt.Sprintf("%d entries, texts of %d bytes, bound %d", c.n, c.text, c.bound)
		if len(data) > c.bound {
			t.Errorf("%s: %d bytes", name, len(data))
		}
		if !n.Truncated || n.Totals == nil || n.Totals.AmendmentsReceived != c.n || n.Totals.Provisions != c.n || n.FullState == "" {
			t.Errorf("%s: truncated %v, totals %+v, full_state %q", name, n.Truncated, n.Totals, n.FullState)
			continue
		}
		var back ChangeNotice
		if err := json.Unmarshal(data, &back); err != nil || back.Seq != 42 || back.State.Title != st.Title {
			t.Errorf("%s: decodes as %+v (%v)", name, back, err)
		}
		kept := n.State.AmendmentsReceived
		if len(kept) == 0 || kept[len(kept)-1].Event != st.AmendmentsReceived[c.n-1].Event {
			t.Errorf("%s: keeps %d amendments, without the newest", name, len(kept))
		}
		if p := n.State.Provisions; len(p) > 0 && p[0].EID != st.Provisions[0].EID {
			t.Errorf("%s: the provisions kept begin with %s, want the first", name, p[0].EID)
		}
		if c.text <= 100 && len(n.State.Provisions) == 0 {
			t.Errorf("%s: no provision kept", name)
		}
		if c.text <= 100 && c.bound-len(data) > c.bound/4 {
			t.Errorf("%s: %d bytes of %d: the cut wastes the bound", name, len(data), c.bound)
		}
		other, _ := boundNotice(1<<60, st, c.bound)
		a, _ := json.Marshal(n.State)
		b, _ := json.Marshal(other.State)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: cut differently at another sequence", name)
		}
	}

	// A bound smaller than the summary: the grounds left out too.
	st := bigState(10, 10)
	st.Because = make([]events.ID, 100)
	for i := range st.Because {
		st.Because[i] = events.NewID()
	}
	n, _ = boundNotice(1, st, 1024)
	if n.State.Because != nil || n.Totals.Because != 100 || n.State.AmendmentsReceived != nil {
		t.Errorf("under a bound smaller than the summary: because %d (total %d), amendments %d", len(n.State.Because), n.Totals.Because, len(n.State.AmendmentsReceived))
	}
}

// amendmentsAtLeast is no more than a state's amendments encode to,
// received or made, with every field set or none: a state skipped as too
// large to encode whole is.
func TestAmendmentsAtLeast(t *testing.T) {
	full := projections.Amendment{Event: events.NewID(), Instrument: "/akn/kz/act/2011-01-01/\"1\"", Effect: "substitution",
		Provisions: []string{"art_1"}, EffectiveFrom: events.MustDate("2011-02-01"), Retroactive: true}
	for _, st := range []projections.ActState{
		{AmendmentsReceived: []projections.Amendment{{Event: events.NewID()}}},
		{AmendmentsReceived: []projections.Amendment{full, full}},
		{AmendmentsMade: []projections.MadeAmendment{{Amendment: projections.Amendment{Event: events.NewID()}}}},
		{AmendmentsMade: []projections.MadeAmendment{{Target: "/akn/kz/act/2009-12-04/216", Amendment: full}}},
	} {
		lists := struct {
			R []projections.Amendment     `json:"r"`
			M []projections.MadeAmendment `json:"m"`
		}{st.AmendmentsReceived, st.AmendmentsMade}
		b, _ := json.Marshal(lists)
		if got := len(b) - len(`{"r":[],"m":[]}`) - (len(lists.R) + len(lists.M)); amendmentsAtLeast(&st) > got {
			t.Errorf("%s: the amendments encode to %d bytes, amendmentsAtLeast says at least %d", b, got, amendmentsAtLeast(&st))
		}
	}
}

func TestFeedBackoff(t *testing.T) {
	for n, want := range map[int]time.Duration{1: 400 * time.Millisecond, 2: 800 * time.Millisecond, 3: 1600 * time.Millisecond,
		7: 25600 * time.Millisecond, 8: feedBackoffMax, 20: feedBackoffMax, 1000: feedBackoffMax} {
		if got := feedBackoff(n); got != want {
			t.Errorf("after %d failures the feed waits %s, want %s", n, got, want)
		}
	}
}

// BenchmarkBoundNotice cuts the state of an act amended 1,000 and 5,000
// times to the default bound, as the feed does each time the act changes.
func BenchmarkBoundNotice(b *testing.B) {
	for _, n := range []int{1000, 5000} {
		st := bigState(n, 0)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				boundNotice(1, st, DefaultFeedMaxBytes)
			}
		})
	}
}
