package natsjs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// API prefixes. On a server configured by `ledger nats-config` the stream
// and the views live in accounts of their own (docs/OPERATIONS.md,
// Accounts): the ledger's account holds the stream and exports its
// read-only API, which the projector's account and the clients' account
// import under StreamAPIPrefix; the projector's account holds the views
// and exports their read-only API, which the clients' account imports
// under ViewsAPIPrefix. A JetStream answer goes back to the requester's
// account, where no stream captures it: no reply subject a reader names
// can make the server write into the stream.
const (
	DefaultAPIPrefix = "$JS.API"
	StreamAPIPrefix  = "$JS.LEX.API"
	ViewsAPIPrefix   = "$JS.VIEWS.API"
)

// probeTimeout bounds the look for an import: a user whose permissions
// do not name the import's subject (a configuration of its own, or one
// written before the accounts) gets no answer at all, only an
// asynchronous permissions violation.
const probeTimeout = 3 * time.Second

// locate finds stream name: under prefix when one is given, or else first
// under imported (another account's export) and then under the account's
// own API. imported says which. A missing import answers at once (no
// responders), so the search costs one round trip where there is none; a
// probe refused by permission costs probeTimeout.
func locate(ctx context.Context, nc *nats.Conn, name, prefix, imported string) (jetstream.JetStream, jetstream.Stream, bool, error) {
	try := func(ctx context.Context, p string) (jetstream.JetStream, jetstream.Stream, error) {
		js, err := jetstream.NewWithAPIPrefix(nc, p)
		if err != nil {
			return nil, nil, err
		}
		s, err := js.Stream(ctx, name)
		return js, s, err
	}
	if prefix != "" {
		js, s, err := try(ctx, prefix)
		return js, s, prefix != DefaultAPIPrefix, err
	}
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	js, s, err := try(pctx, imported)
	cancel()
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		err = nats.ErrNoResponders // refused, or too slow: look in the account itself
	}
	if !errors.Is(err, nats.ErrNoResponders) {
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			err = fmt.Errorf("%w: this account imports the API of %s's account (%s), but the stream is not there: start the ledger first, which creates it", err, name, imported)
		}
		return js, s, true, err
	}
	js, s, err = try(ctx, DefaultAPIPrefix)
	return js, s, false, err
}

// apiPrefixOf returns the API prefix that js sends its requests under.
func apiPrefixOf(js jetstream.JetStream) string {
	if p := js.Options().APIPrefix; p != "" {
		return strings.TrimSuffix(p, ".")
	}
	return DefaultAPIPrefix
}
