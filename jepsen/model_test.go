package jepsen_test

import (
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
