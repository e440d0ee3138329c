package jepsen

import (
	"fmt"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"
)

// state is an act as the model sees it: its event ids, space-separated, so
// that states compare with ==.
type state string

func (s state) ids() []string { return strings.Fields(string(s)) }

// position is id's version in s, 0 when it is not there.
func (s state) position(id string) int {
	for i, x := range s.ids() {
		if x == id {
			return i + 1
		}
	}
	return 0
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
	n := len(s.ids())
	if op.Kind == Read {
		if op.Result != OK {
			return true, s
		}
		return strings.Join(op.Events, " ") == string(s), s
	}
	if p := s.position(op.ID); p > 0 {
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
	next := state(strings.TrimSpace(string(s) + " " + op.ID))
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
	Init: func() any { return state("") },
	Step: step,
	DescribeOperation: func(in, _ any) string {
		o := in.(Op)
		return fmt.Sprintf("%s %s", o.Act[strings.LastIndex(o.Act, "/")+1:], o)
	},
	DescribeState: func(s any) string {
		ids := s.(state).ids()
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
