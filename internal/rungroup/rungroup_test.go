package rungroup_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lexledger/lexledger/internal/rungroup"
)

// recorder notes the order in which actors stop.
type recorder struct {
	mu    sync.Mutex
	order []string
}

func (r *recorder) stopped(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.order = append(r.order, name)
}

// waiter is an actor that runs until cancelled, taking a while to stop.
func (r *recorder) waiter(name string) func(context.Context) error {
	return func(ctx context.Context) error {
		<-ctx.Done()
		time.Sleep(10 * time.Millisecond) // later actors must wait for this
		r.stopped(name)
		return nil
	}
}

func runWithin(t *testing.T, g *rungroup.Group) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- g.Run() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("the group did not stop within 10s")
		return nil
	}
}

func TestFailureStopsTheOthersInOrder(t *testing.T) {
	var r recorder
	var g rungroup.Group
	g.Add("a", r.waiter("a"))
	g.Add("b", r.waiter("b"))
	boom := errors.New("boom")
	g.Add("failing", func(context.Context) error { r.stopped("failing"); return boom })
	g.Add("c", r.waiter("c"))
	if err := runWithin(t, &g); !errors.Is(err, boom) {
		t.Errorf("Run returned %v, want the failing actor's error", err)
	}
	if want := []string{"failing", "a", "b", "c"}; !slices.Equal(r.order, want) {
		t.Errorf("actors stopped in the order %v, want %v", r.order, want)
	}
}

func TestCleanStopReturnsNil(t *testing.T) {
	var r recorder
	var g rungroup.Group
	g.Add("signal", func(context.Context) error { return nil }) // as a cancelled context does
	g.Add("a", r.waiter("a"))
	g.Add("b", r.waiter("b"))
	if err := runWithin(t, &g); err != nil {
		t.Errorf("Run returned %v, want nil when every actor stops cleanly", err)
	}
	if want := []string{"a", "b"}; !slices.Equal(r.order, want) {
		t.Errorf("actors stopped in the order %v, want %v", r.order, want)
	}
}

func TestErrorWhileStoppingIsReturned(t *testing.T) {
	var g rungroup.Group
	g.Add("signal", func(context.Context) error { return nil })
	late := errors.New("shutdown timed out")
	g.Add("http", func(ctx context.Context) error { <-ctx.Done(); return late })
	if err := runWithin(t, &g); !errors.Is(err, late) {
		t.Errorf("Run returned %v, want the error of the actor that failed to stop", err)
	}
}

func TestEmptyGroup(t *testing.T) {
	var g rungroup.Group
	if err := g.Run(); err != nil {
		t.Errorf("an empty group returned %v", err)
	}
}
