package ledger

import "time"

// Model is what the sequencer believes the store's writes cost.
type Model struct {
	EachFixed, EachPerMsg     time.Duration // a pipelined write: its round trip, and each event after the first
	AtomicFixed, AtomicPerMsg time.Duration // an atomic batch: its setup, and each event
}

func modelOf(c costModel) Model {
	return Model{time.Duration(c.eachFixed), time.Duration(c.eachPerMsg), time.Duration(c.atomicFixed), time.Duration(c.atomicPerMsg)}
}

// Each and Atomic are the times the model expects for n events.
func (m Model) Each(n int) time.Duration {
	return m.EachFixed + time.Duration(n-1)*m.EachPerMsg
}
func (m Model) Atomic(n int) time.Duration { return m.AtomicFixed + time.Duration(n)*m.AtomicPerMsg }

// CostModel returns what the sequencer believes. Read it only while no
// append is in flight.
func (l *Ledger) CostModel() Model { return modelOf(l.cost) }

// Choice is how the sequencer wrote a group of independent events: as an
// atomic batch or pipelined, whether to measure the way it did not
// prefer (Explored), and what it believed when it chose.
type Choice struct {
	N                int
	Atomic, Explored bool
	Model            Model
}

// OnChoice makes the sequencer call f with each choice, from the goroutine
// that writes; call it before the first command. every is how long an
// estimate may go unmeasured before the sequencer explores (0 keeps the
// default).
func (l *Ledger) OnChoice(every time.Duration, f func(Choice)) {
	if every > 0 {
		l.cost.exploreEvery = every
	}
	l.onChoice = func(c choice) { f(Choice{N: c.n, Atomic: c.atomic, Explored: c.explored, Model: modelOf(c.model)}) }
}

// Pending is the number of commands waiting for the sequencer.
func (l *Ledger) Pending() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, u := range l.pending {
		n += len(u.cmds)
	}
	return n
}

// SetDefaultActCache makes Options.ActCache zero stand for n, to run the
// package's tests with a tiny cache of acts (LEDGER_TEST_ACT_CACHE).
// Call it before the first ledger is made.
func SetDefaultActCache(n int) { defaultActCache = n }

// ActCacheHeld waits until no command is being decided, and returns the
// events the cache of acts counts, those it holds (counted again, act by
// act), the acts it holds, and its bound.
func (l *Ledger) ActCacheHeld() (counted, held, acts, bound int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.busy {
		l.idle.Wait()
	}
	n := 0
	for a := l.acts.ring.next; a != &l.acts.ring; a = a.next {
		held += len(a.log) + 1
		n++
	}
	if n != len(l.acts.byAct) {
		held = -1 // the list and the map disagree
	}
	return l.acts.held, held, n, l.acts.max
}
