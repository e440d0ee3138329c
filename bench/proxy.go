package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/lexledger/lexledger/eventlog"
	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"

	_ "net/http/pprof" // the proxy's profiles, on ProxyOptions.Pprof only
)

// ProxyOptions configure the minimal HTTP-to-JetStream proxy, the fair
// baseline of an HTTP append (issue 15).
type ProxyOptions struct {
	Dir        string // the embedded server's store
	Addr       string // the HTTP address, such as 127.0.0.1:0
	SyncAlways bool
	// Pprof, when set, is an address on which Go's profiles
	// (net/http/pprof) are served, so that the memory part reads the
	// proxy's live heap as it reads `ledger serve`'s.
	Pprof string
	// Ready, when set, is called with the HTTP address once it listens.
	Ready func(addr string)
}

// ServeProxy runs the minimal HTTP-to-JetStream proxy until ctx ends: an
// embedded server configured as `ledger serve`'s (file storage, the
// ledger's stream configuration, in-process connection), and an HTTP
// server whose POST /v1/events takes the ledger's command body, decodes it
// with the ledger's decoder, publishes the event on its act's subject with
// the ledger's headers and the subject's expected last sequence, and
// answers 201 with the stream sequence. A JSON array of commands (the
// body of a bulk import) is published as one atomic batch, the first
// message of each act stating its expected sequence, and answered with a
// receipt each. It checks no rule, claims no id and keeps no history: it
// is what any HTTP front of JetStream must at least do. A wrong last
// sequence is answered 409 and the subject's sequence read again.
func ServeProxy(ctx context.Context, o ProxyOptions) error {
	srv, err := natsjs.StartEmbedded(natsjs.EmbeddedOptions{Dir: o.Dir, Port: -1, SyncAlways: o.SyncAlways})
	if err != nil {
		return err
	}
	defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
	nc, err := nats.Connect("", nats.InProcessServer(srv))
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	cfg := natsjs.Config{}.StreamConfig()
	stream, err := js.CreateOrUpdateStream(ctx, cfg)
	if err != nil {
		return fmt.Errorf("create the stream: %w", err)
	}
	p := &proxy{js: js, stream: stream, prefix: natsjs.DefaultPrefix, last: map[string]uint64{}}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return err
	}
	if o.Pprof != "" {
		pl, err := net.Listen("tcp", o.Pprof)
		if err != nil {
			ln.Close()
			return fmt.Errorf("cannot listen on %s for profiles: %w", o.Pprof, err)
		}
		ps := &http.Server{Handler: http.DefaultServeMux, ReadHeaderTimeout: 10 * time.Second} // net/http/pprof's handlers
		go ps.Serve(pl)
		defer ps.Close()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/events", p.append)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	if o.Ready != nil {
		o.Ready(ln.Addr().String())
	}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return hs.Shutdown(sctx)
}

// proxy is the HTTP handler of ServeProxy.
type proxy struct {
	js     jetstream.JetStream
	stream jetstream.Stream
	prefix string
	mu     sync.Mutex
	last   map[string]uint64 // each subject's last stream sequence, as acknowledged
}

// maxProxyBody bounds a request body, as the ledger's HTTP API does.
const maxProxyBody = 1 << 20

func (p *proxy) append(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxProxyBody))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	cmds, batch, err := ledger.DecodeCommands(body)
	if err != nil || len(cmds) == 0 || (!batch && len(cmds) != 1) {
		http.Error(w, fmt.Sprintf("a command or an array of them, please: %v", err), http.StatusBadRequest)
		return
	}
	if batch {
		p.appendBatch(w, r, cmds)
		return
	}
	e := &cmds[0].Event
	msg, err := p.message(e)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	p.expect(msg)
	ack, err := p.js.PublishMsg(r.Context(), msg)
	if err != nil {
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence || apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant) {
			if m, gerr := p.stream.GetLastMsgForSubject(r.Context(), msg.Subject); gerr == nil {
				p.setLast(msg.Subject, m.Sequence)
			}
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	p.setLast(msg.Subject, ack.Sequence)
	created(w, ledger.Receipt{ID: e.ID, Act: e.Act, Type: e.Type, Seq: ack.Sequence})
}

// appendBatch publishes cmds as one atomic batch (JetStream's limit is
// 1000 messages, the ledger's import batch), as the bench's raw atomic
// batches of the ledger's messages do, and answers their receipts.
func (p *proxy) appendBatch(w http.ResponseWriter, r *http.Request, cmds []ledger.Command) {
	msgs := make([]*nats.Msg, len(cmds))
	expected := make(map[string]bool, len(cmds))
	for i := range cmds {
		msg, err := p.message(&cmds[i].Event)
		if err != nil {
			http.Error(w, fmt.Sprintf("command %d: %v", i, err), http.StatusBadRequest)
			return
		}
		if !expected[msg.Subject] {
			p.expect(msg)
			expected[msg.Subject] = true
		}
		msgs[i] = msg
	}
	ack, err := jetstreamext.PublishMsgBatch(r.Context(), p.js, msgs, jetstreamext.BatchFlowControl{AckFirst: false})
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	first := ack.Sequence - uint64(len(msgs)) + 1
	rs := make([]ledger.Receipt, len(cmds))
	for i := range cmds {
		e := &cmds[i].Event
		p.setLast(msgs[i].Subject, first+uint64(i))
		rs[i] = ledger.Receipt{ID: e.ID, Act: e.Act, Type: e.Type, Seq: first + uint64(i)}
	}
	created(w, rs)
}

// message returns e's message as the ledger writes it, with an id drawn
// when the command gave none.
func (p *proxy) message(e *events.Event) (*nats.Msg, error) {
	if e.ID.IsZero() {
		e.ID = events.NewID()
	}
	e.Schema = events.SchemaVersion
	data, err := events.Encode(e)
	if err != nil {
		return nil, err
	}
	return natsjs.EventMsg(p.prefix, &eventlog.Message{Event: e, Data: data}), nil
}

// expect makes msg expect its subject's last sequence as acknowledged.
func (p *proxy) expect(msg *nats.Msg) {
	p.mu.Lock()
	last := p.last[msg.Subject]
	p.mu.Unlock()
	msg.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(last, 10))
}

// created answers 201 with v as JSON.
func created(w http.ResponseWriter, v any) {
	out, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	w.Write(out)
}

func (p *proxy) setLast(subject string, seq uint64) {
	p.mu.Lock()
	if seq > p.last[subject] {
		p.last[subject] = seq
	}
	p.mu.Unlock()
}
