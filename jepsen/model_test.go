package jepsen_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/lexledger/lexledger/jepsen"
)

const act = "/akn/kz/act/2020-01-01/a"

func appendOp(client int, id string, expect int, r jepsen.Result, version int, call, ret int64) jepsen.Op {
	return jepsen.Op{Client: client, Act: act, Kind: jepsen.Append, ID: id, Expect: expect, Result: r, Version: version, Call: call, Return: ret}
}

func readOp(client int, ids []string, call, ret int64) jepsen.Op {
	return jepsen.Op{Client: client, Act: act, Kind: jepsen.Read, Result: jepsen.OK, Events: ids, Version: len(ids), Call: call, Return: ret}
}

// The checker passes the ledger's semantics and bites on every way a
// broken ledger (or engine) could answer: two winners of one expected
// version, a lost acknowledged event, a doubled retry, a stale read.
func TestCheck(t *testing.T) {
	h := jepsen.NewHistory()
	unknown := func(o jepsen.Op) jepsen.Op { h.Add(o); ops := h.Ops(); return ops[len(ops)-1] }
	tests := []struct {
		name string
		ops  []jepsen.Op
		want porcupine.CheckResult
	}{
		{"OK one winner of v0", []jepsen.Op{
			appendOp(0, "a", 0, jepsen.OK, 1, 0, 10),
			appendOp(1, "b", 0, jepsen.Conflict, 0, 1, 11),
			readOp(2, []string{"a"}, 12, 13),
		}, porcupine.Ok},
		{"OK appends without expectation", []jepsen.Op{
			appendOp(0, "a", -1, jepsen.OK, 2, 0, 10),
			appendOp(1, "b", -1, jepsen.OK, 1, 1, 11),
			readOp(2, []string{"b", "a"}, 12, 13),
		}, porcupine.Ok},
		{"OK a retry answers the version it has", []jepsen.Op{
			unknown(appendOp(0, "a", 0, jepsen.Unknown, 0, 0, 0)),
			appendOp(0, "a", 0, jepsen.OK, 1, 20, 30),
			appendOp(1, "b", 1, jepsen.OK, 2, 31, 40),
		}, porcupine.Ok},
		{"OK an unknown append that never landed", []jepsen.Op{
			unknown(appendOp(0, "a", -1, jepsen.Unknown, 0, 0, 0)),
			appendOp(1, "b", 0, jepsen.OK, 1, 20, 30),
			readOp(2, []string{"b"}, 31, 32),
		}, porcupine.Ok},
		{"ErrTwoWinners of v0", []jepsen.Op{
			appendOp(0, "a", 0, jepsen.OK, 1, 0, 10),
			appendOp(1, "b", 0, jepsen.OK, 1, 1, 11),
		}, porcupine.Illegal},
		{"ErrLostAcknowledged event", []jepsen.Op{
			appendOp(0, "a", -1, jepsen.OK, 1, 0, 10),
			readOp(1, nil, 20, 21),
		}, porcupine.Illegal},
		{"ErrDoubledRetry", []jepsen.Op{
			appendOp(0, "a", -1, jepsen.OK, 1, 0, 10),
			appendOp(0, "a", -1, jepsen.OK, 2, 20, 30),
		}, porcupine.Illegal},
		{"ErrStaleRead", []jepsen.Op{
			appendOp(0, "a", -1, jepsen.OK, 1, 0, 10),
			appendOp(0, "b", 1, jepsen.OK, 2, 11, 20),
			readOp(1, []string{"a"}, 30, 31),
		}, porcupine.Illegal},
		{"OK contention refuses an append without expectation", []jepsen.Op{
			appendOp(0, "a", -1, jepsen.Conflict, 0, 0, 10),
			readOp(1, nil, 20, 21),
		}, porcupine.Ok},
		{"ErrConflictWithoutRival", []jepsen.Op{
			appendOp(0, "a", 0, jepsen.Conflict, 0, 0, 10),
			readOp(1, nil, 20, 21),
		}, porcupine.Illegal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			html := filepath.Join(t.TempDir(), "history.html")
			v, err := jepsen.Check(tt.ops, 10*time.Second, html)
			if err != nil {
				t.Fatal(err)
			}
			if v.Result != tt.want {
				t.Fatalf("porcupine says %s, want %s", v.Result, tt.want)
			}
			if _, err := os.Stat(html); (err == nil) != (tt.want == porcupine.Illegal) {
				t.Errorf("visualisation saved: %v; want it saved only for an illegal history", err == nil)
			}
		})
	}
}

// Compact merges an unknown try with the acknowledged retry of its id into
// one operation spanning both, which a read in between may have seen.
func TestCompact(t *testing.T) {
	h := jepsen.NewHistory()
	h.Add(appendOp(0, "a", 0, jepsen.Unknown, 0, 0, 0))
	h.Add(readOp(1, []string{"a"}, 5, 6))
	dup := appendOp(0, "a", 0, jepsen.OK, 1, 10, 20)
	dup.Dup = true
	h.Add(dup)
	h.Add(appendOp(2, "b", -1, jepsen.Unknown, 0, 30, 0))
	ops := jepsen.Compact(h.Ops())
	if len(ops) != 3 || ops[0].Call != 0 || ops[0].Return != 20 || ops[0].Result != jepsen.OK {
		t.Fatalf("compacted: %v; want the retry called at 0, the read, and the unanswered append of b", ops)
	}
	if v, err := jepsen.Check(ops, 10*time.Second, ""); err != nil || v.Result != porcupine.Ok {
		t.Errorf("porcupine says %s (%v) of the compacted history, want Ok", v.Result, err)
	}
}

// Resolve settles unknown outcomes by the final history: the tries of an
// append found there become one acknowledged append without a return;
// those not found, and unknown reads, go.
func TestResolve(t *testing.T) {
	h := jepsen.NewHistory()
	h.Add(appendOp(0, "a", -1, jepsen.OK, 1, 0, 10))
	h.Add(appendOp(1, "x", 1, jepsen.Unknown, 0, 20, 0))
	h.Add(appendOp(1, "x", 1, jepsen.Unknown, 0, 40, 0)) // its retry, unanswered too
	h.Add(appendOp(2, "y", -1, jepsen.Unknown, 0, 25, 0))
	h.Add(jepsen.Op{Client: 3, Act: act, Kind: jepsen.Read, Result: jepsen.Unknown, Call: 30})
	final := readOp(4, []string{"a", "x"}, 100, 101)
	ops, r := jepsen.Resolve(jepsen.Compact(h.Ops()), []jepsen.Op{final})
	if r.Landed != 1 || r.Dropped != 2 || len(ops) != 2 {
		t.Fatalf("resolved %+v into %v; want a and x kept, y and the read dropped", r, ops)
	}
	x := ops[1]
	if x.ID != "x" || x.Result != jepsen.OK || x.Version != 2 || !x.Landed || x.Call != 20 || x.Return != math.MaxInt64 {
		t.Errorf("x resolved to %+v; want ok at version 2, called at 20, no return", x)
	}
	if v, err := jepsen.Check(append(ops, final), 10*time.Second, ""); err != nil || v.Result != porcupine.Ok {
		t.Errorf("porcupine says %s (%v), want Ok", v.Result, err)
	}

	// x expected version 1 but stands at 3: no order explains it, before
	// or after resolving.
	bad := readOp(4, []string{"a", "y", "x"}, 100, 101)
	ops, _ = jepsen.Resolve(jepsen.Compact(h.Ops()), []jepsen.Op{bad})
	if v, err := jepsen.Check(append(ops, bad), 10*time.Second, ""); err != nil || v.Result != porcupine.Illegal {
		t.Errorf("porcupine says %s (%v) of x landed at the wrong version, want Illegal", v.Result, err)
	}
}

// Resolving never changes porcupine's verdict: random histories of one
// act, from a ledger that is right and from one that answers wrong now
// and then, with unknown outcomes among them, checked as recorded and
// as resolved.
func TestResolveKeepsVerdicts(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	verdicts := map[porcupine.CheckResult]int{}
	for round := 0; round < 300; round++ {
		var (
			ops  []jepsen.Op
			hist []string
		)
		for i := 0; i < 2+rng.IntN(7); i++ {
			id := fmt.Sprintf("e%d", i)
			expect := -1
			switch rng.IntN(3) {
			case 0:
				expect = len(hist)
			case 1:
				expect = rng.IntN(len(hist) + 2)
			}
			o := appendOp(i, id, expect, jepsen.Conflict, 0, int64(10*i), int64(10*i+15))
			if expect < 0 || expect == len(hist) {
				hist = append(hist, id)
				o.Result, o.Version = jepsen.OK, len(hist)
			}
			switch rng.IntN(6) {
			case 0: // unanswered, whether or not it landed
				o.Result, o.Version, o.Return = jepsen.Unknown, 0, math.MaxInt64
			case 1: // a wrong answer
				if o.Result == jepsen.OK {
					o.Version++
				} else {
					o.Result, o.Version = jepsen.OK, len(hist)+1
				}
			}
			ops = append(ops, o)
			if rng.IntN(4) == 0 {
				r := readOp(100+i, append([]string(nil), hist...), int64(10*i+5), int64(10*i+9))
				if rng.IntN(3) == 0 {
					r.Result, r.Return = jepsen.Unknown, math.MaxInt64
				}
				ops = append(ops, r)
			}
		}
		final := readOp(99, hist, 1000, 1001)
		if rng.IntN(5) == 0 && len(hist) > 0 { // an event lost or moved
			final.Events = final.Events[1:]
			final.Version--
		}
		v1, err := jepsen.Check(append(append([]jepsen.Op(nil), ops...), final), 10*time.Second, "")
		if err != nil {
			t.Fatal(err)
		}
		resolved, _ := jepsen.Resolve(ops, []jepsen.Op{final})
		v2, err := jepsen.Check(append(resolved, final), 10*time.Second, "")
		if err != nil {
			t.Fatal(err)
		}
		if v1.Result != v2.Result {
			t.Fatalf("round %d: %s as recorded, %s resolved:\n%v\n%v", round, v1.Result, v2.Result, ops, final)
		}
		verdicts[v1.Result]++
	}
	if verdicts[porcupine.Ok] < 30 || verdicts[porcupine.Illegal] < 30 {
		t.Errorf("verdicts %v: the histories should be both legal and not, often", verdicts)
	}
}
