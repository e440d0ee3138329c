package natsjs

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lexledger/lexledger/events"
	"github.com/lexledger/lexledger/ledger"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
)

// The clerks' NATS service: request/reply endpoints in the wire format of
// package ledger, discoverable with `nats micro ls`.
const (
	ServiceName    = "lexledger"
	ServiceVersion = "0.1.0"
	// SubjectRecord takes one command or an array recorded atomically and
	// answers with a receipt or an array of receipts.
	SubjectRecord = "lex.cmd.record"
	// SubjectHistory takes an act identifier and answers with its events.
	SubjectHistory = "lex.cmd.history"
	// ReplyPrefix and ImportReplyPrefix are where the service answers: a
	// request whose reply subject is elsewhere, or that has none, is
	// dropped undecided and unanswered. The requester chooses the reply
	// subject, and the ledger may publish on lex.events.> and the views'
	// subjects: an answer sent there would be stored as an event. A
	// request that crossed from another account through a service import
	// arrives with a reply subject the server made, under
	// ImportReplyPrefix.
	ReplyPrefix       = "_INBOX."
	ImportReplyPrefix = "_R_."
	// HeaderRequestInfo is the header in which the server tells an
	// exporting account who sent a request through a service import that
	// shares it (share: true); the server writes it, replacing any the
	// requester sent.
	HeaderRequestInfo = "Nats-Request-Info"
	// maxInFlight bounds the requests handled at once; more wait in NATS.
	maxInFlight = 512
	// requestTimeout bounds one request.
	requestTimeout = 30 * time.Second
)

// ServiceOptions are how the clerks' service names who recorded an event.
type ServiceOptions struct {
	// Identity is the recording identity of a request whose sender the
	// service does not know.
	Identity string
	// Callers names the senders of requests that come from another
	// account through a service import (as on a server configured by
	// `ledger nats-config`): their user's public key, which the server
	// states in HeaderRequestInfo, maps to a name, recorded as name@nats.
	// A key not in Callers is recorded as KEY@nats. Without Callers the
	// header is not read: an import that does not share the requester's
	// identity would pass on whatever header the requester wrote.
	Callers map[string]string
}

// recorder returns the recording identity of r.
func (o ServiceOptions) recorder(r micro.Request) string {
	if o.Callers == nil || !strings.HasPrefix(r.Reply(), ImportReplyPrefix) {
		return o.Identity
	}
	// Only a request through an import has a reply subject under
	// ImportReplyPrefix (the server refuses it from clients), and on such a
	// request through the imports `ledger nats-config` writes (share: true)
	// the server wrote the header.
	var info struct {
		User string `json:"user"`
	}
	if err := json.Unmarshal([]byte(r.Headers().Get(HeaderRequestInfo)), &info); err != nil || info.User == "" {
		return o.Identity
	}
	if name, ok := o.Callers[info.User]; ok {
		return name + "@nats"
	}
	return info.User + "@nats"
}

// Service is the clerks' running service.
type Service struct {
	micro.Service
	done chan struct{}
}

// Done is closed when the service has stopped: after Stop, or when its
// connection closed.
func (s *Service) Done() <-chan struct{} { return s.done }

// Serve registers the clerks' service on nc, recording requests as o
// says. Requests without a reply subject under ReplyPrefix or
// ImportReplyPrefix are dropped, neither decided nor answered. Stop it
// with the returned service's Stop.
func Serve(nc *nats.Conn, l *ledger.Ledger, o ServiceOptions) (*Service, error) {
	done := make(chan struct{})
	var once sync.Once
	svc, err := micro.AddService(nc, micro.Config{
		Name:        ServiceName,
		Version:     ServiceVersion,
		Description: "Lex Ledger: record legislative events",
		DoneHandler: func(micro.Service) { once.Do(func() { close(done) }) },
	})
	if err != nil {
		return nil, err
	}
	sem := make(chan struct{}, maxInFlight)
	// Handlers of one subscription run one at a time; each request gets a
	// goroutine so that concurrent clerks share the sequencer's batches.
	// The goroutine answers through the connection, not through the
	// micro.Request: the framework reads the request's error after the
	// handler returns (for its stats), which would race with an answer
	// written later. So the framework counts requests, not errors; the
	// ledger's metrics count outcomes.
	async := func(h func(*call)) micro.HandlerFunc {
		return func(r micro.Request) {
			reply := r.Reply()
			if !strings.HasPrefix(reply, ReplyPrefix) && !strings.HasPrefix(reply, ImportReplyPrefix) {
				return
			}
			c := &call{nc: nc, reply: reply, data: r.Data(), recorder: o.recorder(r)}
			sem <- struct{}{}
			go func() {
				defer func() { <-sem }()
				h(c)
			}()
		}
	}
	record := func(c *call) {
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		cmds, batch, err := ledger.DecodeCommands(c.data)
		if err != nil {
			c.fail(err)
			return
		}
		rs, err := l.AppendAtomic(ctx, c.recorder, cmds)
		if err != nil {
			c.fail(err)
			return
		}
		if batch {
			c.respondJSON(rs)
			return
		}
		c.respondJSON(rs[0])
	}
	history := func(c *call) {
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		act, err := events.ParseActID(string(c.data))
		if err != nil {
			c.fail(err)
			return
		}
		recs, err := l.History(ctx, act)
		if err != nil {
			c.fail(err)
			return
		}
		c.respondJSON(ledger.NewHistoryJSON(act, recs))
	}
	if err := svc.AddEndpoint("record", async(record), micro.WithEndpointSubject(SubjectRecord)); err != nil {
		svc.Stop()
		return nil, err
	}
	if err := svc.AddEndpoint("history", async(history), micro.WithEndpointSubject(SubjectHistory)); err != nil {
		svc.Stop()
		return nil, err
	}
	// The server knows the subscriptions once the connection is flushed:
	// the service answers from the moment Serve returns.
	if err := nc.Flush(); err != nil {
		svc.Stop()
		return nil, err
	}
	return &Service{Service: svc, done: done}, nil
}

// call is one request being answered: what the handler needs of it, kept
// from the micro.Request before the handler's goroutine starts.
type call struct {
	nc       *nats.Conn
	reply    string
	data     []byte
	recorder string
}

// respondJSON answers with v as JSON, or with an error that says so when
// the answer is larger than the server carries (a long history).
func (c *call) respondJSON(v any) {
	data, err := json.Marshal(v)
	if err != nil {
		c.fail(err)
		return
	}
	if max := c.nc.MaxPayload(); int64(len(data)) > max-1024 {
		c.fail(events.Errorf(events.CodeTooLarge, "the answer is %d bytes, more than this NATS server carries (%d): read it over HTTP (GET /v1/history/ACT)", len(data), max))
		return
	}
	c.nc.Publish(c.reply, data)
}

// fail answers with err as the service framework's errors are written: the
// status and message in the Nats-Service-Error headers, the ledger's error
// document as the payload.
func (c *call) fail(err error) {
	status, body := ledger.DescribeError(err)
	data, _ := json.Marshal(body)
	m := nats.NewMsg(c.reply)
	m.Header.Set(micro.ErrorHeader, body.Error.Message)
	m.Header.Set(micro.ErrorCodeHeader, strconv.Itoa(status))
	m.Data = data
	c.nc.PublishMsg(m)
}
