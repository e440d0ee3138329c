package main

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lexledger/lexledger/internal/testkit"
	"github.com/lexledger/lexledger/natsjs/natstest"
)

// A projector whose HTTP listener fails stops, with an error (a non-zero
// exit), rather than following the stream without its API.
func TestServeStopsWhenItsListenerFails(t *testing.T) {
	env := natstest.MustStart(t, natstest.Options{})
	lns := testkit.NewListeners()
	listen = lns.Listen
	t.Cleanup(func() { listen = net.Listen })
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--nats-url", env.Server.ClientURL(), "--http", "127.0.0.1:0", "--feed=false"}, &stdout, &stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
		}
	})
	ln := lns.Next(t, done)
	waitServing(t, "http://"+ln.Addr().String()+"/healthz", done)

	ln.Close()
	err := testkit.ExitError(t, done, 20*time.Second)
	done <- err // for the cleanup
	if !strings.Contains(err.Error(), "HTTP server on "+ln.Addr().String()+" stopped") {
		t.Errorf("projector serve returned %q, want it to say that its HTTP server stopped", err)
	}
}

// waitServing polls url until it answers 200; done reports an early exit.
func waitServing(t *testing.T, url string, done chan error) {
	t.Helper()
	c := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-done:
			t.Fatalf("the server exited before it served: %v", err)
		default:
		}
		if resp, err := c.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
	}
	t.Fatalf("%s did not answer 200 within 30s", url)
}
