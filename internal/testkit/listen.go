package testkit

import (
	"net"
	"testing"
	"time"
)

// Listeners hands a test the listeners a command opens, so that it can
// break them: its Listen replaces the command's net.Listen hook.
type Listeners chan net.Listener

// NewListeners returns a Listeners with room for a few listeners.
func NewListeners() Listeners { return make(Listeners, 4) }

// Listen is net.Listen, and passes each listener it opens to the test.
func (c Listeners) Listen(network, addr string) (net.Listener, error) {
	ln, err := net.Listen(network, addr)
	if err == nil {
		c <- ln
	}
	return ln, err
}

// Next returns the next listener opened. It fails the test if the
// command exits first (done) or opens none within 30s.
func (c Listeners) Next(tb testing.TB, done <-chan error) net.Listener {
	tb.Helper()
	select {
	case ln := <-c:
		return ln
	case err := <-done:
		tb.Fatalf("the command exited before it listened: %v", err)
	case <-time.After(30 * time.Second):
		tb.Fatal("the command opened no listener within 30s")
	}
	return nil
}

// ExitError waits up to d for a command that runs in done's goroutine to
// return, and returns its error, failing the test if it returned nil or
// kept running.
func ExitError(tb testing.TB, done <-chan error, d time.Duration) error {
	tb.Helper()
	select {
	case err := <-done:
		if err == nil {
			tb.Fatal("the command returned nil: it exits 0 after a failure")
		}
		return err
	case <-time.After(d):
		tb.Fatalf("the command kept running %v after the failure", d)
		return nil
	}
}
