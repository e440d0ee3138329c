package jepsen

import (
	"fmt"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"
)

// state is an act as the model sees it: its event ids as a list shared
// between states (each state a pointer to its last event, nil for none),
// so that porcupine's cache of states holds pointers, not copies. States
// are equal when they have as many events and the same hash of their ids.
type state = *node

type node struct {
	id   string
	prev *node
	n    int    // the act's version with this event
	h    uint64 // FNV-1a over the ids, in order
}

func push(s state, id string) state {
	h := uint64(14695981039346656037)
	if s != nil {
		h = s.h
	}
	for i := 0; i < len(id); i++ {
		h = (h ^ uint64(id[i])) * 1099511628211
	}
	h = (h ^ ' ') * 1099511628211
	return &node{id: id, prev: s, n: size(s) + 1, h: h}
}

func size(s state) int {
	if s == nil {
		return 0
	}
	return s.n
}

// ids lists the act's event ids in order.
func ids(s state) []string {
	out := make([]string, size(s))
	for ; s != nil; s = s.prev {
		out[s.n-1] = s.id
	}
	return out
}

// position is id's version in s, 0 when it is not there.
func position(s state, id string) int {
	for ; s != nil; s = s.prev {
		if s.id == id {
			return s.n
		}
	}
	return 0
}

// equal reports whether s holds exactly the events list.
func equal(s state, list []string) bool {
	if size(s) != len(list) {
		return false
	}
	for ; s != nil; s = s.prev {
		if list[s.n-1] != s.id {
			return false
		}
	}
	return true
}

// step is the ledger's semantics for one act. An append of an id already
// recorded is a retry and answers the version it has (idempotent); else an
// append expecting version v is recorded iff the act has v events, and one
// without an expectation is recorded as the next version, or refused as a
// conflict (the act kept changing under it) with nothing written. A read
// returns the act's events. An unknown outcome matches anything: the
// append took effect, or (linearized after every other op) did not.
func step(st any, in any, out any) (bool, any) {
	s, op := st.(state), out.(Op)
	n := size(s)
	if op.Kind == Read {
		return op.Result != OK || equal(s, op.Events), s
	}
	if p := position(s, op.ID); p > 0 {
		return op.Result == Unknown || (op.Result == OK && op.Version == p), s
	}
	if op.Expect >= 0 && op.Expect != n {
		return op.Result != OK, s
	}
	if op.Expect < 0 && op.Result == Conflict {
		// The ledger decides an append without an expectation again
		// when its act moved under it, and refuses it (nothing written)
		// after ledger.Options.MaxRetries rounds of contention.
		return true, s
	}
	next := push(s, op.ID)
	switch op.Result {
	case OK:
		return op.Version == n+1, next
	case Unknown:
		return true, next
	}
	return false, s // a conflict where there was none
}

// Model is the ledger's model for porcupine, partitioned by act. Each
// operation is its own input and output (an Op).
var Model = porcupine.Model{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		byAct := map[string][]porcupine.Operation{}
		var acts []string
		for _, o := range h {
			a := o.Input.(Op).Act
			if _, ok := byAct[a]; !ok {
				acts = append(acts, a)
			}
			byAct[a] = append(byAct[a], o)
		}
		out := make([][]porcupine.Operation, 0, len(acts))
		for _, a := range acts {
			out = append(out, byAct[a])
		}
		return out
	},
	Init: func() any { return state(nil) },
	Step: step,
	Equal: func(a, b any) bool {
		x, y := a.(state), b.(state)
		return x == y || (x != nil && y != nil && x.n == y.n && x.h == y.h)
	},
	Hash: func(s any) uint64 {
		if s := s.(state); s != nil {
			return s.h
		}
		return 0
	},
	DescribeOperation: func(in, _ any) string {
		o := in.(Op)
		return fmt.Sprintf("%s %s", o.Act[strings.LastIndex(o.Act, "/")+1:], o)
	},
	DescribeState: func(s any) string {
		ids := ids(s.(state))
		for i := range ids {
			ids[i] = short(ids[i])
		}
		return fmt.Sprintf("%d events: %s", len(ids), strings.Join(ids, " "))
	},
}

// Operations turns ops into porcupine's operations.
func Operations(ops []Op) []porcupine.Operation {
	out := make([]porcupine.Operation, len(ops))
	for i, o := range ops {
		out[i] = porcupine.Operation{ClientId: o.Client, Input: o, Call: o.Call, Output: o, Return: o.Return}
	}
	return out
}

// Verdict is porcupine's answer for a history.
type Verdict struct {
	Result porcupine.CheckResult // Ok, Illegal, or Unknown after the timeout
	Ops    int
	Took   time.Duration
	// HTML is where the visualisation was saved, when the history was not
	// linearizable and a path was given.
	HTML string
}

// Check asks porcupine whether ops are linearizable under Model, within
// timeout, and when they are not saves the visualisation of the smallest
// failing partial history to html (when not empty).
func Check(ops []Op, timeout time.Duration, html string) (Verdict, error) {
	start := time.Now()
	res, info := porcupine.CheckOperationsVerbose(Model, Operations(ops), timeout)
	v := Verdict{Result: res, Ops: len(ops), Took: time.Since(start)}
	if res == porcupine.Illegal && html != "" {
		if err := porcupine.VisualizePath(Model, info, html); err != nil {
			return v, fmt.Errorf("save porcupine's visualisation: %w", err)
		}
		v.HTML = html
	}
	return v, nil
}

// Appends keeps the appends of ops (the history without its reads).
func Appends(ops []Op) []Op {
	var out []Op
	for _, o := range ops {
		if o.Kind == Append {
			out = append(out, o)
		}
	}
	return out
}
