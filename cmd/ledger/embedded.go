package main

import (
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/lexledger/lexledger/natsauth"
	"github.com/lexledger/lexledger/natsjs"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// openNATSWarning is what --insecure-open-nats allows, said at start and in
// --help.
const openNATSWarning = "the embedded NATS server has no access control: any local process may delete, purge or rewrite the stream, publish forged events and write the views"

// embedded is the NATS server that a ledger command runs in its own
// process on a data directory, and the keys with which the command's
// own connections log in to it (none when it is open).
type embedded struct {
	srv  *server.Server
	keys *natsauth.Embedded // nil with --insecure-open-nats
}

// embeddedOptions say how to run the embedded server.
type embeddedOptions struct {
	dir        string // the data directory, absolute
	port       int    // the client port; 0 a free one, -1 none
	syncAlways bool
	stream     string // the ledger's stream, named in the permissions
	open       bool   // no access control (--insecure-open-nats)
}

// startEmbedded starts the server on o.dir. Unless o.open, it runs with the
// accounts and roles of 'ledger nats-config', whose configuration and
// seeds it keeps in DATA/nats (natsauth.SetupEmbedded): created on the
// first start, reused afterwards. The streams of a store that was served
// the other way are moved into the accounts this way uses first.
func startEmbedded(o embeddedOptions, log *slog.Logger) (*embedded, error) {
	eo := natsjs.EmbeddedOptions{Dir: o.dir, Port: o.port, SyncAlways: o.syncAlways, Logger: log}
	e := &embedded{}
	if o.open {
		eo.Place = func(string) string { return natsjs.GlobalAccount }
	} else {
		port := o.port
		if port <= 0 {
			port = natsauth.DefaultPort // the configuration on disk needs one; the server takes o.port
		}
		keys, err := natsauth.SetupEmbedded(filepath.Join(o.dir, natsauth.EmbeddedDir),
			natsauth.Options{Names: natsauth.Names{Stream: o.stream}, StoreDir: o.dir, Port: port})
		if err != nil {
			return nil, fmt.Errorf("access control of the embedded NATS server: %w", err)
		}
		e.keys = keys
		eo.Config = keys.Config
		eo.Place = natsauth.StreamAccount
	}
	srv, err := natsjs.StartEmbedded(eo)
	if err != nil {
		return nil, err
	}
	e.srv = srv
	return e, nil
}

// options returns the options of an in-process connection logged in as
// role.
func (e *embedded) options(role natsauth.Role) []nats.Option {
	opts := []nats.Option{nats.InProcessServer(e.srv)}
	if e.keys != nil {
		opts = append(opts, e.keys.ClientOptions(role)...)
	}
	return opts
}

// url is the client port's URL, or what stands for none.
func (e *embedded) url() string {
	if e.srv.Addr() == nil {
		return "in-process only (no client port)"
	}
	return e.srv.ClientURL()
}

// stop shuts the server down and waits until it has.
func (e *embedded) stop() {
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
}
