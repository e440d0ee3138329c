package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/lexledger/lexledger/events"
)

// Limits bound what one client can hold of a server: time (a connection
// that sends its request slowly, or reads its answer slowly, or sits idle
// between requests, is closed) and memory (request headers, and the
// request bodies that are held at once).
type Limits struct {
	// ReadHeader bounds reading a request's headers, Read its whole
	// request with the body. A body sent one byte at a time ends there.
	ReadHeader, Read time.Duration
	// Write bounds writing an answer. Answers that stream for long (the
	// stream's events, the web interface's live updates) move it forward
	// at each piece they write, so that a client that keeps reading is
	// served and one that stops is cut off.
	Write time.Duration
	// Idle bounds the wait for the next request on a kept-alive
	// connection.
	Idle time.Duration
	// MaxHeaderBytes bounds a request's headers.
	MaxHeaderBytes int
	// BodyMemory bounds the request bodies held in memory at once, counted
	// twice over (the bytes read and the commands decoded from them). A
	// request waits for its share, up to BodyWait, and is then answered 503.
	BodyMemory int64
	BodyWait   time.Duration
}

// DefaultLimits are the limits of ledger serve and projector serve. A
// 16 MiB body at 1 MiB/s fits in Read; BodyMemory lets two such bodies, or
// hundreds of ordinary ones, be read at once.
var DefaultLimits = Limits{
	ReadHeader:     5 * time.Second,
	Read:           30 * time.Second,
	Write:          60 * time.Second,
	Idle:           30 * time.Second,
	MaxHeaderBytes: 64 << 10,
	BodyMemory:     4 * MaxBodyBytes,
	BodyWait:       10 * time.Second,
}

// Server returns an HTTP server for h with the limits l.
func (l Limits) Server(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.ReadHeader,
		ReadTimeout:       l.Read,
		WriteTimeout:      l.Write,
		IdleTimeout:       l.Idle,
		MaxHeaderBytes:    l.MaxHeaderBytes,
	}
}

// ExtendWrite moves the write deadline of a streaming answer to d from
// now; d <= 0 leaves it. Handlers that stream call it before each piece.
func ExtendWrite(rc *http.ResponseController, d time.Duration) {
	if d > 0 {
		rc.SetWriteDeadline(time.Now().Add(d))
	}
}

// bodyBudget shares the memory for request bodies among the requests
// being read. A nil budget does not bound them.
type bodyBudget struct {
	sem  *semaphore.Weighted
	size int64
	wait time.Duration
}

func newBodyBudget(l Limits) *bodyBudget {
	if l.BodyMemory <= 0 {
		return nil
	}
	return &bodyBudget{sem: semaphore.NewWeighted(l.BodyMemory), size: l.BodyMemory, wait: l.BodyWait}
}

// errBusy answers a request that waited too long for its share of memory.
var errBusy = events.Errorf(events.CodeUnavailable, "the server is reading too many large requests at once: retry in a moment, or send smaller batches")

// readBody reads r's body, up to MaxBodyBytes, holding its share of the
// budget (twice the body's length) until release is called.
func (b *bodyBudget) readBody(w http.ResponseWriter, r *http.Request) (body []byte, release func(), err error) {
	tooBig := events.Errorf(events.CodeTooLarge, "the request body exceeds %d bytes: split it into several batches", MaxBodyBytes)
	if r.ContentLength > MaxBodyBytes {
		return nil, func() {}, tooBig
	}
	var held int64
	release = func() {
		if b != nil && held > 0 {
			b.sem.Release(held)
			held = 0
		}
	}
	// take holds n more bytes' worth (counted twice), waiting up to the
	// budget's wait from the first call.
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	if b != nil && b.wait > 0 {
		ctx, cancel = context.WithTimeout(r.Context(), b.wait)
		defer cancel()
	}
	take := func(n int64) error {
		if b == nil {
			return nil
		}
		n = min(2*n, b.size-held)
		if n <= 0 {
			return nil
		}
		if err := b.sem.Acquire(ctx, n); err != nil {
			if r.Context().Err() != nil {
				return fmt.Errorf("the client went away: %w", r.Context().Err())
			}
			return errBusy
		}
		held += n
		return nil
	}
	src := http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	if r.ContentLength >= 0 {
		if err := take(r.ContentLength); err != nil {
			return nil, release, err
		}
		body = make([]byte, 0, r.ContentLength+1)
	} else {
		const chunk = 1 << 20
		if err := take(chunk); err != nil {
			return nil, release, err
		}
		body = make([]byte, 0, chunk)
	}
	for {
		if len(body) == cap(body) {
			// A body longer than it said, or of unknown length: hold
			// memory for what the next read may add before it grows.
			grow := int64(max(cap(body), 512))
			if err := take(grow); err != nil {
				return nil, release, err
			}
			body = append(body, 0)[:len(body)]
		}
		n, err := src.Read(body[len(body):cap(body)])
		body = body[:len(body)+n]
		if errors.Is(err, io.EOF) {
			return body, release, nil
		}
		if err != nil {
			var mb *http.MaxBytesError
			if errors.As(err, &mb) {
				return nil, release, tooBig
			}
			return nil, release, events.Errorf(events.CodeInvalid, "reading the request body: %v", err)
		}
	}
}
