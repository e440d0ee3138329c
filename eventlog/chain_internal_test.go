package eventlog

import (
	"testing"

	"github.com/lexledger/lexledger/events"
)

// A chain checked with CheckWith keeps fingerprints, asks seen only when
// a new id's fingerprint is an earlier one's, and decides as Check does:
// a reused id is a defect, an id whose fingerprint merely collides is not.
// Both before and after it keeps a set (chainSetFrom).
func TestCheckWithAsksOnAFingerprintMatch(t *testing.T) {
	act := events.ActID("/akn/kz/act/2009-12-04/216")
	for _, n := range []int{3, chainSetFrom + 5} {
		var compact, exact Chain
		var ids []events.ID
		var tip events.Digest
		seal := func(id events.ID) Entry {
			e := events.Event{Schema: 2, ID: id, Act: act, Type: events.Amended, Date: events.MustDate("2010-01-01"),
				EffectiveFrom: events.MustDate("2010-01-01"), Instrument: "/akn/kz/act/2010-01-01/1", Provisions: []string{"art_1"},
				Body: events.Body{Effect: events.Substitution}, PrevHash: tip}
			if _, err := e.Seal(); err != nil {
				t.Fatal(err)
			}
			return Entry{Event: e}
		}
		asked := 0
		seen := func(id events.ID) bool {
			asked++
			for _, x := range ids {
				if x == id {
					return true
				}
			}
			return false
		}
		for range n {
			id := events.NewID()
			a, b := seal(id), seal(id)
			compact.CheckWith(&a, seen)
			exact.Check(&b)
			if a.Defect != nil || b.Defect != nil {
				t.Fatalf("a new id is a defect: %v, %v", a.Defect, b.Defect)
			}
			ids, tip = append(ids, id), a.Event.Hash
		}
		if asked != 0 {
			t.Fatalf("%d ids: seen was asked %d times about ids new to the act", n, asked)
		}
		if len(compact.ids) != 0 || compact.idSet != nil {
			t.Fatalf("%d ids: a chain checked with CheckWith kept the ids themselves", n)
		}

		// A reused id: a defect, decided by seen.
		again := seal(ids[1])
		compact.CheckWith(&again, seen)
		if again.Defect == nil || again.Defect.Reason != ReasonDuplicateID || asked != 1 {
			t.Fatalf("%d ids: a reused id gave %+v after %d asks, want a duplicate_id defect after 1", n, again.Defect, asked)
		}

		// An id whose fingerprint collides with an earlier one's: seen
		// says no, and it is the act's next event.
		stranger := events.NewID()
		if compact.fpSet != nil {
			compact.fpSet[fingerprint(stranger)] = struct{}{}
		} else {
			compact.fps = append(compact.fps, fingerprint(stranger))
		}
		e := seal(stranger)
		compact.CheckWith(&e, seen)
		if e.Defect != nil || asked != 2 || compact.Tip() != e.Event.Hash {
			t.Fatalf("%d ids: an id whose fingerprint collides gave %+v after %d asks, want the next event after 2", n, e.Defect, asked)
		}
	}
}
