package natsjs

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
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
	// ReplyPrefix is where the service answers: a request whose reply
	// subject is elsewhere is dropped unanswered. The requester chooses the
	// reply subject, and the ledger may publish on lex.events.> and the
	// views' subjects: an answer sent there would be stored as an event.
	ReplyPrefix = "_INBOX."
	// maxInFlight bounds the requests handled at once; more wait in NATS.
	maxInFlight = 512
	// requestTimeout bounds one request.
	requestTimeout = 30 * time.Second
)

// Serve registers the clerks' service on nc. identity is the recording
// identity of requests that arrive over NATS. Requests whose reply subject
// is not under ReplyPrefix are dropped, neither decided nor answered.
// Stop it with the returned service's Stop.
func Serve(nc *nats.Conn, l *ledger.Ledger, identity string) (micro.Service, error) {
	svc, err := micro.AddService(nc, micro.Config{
		Name:        ServiceName,
		Version:     ServiceVersion,
		Description: "Lex Ledger: record legislative events",
	})
	if err != nil {
		return nil, err
	}
	sem := make(chan struct{}, maxInFlight)
	// Handlers of one subscription run one at a time; each request gets a
	// goroutine so that concurrent clerks share the sequencer's batches.
	async := func(h func(micro.Request)) micro.HandlerFunc {
		return func(r micro.Request) {
			if reply := r.Reply(); reply != "" && !strings.HasPrefix(reply, ReplyPrefix) {
				return
			}
			sem <- struct{}{}
			go func() {
				defer func() { <-sem }()
				h(r)
			}()
		}
	}
	record := func(r micro.Request) {
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		cmds, batch, err := ledger.DecodeCommands(r.Data())
		if err != nil {
			respondError(r, err)
			return
		}
		rs, err := l.AppendAtomic(ctx, identity, cmds)
		if err != nil {
			respondError(r, err)
			return
		}
		if batch {
			r.RespondJSON(rs)
			return
		}
		r.RespondJSON(rs[0])
	}
	history := func(r micro.Request) {
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		act, err := events.ParseActID(string(r.Data()))
		if err != nil {
			respondError(r, err)
			return
		}
		recs, err := l.History(ctx, act)
		if err != nil {
			respondError(r, err)
			return
		}
		r.RespondJSON(ledger.NewHistoryJSON(act, recs))
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
	return svc, nil
}

func respondError(r micro.Request, err error) {
	status, body := ledger.DescribeError(err)
	data, _ := json.Marshal(body)
	r.Error(strconv.Itoa(status), body.Error.Message, data)
}
