package httpapi_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/httpapi"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs/natstest"
)

// startLimited is startAPI with limits, served as ledger serve serves.
func startLimited(t *testing.T, lim httpapi.Limits) *api {
	t.Helper()
	env := natstest.MustStart(t, natstest.Options{})
	l := ledger.New(env.Store, ledger.Options{AppendTimeout: 30 * time.Second})
	t.Cleanup(func() { l.Close() })
	s := &httpapi.Server{Ledger: l, Stream: env.Store, Limits: lim}
	srv := httptest.NewUnstartedServer(nil)
	srv.Config = lim.Server(s.Handler())
	srv.Start()
	t.Cleanup(srv.Close)
	return &api{env: env, ledger: l, srv: srv, client: &http.Client{Timeout: time.Minute}}
}

// closedWithin reports whether the server closes conn before the test's
// patience runs out: a read that ends in EOF or a reset, not in the
// test's own deadline.
func closedWithin(t *testing.T, conn net.Conn, r *bufio.Reader, patience time.Duration) bool {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(patience))
	for {
		_, err := r.ReadByte()
		if err == nil {
			continue // what the server says before it closes (a 408)
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return false
		}
		return true
	}
}

// A client that sits idle on a kept-alive connection, sends its headers
// or its body a byte at a time, is let go; what it half-sent records
// nothing.
func TestSlowClientsAreLetGo(t *testing.T) {
	lim := httpapi.DefaultLimits
	lim.ReadHeader, lim.Read, lim.Idle = 300*time.Millisecond, 600*time.Millisecond, 300*time.Millisecond
	a := startLimited(t, lim)
	addr := strings.TrimPrefix(a.srv.URL, "http://")
	const patience = 20 * time.Second // far beyond every limit

	t.Run("idle keep-alive", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "GET /openapi.yaml HTTP/1.1\r\nHost: x\r\n\r\n")
		r := bufio.NewReader(conn)
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Close {
			t.Fatalf("status %d, close %v: want a kept-alive 200", resp.StatusCode, resp.Close)
		}
		if !closedWithin(t, conn, r, patience) {
			t.Fatalf("an idle kept-alive connection is still open after %v (idle limit %v)", patience, lim.Idle)
		}
	})

	t.Run("headers a byte at a time", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		done := make(chan struct{})
		defer close(done)
		go dribble(conn, "GET /openapi.yaml HTTP/1.1\r\nHost: x\r\nX-Slow: "+strings.Repeat("a", 1000)+"\r\n\r\n", done)
		if !closedWithin(t, conn, bufio.NewReader(conn), patience) {
			t.Fatalf("a client sending its headers a byte every 50 ms is still served after %v", patience)
		}
	})

	t.Run("body a byte at a time", func(t *testing.T) {
		body := `{"event":` + draftedJSON(refugees) + `}`
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
		done := make(chan struct{})
		defer close(done)
		go dribble(conn, body, done)
		if !closedWithin(t, conn, bufio.NewReader(conn), patience) {
			t.Fatalf("a client sending its body a byte every 50 ms is still served after %v", patience)
		}
		if n := a.count(t); n != 0 {
			t.Fatalf("the stream holds %d events after a body that never arrived whole, want 0", n)
		}
	})
}

// dribble writes s a byte every 50 ms until it is written, the write
// fails or done is closed.
func dribble(conn net.Conn, s string, done <-chan struct{}) {
	for i := range len(s) {
		select {
		case <-done:
			return
		case <-time.After(50 * time.Millisecond):
		}
		if _, err := conn.Write([]byte{s[i]}); err != nil {
			return
		}
	}
}

// repeated is an endless source of one byte, so that the clients' large
// bodies take no memory of their own.
type repeated byte

func (b repeated) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

// heapBytes is the memory of the live and not yet collected objects.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// Thirty clients each sending a 15 MB body at once do not make the server
// hold thirty bodies: it reads as many as its body memory allows and the
// others wait their turn. Every request is answered, and the memory is
// given back (a small record is served after).
func TestConcurrentLargeBodiesStayWithinTheBudget(t *testing.T) {
	const (
		clients = 30
		size    = 15 << 20
		budget  = 2 * 2 * size // two bodies at once, each counted twice
	)
	lim := httpapi.DefaultLimits
	lim.BodyMemory, lim.BodyWait = budget, 5*time.Minute
	a := startLimited(t, lim)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base := heapBytes()
	peak := base
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				peak = max(peak, heapBytes())
			}
		}
	}()

	var wg sync.WaitGroup
	statuses := make([]int, clients)
	errs := make([]error, clients)
	for i := range clients {
		wg.Go(func() {
			body := io.LimitReader(repeated('x'), size)
			req, err := http.NewRequest("POST", a.srv.URL+"/v1/events", body)
			if err != nil {
				errs[i] = err
				return
			}
			req.ContentLength = size
			resp, err := a.client.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()
	cancel()
	<-sampled
	for i := range clients {
		if errs[i] != nil || statuses[i] != http.StatusBadRequest {
			t.Errorf("client %d: status %d, error %v; want 400 (the body is not JSON)", i, statuses[i], errs[i])
		}
	}
	grown := int64(peak) - int64(base)
	t.Logf("heap grew by %d MiB at most under %d bodies of %d MiB (budget %d MiB)", grown>>20, clients, size>>20, budget>>20)
	// The budget, plus what the collector has not yet taken back (the heap
	// may grow to twice the live objects before it collects), plus slack.
	if limit := int64(2*budget + 64<<20); grown > limit {
		t.Errorf("the heap grew by %d MiB, more than %d MiB: the bodies are not bounded", grown>>20, limit>>20)
	}
	if status, body := a.post(t, `{"event":`+draftedJSON(refugees)+`}`); status != http.StatusCreated {
		t.Fatalf("a small record after the load: %d %s", status, body)
	}
}

// A body that says it is larger than the limit is refused before it is
// read; one that is larger than it said is refused when it goes past.
func TestBodyLimitsByLengthAndByContent(t *testing.T) {
	a := startLimited(t, httpapi.DefaultLimits)
	req, err := http.NewRequest("POST", a.srv.URL+"/v1/events", io.LimitReader(repeated(' '), httpapi.MaxBodyBytes+1))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = -1 // chunked: the server finds out by reading
	resp, err := a.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	wantError(t, resp.StatusCode, data, http.StatusRequestEntityTooLarge, events.CodeTooLarge)

	// A chunked body of ordinary size is read and recorded.
	req, _ = http.NewRequest("POST", a.srv.URL+"/v1/events", strings.NewReader(`{"event":`+draftedJSON(refugees)+`}`))
	req.ContentLength = -1
	resp, err = a.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	data, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("a chunked record: %d %s", resp.StatusCode, data)
	}
}
