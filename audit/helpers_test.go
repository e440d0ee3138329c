package audit_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/audit"
	"github.com/lexledger/lexledger/events"
	"github.com/nats-io/nkeys"
)

// rec is one stored message: its stream sequence, act and bytes as the
// ledger writes them.
type rec struct {
	seq  uint64
	act  events.ActID
	data []byte
	hash events.Digest
}

var baseTime = time.Date(2026, 11, 25, 22, 0, 0, 123456789, time.UTC)

// testID returns the i-th of a fixed sequence of valid ULIDs.
func testID(i int) events.ID {
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	b := []byte("01KZTEST000000000000000000")
	v := uint64(i) + 1
	for p := len(b) - 1; p >= 8 && v > 0; p-- {
		b[p] = alphabet[v%32]
		v /= 32
	}
	id, err := events.ParseID(string(b))
	if err != nil {
		panic(err)
	}
	return id
}

func actOf(a int) events.ActID {
	return events.ActID(fmt.Sprintf("/akn/kz/act/2001-01-10/%d", a+1))
}

// stepJSON is the i-th event of an act (without id and act), in the shape
// of cmd/ledger's generator; titles hold characters the encoder escapes.
func stepJSON(a, k int) string {
	switch k {
	case 0:
		return fmt.Sprintf(`"type":"drafted","date":"2001-01-10","body":{"title":"Law No. %d <on> the \"administration\" of justice & courts","kind":"law","drafting_body":"Ministry of Justice"}`, a+1)
	case 1:
		return `"type":"adopted","date":"2001-03-01","body":{"chamber":"Parliament"}`
	case 2:
		return `"type":"signed","date":"2001-03-15","body":{"signatory":"President"}`
	case 3:
		return fmt.Sprintf(`"type":"published","date":"2001-03-20","body":{"gazette":"Kazakhstanskaya Pravda No. %d"}`, a+1)
	case 4:
		return `"type":"commenced","date":"2001-03-20","effective_from":"2001-04-01"`
	}
	return fmt.Sprintf(`"type":"amended","date":"2005-06-%02d","effective_from":"2005-07-01","instrument":"/akn/kz/act/2005-06-01/%d","provisions":["art_%d"],"body":{"effect":"substitution","texts":{"art_%d":"Article %d as amended: the court shall hear the case within a reasonable time."}}`,
		k+5, a+1, k, k, k)
}

// sealChain builds n sealed events of schema 2 over acts acts, interleaved
// round robin (sequence s belongs to act (s-1) mod acts), each chained to
// its act's previous event, as the ledger writes them.
func sealChain(t testing.TB, n, acts int) []rec {
	t.Helper()
	last := map[events.ActID]events.Digest{}
	count := map[events.ActID]int{}
	out := make([]rec, 0, n)
	for i := range n {
		a := i % acts
		act := actOf(a)
		k := count[act]
		count[act]++
		js := fmt.Sprintf(`{"id":%q,"act":%q,%s}`, testID(i), act, stepJSON(a, k))
		e, err := events.Decode([]byte(js))
		if err != nil {
			t.Fatalf("event %d: %v\n%s", i, err, js)
		}
		e.Schema = events.SchemaVersion
		e.RecordedAt = baseTime.Add(time.Duration(i) * time.Second)
		e.RecordedBy = "clerk@test"
		e.PrevHash = last[act]
		data, err := e.Seal()
		if err != nil {
			t.Fatal(err)
		}
		last[act] = e.Hash
		out = append(out, rec{seq: uint64(i + 1), act: act, data: data, hash: e.Hash})
	}
	return out
}

// clone copies recs and their bytes, so that a tamper does not reach the
// original.
func clone(recs []rec) []rec {
	out := make([]rec, len(recs))
	for i, r := range recs {
		r.data = bytes.Clone(r.data)
		out[i] = r
	}
	return out
}

// replay feeds recs to a new Verifier through the fast path, in the order
// given, then checks cps.
func replay(recs []rec, trusted []string, cps ...audit.Checkpoint) (*audit.Verifier, audit.Report) {
	v := audit.NewVerifier(trusted)
	for _, r := range recs {
		v.AddRaw(r.seq, r.act, r.data)
	}
	for _, c := range cps {
		v.Check(c)
	}
	return v, v.Report()
}

// checkpointOf signs a checkpoint of the tree of recs (untampered).
func checkpointOf(t testing.TB, recs []rec, kp nkeys.KeyPair) audit.Checkpoint {
	t.Helper()
	v, rep := replay(recs, nil)
	if !rep.OK {
		t.Fatalf("the untampered chain does not verify: %+v", rep.Failures)
	}
	c := audit.Checkpoint{TreeSize: v.Tree().Size(), Root: v.Tree().Root(), StreamSeq: recs[len(recs)-1].seq, Time: baseTime.Add(time.Hour)}
	if err := c.SignLegacy(kp); err != nil {
		t.Fatal(err)
	}
	return c
}

func newKey(t testing.TB) (nkeys.KeyPair, string) {
	t.Helper()
	kp, _, pub, err := audit.NewSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	return kp, pub
}

// find returns the failures of kind at seq.
func find(rep audit.Report, kind string, seq uint64) []audit.Failure {
	var out []audit.Failure
	for _, f := range rep.Failures {
		if f.Kind == kind && f.Seq == seq {
			out = append(out, f)
		}
	}
	return out
}

// mustFail asserts that rep is not OK and lists a failure of one of kinds
// at seq, naming act when act is set; it returns that failure.
func mustFail(t *testing.T, rep audit.Report, seq uint64, act events.ActID, kinds ...string) audit.Failure {
	t.Helper()
	if rep.OK {
		t.Fatalf("verification passed; want a failure of kind %v at sequence %d", kinds, seq)
	}
	for _, f := range rep.Failures {
		if f.Seq == seq && slices.Contains(kinds, f.Kind) && (act == "" || f.Act == act) {
			return f
		}
	}
	t.Fatalf("no failure of kind %v at sequence %d (act %q); failures:\n%s", kinds, seq, act, failures(rep))
	return audit.Failure{}
}

func failures(rep audit.Report) string {
	var b strings.Builder
	for _, f := range rep.Failures {
		fmt.Fprintf(&b, "  seq %d act %s %s: %s\n", f.Seq, f.Act, f.Kind, f.Message)
	}
	return b.String()
}
