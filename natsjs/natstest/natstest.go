// Package natstest starts real embedded JetStream servers for tests, with
// their storage in the test's temporary directory.
package natstest

import (
	"context"
	"testing"

	"github.com/lexledger/lexledger/natsjs"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Options tune MustStart. The zero value is a fresh server with the default
// sync and the default stream.
type Options struct {
	Dir        string // reuse a store directory (to restart a server); t.TempDir() when empty
	SyncAlways bool
	Config     natsjs.Config
	// MaxPayload lowers the server's max_payload (bytes); 0 keeps the
	// embedded server's default.
	MaxPayload int32
}

// Env is a running server with a connection and an opened store.
type Env struct {
	Server *server.Server
	Conn   *nats.Conn
	Store  *natsjs.Store
	Dir    string
}

// MustStart starts a server listening on a random loopback port, connects,
// opens the store, and stops everything when the test ends.
func MustStart(tb testing.TB, o Options) *Env {
	tb.Helper()
	if o.Dir == "" {
		o.Dir = tb.TempDir()
	}
	s, err := natsjs.StartEmbedded(natsjs.EmbeddedOptions{Dir: o.Dir, Port: 0, SyncAlways: o.SyncAlways, MaxPayload: o.MaxPayload})
	if err != nil {
		tb.Fatal(err)
	}
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		s.Shutdown()
		tb.Fatal(err)
	}
	st, err := natsjs.Open(context.Background(), nc, o.Config)
	if err != nil {
		nc.Close()
		s.Shutdown()
		tb.Fatal(err)
	}
	env := &Env{Server: s, Conn: nc, Store: st, Dir: o.Dir}
	tb.Cleanup(env.Stop)
	return env
}

// Stop closes the connection and shuts the server down; it is safe to call
// twice.
func (e *Env) Stop() {
	e.Conn.Close()
	e.Server.Shutdown()
	e.Server.WaitForShutdown()
}

// Connect opens another connection to the server, closed when the test ends.
func (e *Env) Connect(tb testing.TB) *nats.Conn {
	tb.Helper()
	nc, err := nats.Connect(e.Server.ClientURL())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	return nc
}
