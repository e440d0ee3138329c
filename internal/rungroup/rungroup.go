// Package rungroup runs the components of a server as one group of
// actors, in the manner of oklog/run: the first actor to stop, failing or
// not, stops the others, and the group returns the first error.
//
// Unlike oklog/run, an actor is one function, a component's blocking
// Run(ctx), stopped by cancelling its context; and the others are stopped
// one at a time, in the order they were added, each once the one before
// has returned. That order is the shutdown order: add the HTTP server
// before the sequencer it writes through, and the sequencer before the
// projector, and nothing is asked to stop while an earlier actor still
// uses it.
package rungroup

import (
	"context"
	"log/slog"
)

// Group is a set of actors. Its zero value is ready to use.
type Group struct {
	// Log, when set, records each actor that returns an error, with the
	// actor's name as "component".
	Log    *slog.Logger
	actors []actor
}

type actor struct {
	name string
	run  func(context.Context) error
}

// Add adds an actor. Run starts run in its own goroutine with a context
// that the group cancels to stop it; run must block until that context is
// cancelled or the actor fails, and return only once the actor has
// stopped, having finished what it had in hand. An actor that returns,
// with or without an error, stops the group.
func (g *Group) Add(name string, run func(ctx context.Context) error) {
	g.actors = append(g.actors, actor{name, run})
}

// Run starts every actor and blocks until all have returned. When the
// first returns, the others are cancelled one by one in the order they
// were added, each after the one before has returned. Run returns the
// first error an actor returned, in the order they returned: the cause of
// the stop, or else the first failure while stopping; nil when every
// actor returned nil. A group without actors returns nil at once.
func (g *Group) Run() error {
	if len(g.actors) == 0 {
		return nil
	}
	type stopped struct {
		i   int
		err error
	}
	done := make(chan stopped, len(g.actors))
	cancels := make([]context.CancelFunc, len(g.actors))
	for i, a := range g.actors {
		ctx, cancel := context.WithCancel(context.Background())
		cancels[i] = cancel
		go func() { done <- stopped{i, a.run(ctx)} }()
	}
	returned := make([]bool, len(g.actors))
	var first error
	note := func(s stopped) {
		returned[s.i] = true
		cancels[s.i]()
		if s.err == nil {
			return
		}
		if g.Log != nil {
			g.Log.Error("stopped", "component", g.actors[s.i].name, "err", s.err)
		}
		if first == nil {
			first = s.err
		}
	}
	note(<-done)
	for i := range g.actors {
		if returned[i] {
			continue
		}
		cancels[i]()
		for !returned[i] {
			note(<-done) // another may return meanwhile: it is noted too
		}
	}
	return first
}

// Context returns an actor that returns nil when ctx ends, as when a
// signal cancels a command's context, after calling then if it is not
// nil: the group stops cleanly. Cancelled by the group, it returns nil
// without calling then.
func Context(ctx context.Context, then func()) func(context.Context) error {
	return func(stop context.Context) error {
		select {
		case <-ctx.Done():
			if then != nil {
				then()
			}
		case <-stop.Done():
		}
		return nil
	}
}
