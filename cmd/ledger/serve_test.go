package main

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/internal/testkit"
)

// A ledger whose HTTP listener fails stops, with an error (a non-zero
// exit), and releases its store: a new serve on the same data starts.
func TestServeStopsWhenItsListenerFails(t *testing.T) {
	dir := t.TempDir()
	lns := testkit.NewListeners()
	listen = lns.Listen
	t.Cleanup(func() { listen = net.Listen })
	s := startServe(t, dir)
	ln := lns.Next(t, s.done)

	ln.Close()
	err := testkit.ExitError(t, s.done, 30*time.Second)
	s.done <- err // for the cleanup
	if !strings.Contains(err.Error(), "HTTP server on "+ln.Addr().String()+" stopped") {
		t.Errorf("serve returned %q, want it to say that its HTTP server stopped", err)
	}
	if log := s.stderr.String(); !strings.Contains(log, "embedded NATS server stopped") {
		t.Errorf("serve did not stop its embedded server:\n%s", log)
	}
	listen = net.Listen
	startServe(t, dir).stop(t)
}
